#include "kernels/ref/requantize.h"

namespace ingot::kernels::ref {

void RequantizeS32ToS32(const int32_t* acc, int64_t ld_acc, int32_t rows, int32_t cols,
                        const Dyadic* row_scale, const Dyadic* col_scale,
                        int32_t* out, int64_t ld_out) {
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t c = 0; c < cols; ++c) {
      const Dyadic mult = RequantMultiplier(row_scale, col_scale, r, c);
      out[r * ld_out + c] = SaturateToS32(MultiplyByDyadic(acc[r * ld_acc + c], mult));
    }
  }
}

}  // namespace ingot::kernels::ref
