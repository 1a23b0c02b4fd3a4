// Weight quantization: float weights -> symmetric int8 in [-127, 127] with one dyadic scale per
// output channel (row), packed once into the layout the kernel tables read. This is model
// preparation, done offline by `quantize` or at load for --mode int8: it may use float. The
// integer forward pass only ever sees the int8 data and the dyadic scales.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/model/model_types.h"
#include "kernels/dyadic.h"
#include "kernels/packed_codes.h"
#include "kernels/packed_weights.h"

namespace ingot {

// The nearest normalized dyadic m * 2^-e (m in [2^30, 2^31)) of a finite value >= 0.
kernels::Dyadic DyadicFromDouble(double value);
double DyadicToDouble(kernels::Dyadic d);

// Packed weight bytes: 64-byte aligned for the kernels' loads; a large buffer is 2 MiB aligned
// with transparent huge pages advised, since decode streams it once per token and 4 KiB pages
// would cost a TLB miss every 4 KiB.
class WeightBuffer {
 public:
  WeightBuffer() = default;
  explicit WeightBuffer(size_t bytes);
  int8_t* data() const { return static_cast<int8_t*>(data_.get()); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> data_;
  size_t size_ = 0;
};

// A matrix of the integer path, in one of two forms:
//   per channel  W[n][k] ~= q[n][k] * scale[n], q int8 (packed, with row sums);
//   codes        W[n][k] ~= scale[n] * s[n][g] * (code[n][k] - z[n][g]) (kernels/packed_codes.h:
//                8-, 4- or 2-bit codes in groups), when codes.data is set.
// The packed data is always owned (huge-page memory); the row sums, group scales and zeros and
// the row scales point into owned storage when the matrix was quantized in memory, or into the
// mapped ingot GGUF file it was read from.
struct Int8Matrix {
  kernels::PackedS8Weights packed;         // per channel: [n, k] in the kernels' packed layout
  kernels::PackedCodes codes;              // codes: data, scales, zeros (codes.data null: per channel)
  const kernels::Dyadic* scale = nullptr;  // [n]

  WeightBuffer packed_storage;             // packed.data or codes.data
  std::vector<int32_t> row_sums_storage;
  std::vector<uint8_t> group_storage;      // codes: scales, then zeros when asymmetric
  std::vector<kernels::Dyadic> scale_storage;

  bool has_codes() const { return codes.data != nullptr; }
  bool empty() const { return packed.data == nullptr && codes.data == nullptr; }
  int32_t rows() const { return has_codes() ? codes.n : packed.n; }
  int32_t cols() const { return has_codes() ? codes.k : packed.k; }
  // Bytes of the packed data, row sums or group scales and zeros, and row scales.
  uint64_t bytes() const;
  // Row r as int8 values [k] (gathered from the packed layout; per channel only).
  void Row(int32_t r, int8_t* out) const;
};

// Quantizes every row of w: scale = max|row| / 127 (an all-zero row gets scale 0 and q = 0),
// q = round-half-away(value / scale). Rows are split over n_threads.
Int8Matrix QuantizeWeight(const Weight& w, int32_t n_threads);

}  // namespace ingot
