#include "kernels/ref/rope.h"

#include "kernels/fixed_point.h"

namespace ingot::kernels::ref {

namespace {

int8_t SaturateTo(int64_t v, int8_t*) { return SaturateToS8(v); }
int16_t SaturateTo(int64_t v, int16_t*) { return SaturateToS16(v); }
int32_t SaturateTo(int64_t v, int32_t*) { return SaturateToS32(v); }

template <typename T>
void Rope(T* x, int32_t n_heads, int64_t head_stride, int32_t rot_dim, const int32_t* cos_q30,
          const int32_t* sin_q30, RopeLayout layout) {
  const int32_t half = rot_dim / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    T* row = x + h * head_stride;  // [rot_dim]
    for (int32_t i = 0; i < half; ++i) {
      T* pa = layout == RopeLayout::kInterleaved ? row + 2 * i : row + i;
      T* pb = layout == RopeLayout::kInterleaved ? row + 2 * i + 1 : row + i + half;
      const int64_t a = *pa;
      const int64_t b = *pb;
      const int64_t c = cos_q30[i];
      const int64_t s = sin_q30[i];
      *pa = SaturateTo(RoundingShiftRight64(a * c - b * s, 30), pa);
      *pb = SaturateTo(RoundingShiftRight64(a * s + b * c, 30), pb);
    }
  }
}

}  // namespace

void RopeS8(int8_t* x, int32_t n_heads, int64_t head_stride, int32_t rot_dim, const int32_t* cos_q30,
            const int32_t* sin_q30, RopeLayout layout) {
  Rope(x, n_heads, head_stride, rot_dim, cos_q30, sin_q30, layout);
}
void RopeS16(int16_t* x, int32_t n_heads, int64_t head_stride, int32_t rot_dim, const int32_t* cos_q30,
             const int32_t* sin_q30, RopeLayout layout) {
  Rope(x, n_heads, head_stride, rot_dim, cos_q30, sin_q30, layout);
}
void RopeS32(int32_t* x, int32_t n_heads, int64_t head_stride, int32_t rot_dim, const int32_t* cos_q30,
             const int32_t* sin_q30, RopeLayout layout) {
  Rope(x, n_heads, head_stride, rot_dim, cos_q30, sin_q30, layout);
}

}  // namespace ingot::kernels::ref
