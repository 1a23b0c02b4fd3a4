#include "kernels/threaded_ops.h"

#include "kernels/parallel.h"

namespace ingot::kernels {

void ThreadedGemvS8(const KernelTable& t, const PackedS8Weights& w, const int8_t* x, int32_t* y,
                    int32_t num_threads) {
  ParallelFor(w.n, kPackRows, num_threads,
              [&](int32_t begin, int32_t end) { t.gemv_s8(w, x, begin, end, y); });
}

void ThreadedGemmS8(const KernelTable& t, const int8_t* a, int64_t lda, int32_t m_count,
                    const PackedS8Weights& w, int32_t* c, int64_t ldc, int32_t num_threads) {
  const int32_t threads = num_threads <= 0 ? DefaultThreadCount() : num_threads;
  const int32_t n_blocks = (w.n + kPackRows - 1) / kPackRows;
  if (n_blocks >= 4 * threads || m_count < threads) {
    ParallelFor(w.n, kPackRows, threads, [&](int32_t begin, int32_t end) {
      t.gemm_s8(a, lda, m_count, w, begin, end, c, ldc);
    });
  } else {
    ParallelFor(m_count, 1, threads, [&](int32_t begin, int32_t end) {
      t.gemm_s8(a + begin * lda, lda, end - begin, w, 0, w.n, c + begin * ldc, ldc);
    });
  }
}

void ThreadedQuantizeRowsS32ToS8(const KernelTable& t, const int32_t* x, int64_t ldx, int32_t rows,
                                 int32_t cols, int8_t* q, int64_t ldq, Dyadic* steps,
                                 int32_t num_threads) {
  ParallelFor(rows, 1, num_threads, [&](int32_t begin, int32_t end) {
    for (int32_t r = begin; r < end; ++r) steps[r] = t.quantize_row_s32_to_s8(x + r * ldx, cols, q + r * ldq);
  });
}

}  // namespace ingot::kernels
