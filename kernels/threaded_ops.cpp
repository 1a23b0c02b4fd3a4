#include "kernels/threaded_ops.h"

#include "kernels/parallel.h"

namespace ingot::kernels {

void ThreadedGemvS8(const KernelTable& t, const PackedS8Weights& w, const int8_t* x, int32_t* y,
                    int32_t num_threads) {
  ParallelFor(w.n, kPackRows, num_threads,
              [&](int32_t begin, int32_t end) { t.gemv_s8(w, x, begin, end, y); });
}

namespace {

// Splits N in multiples of kPackRows when there are enough row blocks for every thread,
// otherwise M: run(m_begin, m_end, n_begin, n_end).
template <typename Run>
void SplitGemm(int32_t m_count, int32_t n, int32_t num_threads, Run run) {
  const int32_t threads = num_threads <= 0 ? DefaultThreadCount() : num_threads;
  const int32_t n_blocks = (n + kPackRows - 1) / kPackRows;
  if (n_blocks >= 4 * threads || m_count < threads) {
    ParallelFor(n, kPackRows, threads, [&](int32_t begin, int32_t end) { run(0, m_count, begin, end); });
  } else {
    ParallelFor(m_count, 1, threads, [&](int32_t begin, int32_t end) { run(begin, end, 0, n); });
  }
}

}  // namespace

void ThreadedGemmS8(const KernelTable& t, const int8_t* a, int64_t lda, int32_t m_count,
                    const PackedS8Weights& w, int32_t* c, int64_t ldc, int32_t num_threads) {
  SplitGemm(m_count, w.n, num_threads, [&](int32_t m_begin, int32_t m_end, int32_t n_begin, int32_t n_end) {
    t.gemm_s8(a + m_begin * lda, lda, m_end - m_begin, w, n_begin, n_end, c + m_begin * ldc, ldc);
  });
}

void ThreadedGemvS8Grouped(const KernelTable& t, const PackedS8Weights& w, const GroupedS8Rows& x, int32_t* y,
                           int32_t num_threads) {
  ParallelFor(w.n, kPackRows, num_threads,
              [&](int32_t begin, int32_t end) { t.gemv_s8_grouped(w, x, begin, end, y); });
}

void ThreadedGemmS8Grouped(const KernelTable& t, const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w,
                           int32_t* c, int64_t ldc, int32_t num_threads) {
  SplitGemm(m_count, w.n, num_threads, [&](int32_t m_begin, int32_t m_end, int32_t n_begin, int32_t n_end) {
    t.gemm_s8_grouped(GroupedRowsFrom(a, m_begin), m_end - m_begin, w, n_begin, n_end, c + m_begin * ldc, ldc);
  });
}

void ThreadedGemvCodes(const KernelTable& t, const PackedCodes& w, const CodeInput& x, int32_t* y, int32_t num_threads) {
  ParallelFor(w.n, kPackRows, num_threads, [&](int32_t begin, int32_t end) { t.gemv_codes(w, x, begin, end, y); });
}

void ThreadedGemmCodes(const KernelTable& t, const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t* c,
                       int64_t ldc, int32_t num_threads) {
  SplitGemm(m_count, w.n, num_threads, [&](int32_t m_begin, int32_t m_end, int32_t n_begin, int32_t n_end) {
    t.gemm_codes(CodeInputFrom(a, m_begin), m_end - m_begin, w, n_begin, n_end, c + m_begin * ldc, ldc);
  });
}

void ThreadedQuantizeRowsS32ToS8(const KernelTable& t, const int32_t* x, int64_t ldx, int32_t rows,
                                 int32_t cols, int8_t* q, int64_t ldq, Dyadic* steps,
                                 int32_t num_threads) {
  ParallelFor(rows, 1, num_threads, [&](int32_t begin, int32_t end) {
    for (int32_t r = begin; r < end; ++r) steps[r] = t.quantize_row_s32_to_s8(x + r * ldx, cols, q + r * ldq);
  });
}

void ThreadedQuantizeRowsS32ToS8Grouped(const KernelTable& t, const int32_t* x, int64_t ldx, int32_t rows,
                                        int32_t cols, int8_t* q, int64_t ldq, uint8_t* shifts,
                                        int64_t ld_shifts, int32_t* sums, Dyadic* steps, int32_t num_threads) {
  ParallelFor(rows, 1, num_threads, [&](int32_t begin, int32_t end) {
    for (int32_t r = begin; r < end; ++r) {
      steps[r] = t.quantize_row_s32_to_s8_grouped(x + r * ldx, cols, q + r * ldq, shifts + r * ld_shifts, sums + r);
    }
  });
}

}  // namespace ingot::kernels
