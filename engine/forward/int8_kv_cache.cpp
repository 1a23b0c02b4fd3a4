// Integer-only, like forward_int8.cpp: a test disassembles this object too.
#include "engine/forward/int8_kv_cache.h"

#include "kernels/ref/weighted_sum.h"

namespace ingot {

namespace {

int32_t RoundUp(int32_t x, int32_t multiple) { return (x + multiple - 1) / multiple * multiple; }

}  // namespace

Int8KvCache::Int8KvCache(int32_t n_seq, int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim)
    : n_layers_(n_layers),
      n_kv_heads_(n_kv_heads),
      n_ctx_(n_ctx),
      head_dim_(head_dim),
      key_planes_(WideKeys(head_dim) ? 2 : 1),
      key_rows_(static_cast<int32_t>(kernels::PackedS8RowSumCount(n_ctx))),
      key_cols_(RoundUp(head_dim, kernels::kPackK)),
      value_rows_(RoundUp(n_ctx, 4)) {
  const Counts counts = CountsFor(n_seq, n_layers, n_kv_heads, n_ctx, head_dim);
  keys_.resize(static_cast<size_t>(counts.keys));
  key_sums_.resize(static_cast<size_t>(counts.key_sums));
  values_.resize(static_cast<size_t>(counts.values));
  key_scales_.resize(static_cast<size_t>(counts.scales));
  value_scales_.resize(static_cast<size_t>(counts.scales));
}

Int8KvCache::Counts Int8KvCache::CountsFor(int32_t n_seq, int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim) {
  // Per head: one or two planes of packed keys and their sums, interleaved values, a key and
  // a value scale a position.
  const uint64_t heads =
      static_cast<uint64_t>(n_seq) * static_cast<uint64_t>(n_layers) * static_cast<uint64_t>(n_kv_heads);
  const uint64_t planes = WideKeys(head_dim) ? 2 : 1;
  const uint64_t key_rows = static_cast<uint64_t>(kernels::PackedS8RowSumCount(n_ctx));
  return Counts{heads * planes * key_rows * static_cast<uint64_t>(RoundUp(head_dim, kernels::kPackK)),
                heads * planes * key_rows,
                heads * static_cast<uint64_t>(RoundUp(n_ctx, 4)) * static_cast<uint64_t>(head_dim),
                heads * static_cast<uint64_t>(n_ctx)};
}

void Int8KvCache::Store(int32_t seq, int32_t layer, int32_t g, int32_t pos, const int8_t* key_high, const int8_t* key_low,
                        kernels::Dyadic key_scale, const int8_t* value_s8, kernels::Dyadic value_scale) {
  const int64_t head = Head(seq, layer, g);
  for (int32_t plane = 0; plane < key_planes_; ++plane) {
    const int8_t* key = plane == kHigh ? key_high : key_low;
    const int64_t at = key_planes_ * head + plane;
    int8_t* keys = keys_.data() + at * key_rows_ * key_cols_;
    int32_t sum = 0;  // |sum| <= 127 * head_dim
    for (int32_t d = 0; d < head_dim_; ++d) {
      keys[kernels::PackedS8Offset(key_cols_, pos, d)] = key[d];
      sum += key[d];
    }
    key_sums_[at * key_rows_ + pos] = sum;
  }
  int8_t* values = values_.data() + head * value_rows_ * head_dim_;
  for (int32_t d = 0; d < head_dim_; ++d) values[kernels::ref::InterleavedOffset(head_dim_, pos, d)] = value_s8[d];
  key_scales_[head * n_ctx_ + pos] = key_scale;
  value_scales_[head * n_ctx_ + pos] = value_scale;
}

uint64_t Int8KvCache::bytes() const {
  return keys_.size() + values_.size() + key_sums_.size() * sizeof(int32_t) +
         (key_scales_.size() + value_scales_.size()) * sizeof(kernels::Dyadic);
}

uint64_t Int8KvCache::BytesFor(int32_t n_seq, int32_t n_layers, int32_t n_kv_heads, int32_t n_ctx, int32_t head_dim) {
  const Counts c = CountsFor(n_seq, n_layers, n_kv_heads, n_ctx, head_dim);
  return c.keys + c.key_sums * sizeof(int32_t) + c.values + 2 * c.scales * sizeof(kernels::Dyadic);
}

}  // namespace ingot
