// ARM NEON dot-product kernels (sdot, ARMv8.2-A DotProd). Same names and
// contracts as kernels/ref/; compiled with -march=armv8.2-a+dotprod in their
// own translation units only. Call them through the kernel table.
#pragma once

#include <cstdint>

#include "kernels/grouped_s8.h"
#include "kernels/packed_codes.h"
#include "kernels/packed_weights.h"

namespace ingot::kernels::neon_dot {

void GemvS8(const PackedS8Weights& w, const int8_t* x, int32_t n_begin, int32_t n_end, int32_t* y);
void GemmS8(const int8_t* a, int64_t lda, int32_t m_count, const PackedS8Weights& w, int32_t n_begin,
            int32_t n_end, int32_t* c, int64_t ldc);
void GemvS8Grouped(const PackedS8Weights& w, const GroupedS8Rows& x, int32_t n_begin, int32_t n_end, int32_t* y);
void GemmS8Grouped(const GroupedS8Rows& a, int32_t m_count, const PackedS8Weights& w, int32_t n_begin, int32_t n_end,
                   int32_t* c, int64_t ldc);

void GemvCodes(const PackedCodes& w, const CodeInput& x, int32_t n_begin, int32_t n_end, int32_t* y);
void GemmCodes(const CodeInput& a, int32_t m_count, const PackedCodes& w, int32_t n_begin, int32_t n_end, int32_t* c,
               int64_t ldc);

int64_t MemoryReadProbe(const int8_t* data, int64_t size);
int64_t DotPeakProbe(int64_t iterations);
// 16 independent sdot (q form) per iteration, 16 multiply-adds each.
inline constexpr int64_t kDotProbeOpsPerIteration = 16 * 16 * 2;

}  // namespace ingot::kernels::neon_dot
