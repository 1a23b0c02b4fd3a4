// The integer forward pass's KV cache: for each (layer, KV head), one int8 key and one int8
// value per position, each with a dyadic scale. Laid out for the kernels that read it:
//   keys    the kernels' packed layout with positions as rows (packed_weights.h), so the dots
//           of a query head group with every key are one GEMM; plus each key's sum
//   values  interleaved by 4 rows (kernels/ref/weighted_sum.h), as WeightedSumS8 reads them
// Head-major, so one head's positions are contiguous. Sized once; integer-only (the no-float
// test disassembles it with forward_int8.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/dyadic.h"
#include "kernels/packed_weights.h"

namespace ingot {

class Int8KvCache {
 public:
  Int8KvCache(int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim);

  // Keys of positions [0, n_positions) of KV head g of a layer, as GEMM weights
  // [n_positions, head_dim].
  kernels::PackedS8Weights Keys(int32_t layer, int32_t g, int32_t n_positions) const {
    kernels::PackedS8Weights keys;
    keys.data = keys_.data() + Head(layer, g) * key_rows_ * key_cols_;
    keys.row_sums = key_sums_.data() + Head(layer, g) * key_rows_;
    keys.n = n_positions;
    keys.k = head_dim_;
    keys.n_pad = static_cast<int32_t>(kernels::PackedS8RowSumCount(n_positions));
    keys.k_pad = key_cols_;
    return keys;
  }
  // [n_ctx rounded up to 4, head_dim] interleaved by 4 rows.
  const int8_t* Values(int32_t layer, int32_t g) const {
    return values_.data() + Head(layer, g) * value_rows_ * head_dim_;
  }
  const kernels::Dyadic* KeyScales(int32_t layer, int32_t g) const {  // [n_ctx]
    return key_scales_.data() + Head(layer, g) * n_ctx_;
  }
  const kernels::Dyadic* ValueScales(int32_t layer, int32_t g) const {  // [n_ctx]
    return value_scales_.data() + Head(layer, g) * n_ctx_;
  }

  // Position pos of KV head g of a layer: key_s8, value_s8 [head_dim] with their scales.
  void Store(int32_t layer, int32_t g, int32_t pos, const int8_t* key_s8, kernels::Dyadic key_scale,
             const int8_t* value_s8, kernels::Dyadic value_scale);

  uint64_t bytes() const;
  // What a cache of that size takes, before it is made (a session's memory check).
  static uint64_t BytesFor(int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim);

 private:
  int64_t Head(int32_t layer, int32_t g) const { return int64_t{layer} * n_kv_heads_ + g; }

  int32_t n_kv_heads_, n_ctx_, head_dim_;
  int32_t key_rows_;    // n_ctx rounded up to kPackRows
  int32_t key_cols_;    // head_dim rounded up to kPackK
  int32_t value_rows_;  // n_ctx rounded up to 4
  std::vector<int8_t> keys_;                   // [n_layers, n_kv_heads] x packed [key_rows_, key_cols_]
  std::vector<int32_t> key_sums_;              // [n_layers, n_kv_heads, key_rows_]
  std::vector<int8_t> values_;                 // [n_layers, n_kv_heads, value_rows_ / 4, head_dim, 4]
  std::vector<kernels::Dyadic> key_scales_;    // [n_layers, n_kv_heads, n_ctx]
  std::vector<kernels::Dyadic> value_scales_;  // [n_layers, n_kv_heads, n_ctx]
};

}  // namespace ingot
