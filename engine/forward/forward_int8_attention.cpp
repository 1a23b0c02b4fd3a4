// The integer forward pass's attention: q/k norms, RoPE, int8 heads into the KV cache, and each
// KV head group's scores, u16 probabilities and P.V. No float or double anywhere in this file.
#include <algorithm>

#include "engine/forward/forward_int8.h"
#include "engine/forward/forward_int8_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantize_row.h"
#include "kernels/threaded_ops.h"

namespace ingot {

using kernels::Dyadic;
using namespace int8_forward;  // NOLINT: the pass's own constants and helpers

// The query heads of KV head g (token t, at place) against its sequence's cache: head_dim Q16
// values per query head into out_q16 (consecutive heads). worker picks the scratch rows.
void Int8Forward::AttendGroup(int32_t layer, int32_t t, int32_t g, TokenPlace place, int32_t worker,
                              int32_t* out_q16) {
  const int32_t seq = place.seq;
  const int32_t pos = place.pos;
  const int32_t hd = c_.head_dim;
  const int32_t group = c_.n_heads / c_.n_kv_heads;
  const int32_t first_head = t * c_.n_heads + g * group;  // row of q8_ [n_batch * n_heads, head_dim]
  const int32_t n = pos + 1;
  // A sliding-window layer sees positions [first, pos] only. The work starts at the key block
  // holding first (packed keys and the values' groups of 4 start there); the positions before
  // first in it get probability 0. From the dots on, index i stands for position begin + i.
  const int32_t first = c_.first_visible(layer, pos);
  const int32_t begin = first / kernels::kPackRows * kernels::kPackRows;
  const int32_t masked = first - begin;
  const int32_t n_seen = n - begin;
  const int8_t* values = kv_.Values(seq, layer, g) + int64_t{begin} * hd;  // interleaved by 4
  const Dyadic* k_scale = kv_.KeyScales(seq, layer, g) + begin;
  const Dyadic* v_scale = kv_.ValueScales(seq, layer, g) + begin;
  int32_t* scores = Row(scores_, worker * group, n_ctx_);  // [group, n_ctx]
  const bool wide = kv_.wide_keys();  // keys in two planes
  int32_t* scores_low = wide ? Row(scores_low_, worker * group, n_ctx_) : nullptr;  // [group, n_ctx]
  uint16_t* probs = Row(probs_, worker * group, n_ctx_) + begin;  // [group, n_ctx]
  Dyadic* factors = Row(factors_, worker, n_ctx_) + begin;        // [n_ctx]

  // Dots q.k[p] of the group's query heads with every cached key: a GEMM against each packed
  // plane of the keys; with wide keys q.k = 255 q.high + q.low. Their queries have two planes
  // too, q = 255 q_high + q_low: each plane's dots are combined first, exactly (|dot| <=
  // 127 * 127 * 16, so 255 * dot + dot < 2^31), into high = 255 q_high.k_high + q_low.k_high and
  // low = 255 q_high.k_low + q_low.k_low, and q.k = 255 high + low as before.
  const int8_t* q8 = Row(q8_, first_head, hd);
  const Int8KvCache::KeyPlane planes[2] = {Int8KvCache::kHigh, Int8KvCache::kLow};
  int32_t* dots[2] = {scores, scores_low};
  for (int32_t k_plane = 0; k_plane < (wide ? 2 : 1); ++k_plane) {
    kt_.gemm_s8(q8, hd, group, kv_.Keys(seq, layer, g, planes[k_plane], n), begin, n, dots[k_plane], n_ctx_);
    if (!wide) continue;
    int32_t* q_low_dots = Row(scores_q_low_, worker * group, n_ctx_);  // [group, n_ctx]
    kt_.gemm_s8(Row(q8_low_, first_head, hd), hd, group, kv_.Keys(seq, layer, g, planes[k_plane], n), begin, n,
                q_low_dots, n_ctx_);
    for (int32_t i = 0; i < group; ++i) {
      int32_t* d = Row(dots[k_plane], i, n_ctx_);
      const int32_t* d_low = Row(q_low_dots, i, n_ctx_);
      for (int32_t p = begin; p < n; ++p) d[p] = kernels::ref::kPairRadix * d[p] + d_low[p];
    }
  }
  scores += begin;
  if (wide) scores_low += begin;
  if (fp_ != nullptr && fp_->set().softmax) {
    for (int32_t i = 0; i < group; ++i) {
      fp_->AttendInt8(Row(scores, i, n_ctx_), wide ? Row(scores_low, i, n_ctx_) : nullptr, q8_scale_[first_head + i],
                      k_scale, values, v_scale, n_seen, masked, Row(out_q16, i, hd));
    }
    return;
  }
  // Scores q.k[p] * s_q * s_k[p] / sqrt(head_dim) in Q16 (with wide keys each plane's dots are
  // brought to Q16, then added), then u16 probabilities.
  for (int32_t i = 0; i < group; ++i) {
    int32_t* row = Row(scores, i, n_ctx_);
    const Dyadic q_mult = Shifted(kernels::DyadicMul(q8_scale_[first_head + i], w_.inv_sqrt_head_dim), kQ16);
    if (wide) {
      int32_t* low = Row(scores_low, i, n_ctx_);
      const Dyadic high_mult = kernels::DyadicMul(q_mult, kernels::DyadicFromRatio(kernels::ref::kPairRadix, 1));
      kt_.requantize_s32_to_s32(row, n_seen, 1, n_seen, &high_mult, k_scale, row, n_seen);
      kt_.requantize_s32_to_s32(low, n_seen, 1, n_seen, &q_mult, k_scale, low, n_seen);
      for (int32_t p = 0; p < n_seen; ++p) row[p] = kernels::SaturateToS32(int64_t{row[p]} + low[p]);
    } else {
      kt_.requantize_s32_to_s32(row, n_seen, 1, n_seen, &q_mult, k_scale, row, n_seen);
    }
    uint16_t* p_row = Row(probs, i, n_ctx_);
    std::fill_n(p_row, masked, uint16_t{0});
    kt_.softmax_s32_to_u16(row + masked, n_seen - masked, kQ16Scale, p_row + masked);
  }

  // P.V with each position's value scale folded into its weight: w[p] = P[p] * s_v[p] / s_max,
  // from one factor s_v[p] / s_max per position, shared by the group (a division per position
  // would cost more than the rest of the attention). s_v[p] / s_max <= 1, so w[p] <= 65535.
  Dyadic s_max = v_scale[masked];
  for (int32_t p = masked + 1; p < n_seen; ++p) {
    if (DyadicLess(s_max, v_scale[p])) s_max = v_scale[p];
  }
  const Dyadic inv_max = kernels::DyadicDiv(kernels::DyadicOne(), s_max);
  for (int32_t p = 0; p < n_seen; ++p) factors[p] = p < masked ? Dyadic{0, 0} : kernels::DyadicMul(v_scale[p], inv_max);
  for (int32_t i = 0; i < group; ++i) {
    const uint16_t* from = Row(probs, i, n_ctx_);
    int32_t* to = Row(scores, i, n_ctx_);
    for (int32_t p = 0; p < n_seen; ++p) to[p] = from[p];
  }
  kt_.requantize_s32_to_s32(scores, n_ctx_, group, n_seen, nullptr, factors, scores, n_ctx_);  // now the weights
  // Real value of the sums: acc * s_max / kProbOne; to Q16.
  const Dyadic out_mult = kernels::DyadicMul(s_max, kernels::DyadicFromRatio(uint64_t{1} << kQ16, kProbOne));
  for (int32_t i = 0; i < group; ++i) {
    int32_t* out = Row(out_q16, i, hd);
    kt_.weighted_sum_s8(Row(scores, i, n_ctx_), values, n_seen, hd, out);
    for (int32_t d = 0; d < hd; ++d) out[d] = kernels::SaturateToS32(kernels::MultiplyByDyadic(out[d], out_mult));
  }
}

// A Q16 query or key head -> int8, or with small heads (the cache's wide keys) two int8 planes,
// high and low (kernels/ref/quantize_row.h); returns its real scale. Once per token and head, so
// the reference pair kernel serves every ISA.
Dyadic Int8Forward::QuantizeHead(const int32_t* x, int8_t* high, int8_t* low) {
  const int32_t hd = c_.head_dim;
  return Shifted(kv_.wide_keys() ? kernels::ref::QuantizeRowS32ToS8Pair(x, hd, high, low)
                                 : kt_.quantize_row_s32_to_s8(x, hd, high),
                 -kQ16);
}

// Each of n_heads Q16 head rows [n_heads, head_dim] RMSNormed by norm, in place, back in Q16
// (Qwen 3's and Gemma 3's q/k norms).
void Int8Forward::HeadNorm(const Int8Norm& norm, int32_t* heads, int32_t n_heads) {
  for (int32_t h = 0; h < n_heads; ++h) RmsNormQ16(norm, Row(heads, h, c_.head_dim), c_.head_dim, kQ16Scale, head_.data());
}

// q16_, k16_, v16_ (Q16) -> q/k norms -> RoPE -> int8 per head; k, v into the cache; attention
// output to act_.
void Int8Forward::Attention(const Int8Layer& weights, int32_t layer, const TokenPlace* places, int32_t n) {
  const int32_t hd = c_.head_dim;
  const int32_t half = c_.rope_dims / 2;
  const kernels::RopeLayout rope_layout = c_.rope_neox ? kernels::RopeLayout::kHalves : kernels::RopeLayout::kInterleaved;
  for (int32_t t = 0; t < n; ++t) {
    const int32_t pos = places[t].pos;
    const bool local = c_.local_layer(layer);  // a sliding-window layer's RoPE
    const int32_t* cos = half > 0 ? Row(local ? rope_local_cos_ : rope_cos_, pos, half) : nullptr;
    const int32_t* sin = half > 0 ? Row(local ? rope_local_sin_ : rope_sin_, pos, half) : nullptr;
    int32_t* q = Row(q16_, t, c_.q_dim());
    int32_t* k = Row(k16_, t, c_.kv_dim());
    const int32_t* v = Row(v16_, t, c_.kv_dim());
    if (c_.qk_norm) {
      HeadNorm(weights.attn_q_norm, q, c_.n_heads);
      HeadNorm(weights.attn_k_norm, k, c_.n_kv_heads);
    }
    if (half == 0) {
      // no RoPE (gpt2)
    } else if (fp_ != nullptr && fp_->set().rope) {
      fp_->Rope(q, c_.n_heads, pos, local);
      fp_->Rope(k, c_.n_kv_heads, pos, local);
    } else {
      kt_.rope_s32(q, c_.n_heads, hd, c_.rope_dims, cos, sin, rope_layout);
      kt_.rope_s32(k, c_.n_kv_heads, hd, c_.rope_dims, cos, sin, rope_layout);
    }
    if (fp_ != nullptr && fp_->set().kv) {
      fp_->StoreKv(layer, pos, k, v);  // one sequence (Session)
      continue;  // q, k, v stay at full precision: no int8 copies
    }
    for (int32_t h = 0; h < c_.n_heads; ++h) {
      const int32_t head = t * c_.n_heads + h;  // row of q8_ [n_batch * n_heads, head_dim]
      q8_scale_[head] = QuantizeHead(Row(q, h, hd), Row(q8_, head, hd), Row(q8_low_, head, hd));
    }
    for (int32_t g = 0; g < c_.n_kv_heads; ++g) {
      const Dyadic k_scale = QuantizeHead(Row(k, g, hd), k8_.data(), k8_low_.data());
      const Dyadic v_scale = Shifted(kt_.quantize_row_s32_to_s8(Row(v, g, hd), hd, v8_.data()), -kQ16);
      kv_.Store(places[t].seq, layer, g, pos, k8_.data(), k8_low_.data(), k_scale, v8_.data(), v_scale);
    }
  }
  // Tasks (t, KV head) go to n_threads workers round-robin; a worker owns one set of scratch rows.
  const int32_t group = c_.n_heads / c_.n_kv_heads;
  const int32_t n_tasks = n * c_.n_kv_heads;
  const int32_t workers = std::min(ThreadsFor(AttendedPositions(places, n) * c_.n_heads * hd * 2), n_tasks);
  kernels::ParallelFor(workers, 1, workers, [&](int32_t begin, int32_t end) {
    for (int32_t worker = begin; worker < end; ++worker) {
      for (int32_t task = worker; task < n_tasks; task += workers) {
        const int32_t t = task / c_.n_kv_heads;
        const int32_t g = task % c_.n_kv_heads;
        // q16_ and the output (wide_) as [n, n_heads, head_dim]: this group's query heads.
        const int32_t first_head = t * c_.n_heads + g * group;
        if (fp_ != nullptr && fp_->set().kv) {
          for (int32_t i = 0; i < group; ++i) {
            fp_->AttendFloatKv(layer, g * group + i, places[t].pos, Row(q16_, first_head + i, hd),
                               Row(wide_, first_head + i, hd));
          }
        } else {
          AttendGroup(layer, t, g, places[t], worker, Row(wide_, first_head, hd));
        }
      }
    }
  });
  QuantizeRows(wide_.data(), n, c_.q_dim(), kQ16Scale);
}

}  // namespace ingot
