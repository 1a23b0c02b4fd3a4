// Thread partitioning: the one place in ingot that uses OpenMP. Kernels take
// row ranges; this file hands each thread one contiguous range.
#pragma once

#include <atomic>
#include <cstdint>

namespace ingot::kernels {

using RangeFn = void (*)(void* ctx, int32_t begin, int32_t end);

// Splits [0, count) into at most num_threads contiguous ranges whose
// boundaries are multiples of `grain` (except count itself) and calls
// fn(ctx, begin, end) once per range, concurrently. num_threads <= 0 means
// the OpenMP default; 1 runs inline. The split depends only on (count, grain,
// num_threads), and integer kernels make results independent of it.
void ParallelForRanges(int32_t count, int32_t grain, int32_t num_threads, RangeFn fn, void* ctx);

// Threads OpenMP would use for num_threads <= 0 (1 without OpenMP).
int32_t DefaultThreadCount();

template <typename F>
void ParallelFor(int32_t count, int32_t grain, int32_t num_threads, F&& body) {
  ParallelForRanges(
      count, grain, num_threads,
      [](void* ctx, int32_t begin, int32_t end) { (*static_cast<F*>(ctx))(begin, end); },
      const_cast<void*>(static_cast<const void*>(&body)));
}

// Calls body(i) once for every i in [0, count), on at most num_threads threads that each take
// the next index when done with one: for items of very different cost (tensors to hash).
// num_threads <= 0 means the OpenMP default.
template <typename F>
void ParallelForEach(int64_t count, int32_t num_threads, F&& body) {
  if (num_threads <= 0) num_threads = DefaultThreadCount();
  std::atomic<int64_t> next{0};
  const int32_t workers = count < num_threads ? static_cast<int32_t>(count) : num_threads;
  ParallelFor(workers, 1, workers, [&](int32_t begin, int32_t end) {
    for (int32_t worker = begin; worker < end; ++worker) {
      for (int64_t i = next++; i < count; i = next++) body(i);
    }
  });
}

}  // namespace ingot::kernels
