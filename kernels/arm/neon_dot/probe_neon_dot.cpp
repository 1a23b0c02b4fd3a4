// Machine-limit probes with q-register loads and sdot (see ref/probe.h).
#include <arm_neon.h>

#include "kernels/arm/neon_dot/neon_dot.h"

namespace ingot::kernels::neon_dot {

int64_t MemoryReadProbe(const int8_t* data, int64_t size) {
  uint8x16_t acc0 = vdupq_n_u8(0), acc1 = vdupq_n_u8(0);
  int64_t i = 0;
  for (; i + 32 <= size; i += 32) {
    acc0 = veorq_u8(acc0, vld1q_u8(reinterpret_cast<const uint8_t*>(data + i)));
    acc1 = veorq_u8(acc1, vld1q_u8(reinterpret_cast<const uint8_t*>(data + i + 16)));
  }
  int64_t tail = 0;
  for (; i < size; ++i) tail += data[i];
  // Lanes leave through memory: a lane move would be an fmov, which the
  // no-float check (rightly strict about f* mnemonics) would flag.
  uint8_t lanes[16];
  vst1q_u8(lanes, veorq_u8(acc0, acc1));
  __asm__ volatile("" ::: "memory");
  for (uint8_t v : lanes) tail += v;
  return tail;
}

int64_t DotPeakProbe(int64_t iterations) {
  int32x4_t acc[16];
  for (int32_t j = 0; j < 16; ++j) acc[j] = vdupq_n_s32(j);
  int8x16_t a = vdupq_n_s8(3), b = vdupq_n_s8(5);
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+w"(a), "+w"(b));
    for (int32_t j = 0; j < 16; ++j) acc[j] = vdotq_s32(acc[j], a, b);
  }
  int32x4_t s = acc[0];
  for (int32_t j = 1; j < 16; ++j) s = vaddq_s32(s, acc[j]);
  int32_t lanes[4];
  vst1q_s32(lanes, s);
  __asm__ volatile("" ::: "memory");  // read the lanes back from memory
  return int64_t{lanes[0]} + lanes[1] + lanes[2] + lanes[3];
}

}  // namespace ingot::kernels::neon_dot
