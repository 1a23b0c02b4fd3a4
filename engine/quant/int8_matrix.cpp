#include "engine/quant/int8_matrix.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include "engine/forward/fp32_ops.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

kernels::Dyadic DyadicFromDouble(double value) {
  if (!(value > 0.0) || !std::isfinite(value)) return kernels::Dyadic{0, 0};
  int exponent = 0;
  const double mantissa = std::frexp(value, &exponent);  // value = mantissa * 2^exponent, mantissa in [0.5, 1)
  int64_t m = std::llround(std::ldexp(mantissa, 31));
  int32_t e = 31 - exponent;
  if (m == (int64_t{1} << 31)) {  // rounded up to 1.0
    m >>= 1;
    --e;
  }
  return kernels::Dyadic{static_cast<int32_t>(m), e};
}

double DyadicToDouble(kernels::Dyadic d) { return std::ldexp(static_cast<double>(d.m), -d.e); }

uint64_t Int8Matrix::bytes() const {
  if (has_codes()) {
    const int64_t groups = kernels::PackedCodeGroupBytes(rows(), cols(), codes.group);
    return static_cast<uint64_t>(kernels::PackedCodeDataBytes(rows(), cols(), codes.bits, codes.group) +
                                 groups * (codes.zeros != nullptr ? 2 : 1)) +
           static_cast<uint64_t>(rows()) * sizeof(kernels::Dyadic);
  }
  return static_cast<uint64_t>(kernels::PackedS8DataBytes(rows(), cols())) +
         static_cast<uint64_t>(kernels::PackedS8RowSumCount(rows())) * sizeof(int32_t) +
         static_cast<uint64_t>(rows()) * sizeof(kernels::Dyadic);
}

void Int8Matrix::Row(int32_t r, int8_t* out) const {
  for (int32_t c = 0; c < packed.k; ++c) out[c] = packed.data[kernels::PackedS8Offset(packed.k_pad, r, c)];
}

WeightBuffer::WeightBuffer(size_t bytes) : size_(bytes) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  void* p = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
  if (p == nullptr) throw std::bad_alloc();
  // Whole huge pages only: a partly used one would be backed in full and count in RSS.
  if (alignment == kHugePage) madvise(p, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
  data_.reset(p);
}

void WeightBuffer::Free::operator()(void* p) const { std::free(p); }

Int8Matrix QuantizeWeight(const Weight& w, int32_t n_threads) {
  if (w.cols > kernels::kMaxK) {
    throw Error("tensor '" + (w.info ? w.info->name : std::string("?")) + "' has " + std::to_string(w.cols) +
                " columns, more than the int8 kernels take (" + std::to_string(kernels::kMaxK) + ")");
  }
  const int32_t n = static_cast<int32_t>(w.rows);
  const int32_t k = static_cast<int32_t>(w.cols);
  std::vector<int8_t> q(static_cast<size_t>(n) * static_cast<size_t>(k));  // [n, k] row-major
  Int8Matrix m;
  m.scale_storage.resize(static_cast<size_t>(n));
  // Each row is quantized on its own, so the split over threads cannot change a bit.
  kernels::ParallelFor(n, 1, n_threads, [&](int32_t begin, int32_t end) {
    std::vector<float> row(static_cast<size_t>(k));  // [k] this range's scratch
    for (int32_t r = begin; r < end; ++r) {
      fp32::DequantizeWeightRow(w, r, row.data());
      float amax = 0.0f;
      for (float v : row) amax = std::max(amax, std::fabs(v));
      int8_t* qr = q.data() + static_cast<size_t>(r) * static_cast<size_t>(k);
      if (amax == 0.0f || !std::isfinite(amax)) {
        std::fill_n(qr, k, int8_t{0});
        m.scale_storage[static_cast<size_t>(r)] = kernels::Dyadic{0, 0};
        continue;
      }
      const double scale = static_cast<double>(amax) / 127.0;
      for (int32_t c = 0; c < k; ++c) {
        const long v = std::lround(static_cast<double>(row[static_cast<size_t>(c)]) / scale);
        qr[c] = static_cast<int8_t>(std::clamp(v, -127L, 127L));
      }
      m.scale_storage[static_cast<size_t>(r)] = DyadicFromDouble(scale);
    }
  });
  m.packed_storage = WeightBuffer(static_cast<size_t>(kernels::PackedS8DataBytes(n, k)));
  m.row_sums_storage.resize(static_cast<size_t>(kernels::PackedS8RowSumCount(n)));
  m.packed = kernels::PackS8Weights(q.data(), n, k, k, m.packed_storage.data(), m.row_sums_storage.data());
  m.scale = m.scale_storage.data();
  return m;
}

}  // namespace ingot
