// Multi-threaded drivers: a kernel-table op split into row ranges by the
// partitioner (parallel.h). Results are bit-identical for any thread count.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace ingot::kernels {

// y [N] = W [N, K] x [K]; N split in multiples of kPackRows.
void ThreadedGemvS8(const KernelTable& t, const PackedS8Weights& w, const int8_t* x, int32_t* y,
                    int32_t num_threads);

// c [M, N] = a [M, K] W^T; splits N in multiples of kPackRows when there are
// enough row blocks for every thread, otherwise splits M.
void ThreadedGemmS8(const KernelTable& t, const int8_t* a, int64_t lda, int32_t m_count,
                    const PackedS8Weights& w, int32_t* c, int64_t ldc, int32_t num_threads);

// q [rows, cols] = x [rows, cols] quantized row by row (ldx, ldq: row strides); rows split.
void ThreadedQuantizeRowsS32ToS8(const KernelTable& t, const int32_t* x, int64_t ldx, int32_t rows,
                                 int32_t cols, int8_t* q, int64_t ldq, Dyadic* steps,  // steps [rows]
                                 int32_t num_threads);

// The same two for weight codes in groups (packed_codes.h), split the same way.
void ThreadedGemvCodes(const KernelTable& t, const PackedCodes& w, const CodeInput& x, int32_t* y, int32_t num_threads);
void ThreadedGemmCodes(const KernelTable& t, const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t* c,
                       int64_t ldc, int32_t num_threads);

// The same three for grouped activations (grouped_s8.h), split the same way.
void ThreadedGemvS8Grouped(const KernelTable& t, const PackedS8Weights& w, const GroupedS8Rows& x, int32_t* y,
                           int32_t num_threads);
void ThreadedGemmS8Grouped(const KernelTable& t, const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w,
                           int32_t* c, int64_t ldc, int32_t num_threads);
// Row r of x -> q + r * ldq, shifts + r * ld_shifts, sums[r], steps[r].
void ThreadedQuantizeRowsS32ToS8Grouped(const KernelTable& t, const int32_t* x, int64_t ldx, int32_t rows,
                                        int32_t cols, int8_t* q, int64_t ldq, uint8_t* shifts,
                                        int64_t ld_shifts, int32_t* sums, Dyadic* steps, int32_t num_threads);

}  // namespace ingot::kernels
