// The integer forward pass's KV cache: for each (layer, KV head), one key and one int8 value per
// position, each with a dyadic scale. A key is int8, or with small heads (head_dim <=
// kMaxHeadDimForWideKeys) about 15 bits as two int8 planes (kernels/ref/quantize_row.h: key =
// 255 * high + low): the error of an int8 q.k grows as the head narrows. Measured (mean KLD
// against FP32): stories260K (head_dim 8) 0.00319 with int8 keys, 0.00160 with two planes;
// docs-llama-7m (48) 0.000228 and 0.000225; docs-gpt2-7m (32) the same either way. The second
// plane costs a second q.k GEMM and half as much cache again, so only small heads get it.
// Laid out for the kernels that read it:
//   keys    each plane in the kernels' packed layout with positions as rows (packed_weights.h),
//           so the dots of a query head group with every key are one GEMM a plane; plus each
//           key's sum
//   values  interleaved by 4 rows (kernels/ref/weighted_sum.h), as WeightedSumS8 reads them
// Head-major, so one head's positions are contiguous. One such cache per sequence (n_seq: the
// server's slots), each of n_ctx positions. Sized once; integer-only (the no-float test
// disassembles it with forward_int8.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/dyadic.h"
#include "kernels/packed_weights.h"

namespace ingot {

inline constexpr int32_t kMaxHeadDimForWideKeys = 16;

class Int8KvCache {
 public:
  Int8KvCache(int32_t n_seq, int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim);

  // Whether keys of this head size have the low plane (the forward pass gives their queries one too).
  static bool WideKeys(int32_t head_dim) { return head_dim <= kMaxHeadDimForWideKeys; }
  bool wide_keys() const { return key_planes_ == 2; }

  enum KeyPlane : int32_t { kHigh = 0, kLow = 1 };
  // One plane of the keys of positions [0, n_positions) of KV head g of a layer of sequence
  // seq, as GEMM weights [n_positions, head_dim].
  kernels::PackedS8Weights Keys(int32_t seq, int32_t layer, int32_t g, KeyPlane plane, int32_t n_positions) const {
    const int64_t at = key_planes_ * Head(seq, layer, g) + plane;
    kernels::PackedS8Weights keys;
    keys.data = keys_.data() + at * key_rows_ * key_cols_;
    keys.row_sums = key_sums_.data() + at * key_rows_;
    keys.n = n_positions;
    keys.k = head_dim_;
    keys.n_pad = static_cast<int32_t>(kernels::PackedS8RowSumCount(n_positions));
    keys.k_pad = key_cols_;
    return keys;
  }
  // [n_ctx rounded up to 4, head_dim] interleaved by 4 rows.
  const int8_t* Values(int32_t seq, int32_t layer, int32_t g) const {
    return values_.data() + Head(seq, layer, g) * value_rows_ * head_dim_;
  }
  const kernels::Dyadic* KeyScales(int32_t seq, int32_t layer, int32_t g) const {  // [n_ctx]
    return key_scales_.data() + Head(seq, layer, g) * n_ctx_;
  }
  const kernels::Dyadic* ValueScales(int32_t seq, int32_t layer, int32_t g) const {  // [n_ctx]
    return value_scales_.data() + Head(seq, layer, g) * n_ctx_;
  }

  // Position pos of KV head g of a layer of sequence seq: the key's planes key_high, key_low [head_dim] (key_low
  // only with wide keys, else unread) with their scale, value_s8 [head_dim] with its scale.
  void Store(int32_t seq, int32_t layer, int32_t g, int32_t pos, const int8_t* key_high, const int8_t* key_low,
             kernels::Dyadic key_scale, const int8_t* value_s8, kernels::Dyadic value_scale);

  uint64_t bytes() const;
  // What a cache of that size takes, before it is made (a session's memory check).
  static uint64_t BytesFor(int32_t n_seq, int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim);

 private:
  // Element counts of the arrays below: the one place the constructor and BytesFor size from.
  struct Counts {
    uint64_t keys, key_sums, values, scales;  // scales: each of key_scales_ and value_scales_
  };
  static Counts CountsFor(int32_t n_seq, int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim);

  int64_t Head(int32_t seq, int32_t layer, int32_t g) const {
    return (int64_t{seq} * n_layers_ + layer) * n_kv_heads_ + g;
  }

  int32_t n_layers_, n_kv_heads_, n_ctx_, head_dim_;
  int32_t key_planes_;  // 2 with wide keys, else 1
  int32_t key_rows_;    // n_ctx rounded up to kPackRows
  int32_t key_cols_;    // head_dim rounded up to kPackK
  int32_t value_rows_;  // n_ctx rounded up to 4
  std::vector<int8_t> keys_;                   // [n_seq, n_layers, n_kv_heads, key planes] x packed [key_rows_, key_cols_]
  std::vector<int32_t> key_sums_;              // [n_seq, n_layers, n_kv_heads, key planes, key_rows_]
  std::vector<int8_t> values_;                 // [n_seq, n_layers, n_kv_heads, value_rows_ / 4, head_dim, 4]
  std::vector<kernels::Dyadic> key_scales_;    // [n_seq, n_layers, n_kv_heads, n_ctx]
  std::vector<kernels::Dyadic> value_scales_;  // [n_seq, n_layers, n_kv_heads, n_ctx]
};

}  // namespace ingot
