// AVX2 kernels (vpmaddubsw / vpmaddwd). Same names and contracts as
// kernels/ref/; compiled with -mavx2 in their own translation units only.
// Call them through the kernel table (dispatch.h).
#pragma once

#include <cstdint>

#include "kernels/dyadic.h"
#include "kernels/grouped_s8.h"
#include "kernels/packed_codes.h"
#include "kernels/packed_weights.h"

namespace ingot::kernels::avx2 {

void GemvS8(const PackedS8Weights& w, const int8_t* x, int32_t n_begin, int32_t n_end, int32_t* y);
void GemmS8(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
            int32_t n_end, int32_t* c, int64_t ldc);
void GemvS8Grouped(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t n_begin, int32_t n_end, int32_t* y);
void GemmS8Grouped(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t n_begin, int32_t n_end,
                   int32_t* c, int64_t ldc);
void GemvCodes(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y);
void GemmCodes(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
               int64_t ldc);
void RequantizeS32ToS32(const int32_t* acc, int64_t ld_acc, int32_t rows, int32_t cols,
                        const Dyadic* row_scale, const Dyadic* col_scale, int32_t* out, int64_t ld_out);
Dyadic QuantizeRowS32ToS8(const int32_t* x, int32_t n, int8_t* q);
Dyadic QuantizeRowS32ToS8Grouped(const int32_t* x, int32_t n, int8_t* q, uint8_t* shifts, int32_t* sum);
void SoftmaxS32ToU16(int32_t* x, int32_t n, Dyadic x_scale, uint16_t* p);
void WeightedSumS8(const int32_t* w, const int8_t* v, int32_t n, int32_t cols, int32_t* out);

int64_t MemoryReadProbe(const int8_t* data, int64_t size);
int64_t DotPeakProbe(int64_t iterations);
// 8 independent vpmaddubsw + vpmaddwd + vpaddd chains per iteration, each
// 32 multiply-adds.
inline constexpr int64_t kDotProbeOpsPerIteration = 8 * 32 * 2;

}  // namespace ingot::kernels::avx2
