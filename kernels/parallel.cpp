#include "kernels/parallel.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace ingot::kernels {

int32_t DefaultThreadCount() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void ParallelForRanges(int32_t count, int32_t grain, int32_t num_threads, RangeFn fn, void* ctx) {
  if (count <= 0) return;
  if (grain < 1) grain = 1;
  if (num_threads <= 0) num_threads = DefaultThreadCount();
  const int32_t blocks = (count + grain - 1) / grain;
  const int32_t chunks = num_threads < blocks ? num_threads : blocks;
  if (chunks <= 1) {
    fn(ctx, 0, count);
    return;
  }
  auto range = [&](int32_t i, int32_t* begin, int32_t* end) {
    const int64_t b0 = static_cast<int64_t>(blocks) * i / chunks;
    const int64_t b1 = static_cast<int64_t>(blocks) * (i + 1) / chunks;
    *begin = static_cast<int32_t>(b0 * grain);
    *end = static_cast<int32_t>(b1 * grain < count ? b1 * grain : count);
  };
#if defined(_OPENMP)
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
  for (int32_t i = 0; i < chunks; ++i) {
    int32_t begin = 0, end = 0;
    range(i, &begin, &end);
    fn(ctx, begin, end);
  }
#else
  for (int32_t i = 0; i < chunks; ++i) {
    int32_t begin = 0, end = 0;
    range(i, &begin, &end);
    fn(ctx, begin, end);
  }
#endif
}

}  // namespace ingot::kernels
