// The integer-only forward pass. No float or double anywhere in this file.
#include "engine/forward_int8.h"

#include <algorithm>

#include "engine/attention_int8.h"
#include "kernels/fixed_point.h"
#include "kernels/parallel.h"
#include "kernels/ref/sincos.h"
#include "kernels/threaded_ops.h"

namespace ingot {

using kernels::Dyadic;

namespace {

constexpr int32_t kQ16 = 16;
constexpr Dyadic kQ16Scale{kernels::kDyadicOne, 30 + kQ16};  // 2^-16: one LSB of a Q16 value
// The residual stream is shifted right when its magnitude passes 2^29: two branches can then
// be added before int32 could overflow.
constexpr int32_t kResidualMaxBits = 29;
// Below this many multiply-adds an op runs on the calling thread: waking a team costs more.
constexpr int64_t kMinParallelWork = int64_t{1} << 18;
// Attention weights w[p] = P[p] * s_v[p] / s_v_max * 2^8 fit 16 bits (<= 255 * 256); their sum
// stays below 2^31 / 127 for any context up to 2^17 because sum P <= 255 + n / 2.
constexpr int32_t kValueWeightBits = 8;

// x * 2^k as a dyadic (exact: only the exponent moves).
constexpr Dyadic Shifted(Dyadic d, int32_t k) { return Dyadic{d.m, d.e - k}; }

// a < b for normalized non-negative dyadics.
bool DyadicLess(Dyadic a, Dyadic b) {
  if (a.m == 0 || b.m == 0) return a.m == 0 && b.m != 0;
  return a.e != b.e ? a.e > b.e : a.m < b.m;
}

}  // namespace

Int8Forward::Int8Forward(const ModelConfig& config, const Int8Weights& weights, const kernels::KernelTable& table,
                         int32_t n_ctx, int32_t n_batch, int32_t n_threads, bool logits_all, FpModules* fp)
    : c_(config), w_(weights), kt_(table), n_ctx_(n_ctx), n_batch_(n_batch), n_threads_(n_threads), fp_(fp) {
  const size_t half = static_cast<size_t>(c_.rope_dims / 2);
  rope_cos_.resize(static_cast<size_t>(n_ctx_) * half);
  rope_sin_.resize(rope_cos_.size());
  kernels::ref::BuildRopeTablesQ30(w_.rope_freq_turns_q64.data(), static_cast<int32_t>(half), n_ctx_,
                                   rope_cos_.data(), rope_sin_.data());
  const size_t heads_positions = static_cast<size_t>(c_.n_layers) * static_cast<size_t>(c_.n_kv_heads) *
                                 static_cast<size_t>(n_ctx_);
  k_cache_.resize(heads_positions * static_cast<size_t>(c_.head_dim));
  v_cache_.resize(k_cache_.size());
  k_scale_.resize(heads_positions);
  v_scale_.resize(heads_positions);

  const size_t batch = static_cast<size_t>(n_batch_);
  const size_t widest = static_cast<size_t>(std::max({c_.d_model, c_.d_ffn, c_.q_dim()}));
  residual_.resize(batch * static_cast<size_t>(c_.d_model));
  res_scale_.resize(batch);
  wide_.resize(batch * widest);
  act_.resize(batch * widest);
  act_scale_.resize(batch);
  acc_.resize(std::max(batch * widest, (logits_all ? batch : 1) * static_cast<size_t>(c_.n_vocab)));
  q16_.resize(batch * static_cast<size_t>(c_.q_dim()));
  k16_.resize(batch * static_cast<size_t>(c_.kv_dim()));
  v16_.resize(k16_.size());
  q8_.resize(q16_.size());
  q8_scale_.resize(batch * static_cast<size_t>(c_.n_heads));
  gate_.resize(batch * static_cast<size_t>(c_.d_ffn));
  up_.resize(gate_.size());
  row_mult_.resize(batch);
  // A scores row doubles as the head_dim accumulators of P.V, so it holds the larger of the two.
  scratch_stride_ = static_cast<size_t>(std::max(n_ctx_, c_.head_dim));
  scores_.resize(static_cast<size_t>(n_threads_) * scratch_stride_);
  probs_.resize(scores_.size());
}

uint64_t Int8Forward::kv_cache_bytes() const {
  return k_cache_.size() + v_cache_.size() + (k_scale_.size() + v_scale_.size()) * sizeof(Dyadic);
}

// residual[t] = embedding row << 16, with scale s_e[token] * 2^-16.
void Int8Forward::Embed(const int32_t* tokens, int32_t n) {
  const int32_t d = c_.d_model;
  for (int32_t t = 0; t < n; ++t) {
    int8_t* row = act_.data() + static_cast<size_t>(t) * static_cast<size_t>(d);
    w_.token_embd.Row(tokens[t], row);
    int32_t* x = residual_.data() + static_cast<size_t>(t) * static_cast<size_t>(d);
    for (int32_t i = 0; i < d; ++i) x[i] = int32_t{row[i]} * (1 << kQ16);
    res_scale_[static_cast<size_t>(t)] = Shifted(w_.token_embd.scale[tokens[t]], -kQ16);
  }
}

int32_t Int8Forward::ThreadsFor(int64_t work) const { return work >= kMinParallelWork ? n_threads_ : 1; }

// Quantizes rows of Q16-scaled values (real = x * frac_scale) to int8 with a scale per row.
void Int8Forward::QuantizeRows(const int32_t* x, int32_t n, int32_t cols, Dyadic frac_scale) {
  kernels::ThreadedQuantizeRowsS32ToS8(kt_, x, cols, n, cols, act_.data(), cols, act_scale_.data(),
                                       ThreadsFor(int64_t{n} * cols * 8));
  for (int32_t t = 0; t < n; ++t) {
    act_scale_[static_cast<size_t>(t)] = kernels::DyadicMul(frac_scale, act_scale_[static_cast<size_t>(t)]);
  }
}

// RMSNorm of the residual rows, then per-token int8: act_ [n, d_model], act_scale_ [n].
void Int8Forward::NormQuantize(const Int8Norm& norm, NormSite site, int32_t layer, int32_t n) {
  const int32_t d = c_.d_model;
  if (fp_ != nullptr && fp_->set().norm) {
    for (int32_t t = 0; t < n; ++t) {
      fp_->NormQuantize(site, layer, residual_.data() + static_cast<size_t>(t) * static_cast<size_t>(d),
                        res_scale_[static_cast<size_t>(t)], act_.data() + static_cast<size_t>(t) * static_cast<size_t>(d),
                        &act_scale_[static_cast<size_t>(t)]);
    }
    return;
  }
  for (int32_t t = 0; t < n; ++t) {
    const Dyadic s = res_scale_[static_cast<size_t>(t)];
    const Dyadic eps_lsb = kernels::DyadicDiv(w_.norm_eps, kernels::DyadicMul(s, s));  // eps in (LSB of x)^2
    kt_.rms_norm_s32(residual_.data() + static_cast<size_t>(t) * static_cast<size_t>(d), d, eps_lsb,
                    norm.gamma.data(), norm.gamma_shift, wide_.data() + static_cast<size_t>(t) * static_cast<size_t>(d));
  }
  QuantizeRows(wide_.data(), n, d, norm.out_scale);
}

// acc [n, w.rows] = act_ [n, w.cols] x W^T.
void Int8Forward::MatMul(const Int8Matrix& w, int32_t n, int32_t* acc) {
  const int32_t threads = ThreadsFor(int64_t{n} * w.rows() * w.cols());
  if (n == 1) {
    kernels::ThreadedGemvS8(kt_, w.packed, act_.data(), acc, threads);
  } else {
    kernels::ThreadedGemmS8(kt_, act_.data(), w.cols(), n, w.packed, acc, w.rows(), threads);
  }
}

// out [n, w.rows] = real value of acc in Q16: acc * s_x[t] * 2^16 * s_w[col], one rounding.
void Int8Forward::ToQ16(const int32_t* acc, const Int8Matrix& w, int32_t n, int32_t* out) {
  for (int32_t t = 0; t < n; ++t) row_mult_[static_cast<size_t>(t)] = Shifted(act_scale_[static_cast<size_t>(t)], kQ16);
  kt_.requantize_s32_to_s32(acc, w.rows(), n, w.rows(), row_mult_.data(), w.scale, out, w.rows());
}

// residual += (act_ x W^T) in the residual's units, then keeps the residual under 2^29.
void Int8Forward::AddToResidual(const Int8Matrix& w, int32_t n) {
  const int32_t d = c_.d_model;
  MatMul(w, n, acc_.data());
  for (int32_t t = 0; t < n; ++t) {
    row_mult_[static_cast<size_t>(t)] =
        kernels::DyadicDiv(act_scale_[static_cast<size_t>(t)], res_scale_[static_cast<size_t>(t)]);
  }
  kt_.requantize_s32_to_s32(acc_.data(), d, n, d, row_mult_.data(), w.scale, wide_.data(), d);
  for (int32_t t = 0; t < n; ++t) {
    int32_t* x = residual_.data() + static_cast<size_t>(t) * static_cast<size_t>(d);
    const int32_t* b = wide_.data() + static_cast<size_t>(t) * static_cast<size_t>(d);
    uint32_t amax = 0;
    for (int32_t i = 0; i < d; ++i) {
      x[i] = kernels::SaturateToS32(int64_t{x[i]} + b[i]);
      amax = std::max(amax, static_cast<uint32_t>(x[i] < 0 ? -int64_t{x[i]} : x[i]));
    }
    const int32_t shift = kernels::BitLength(amax) - kResidualMaxBits;
    if (shift > 0) {
      for (int32_t i = 0; i < d; ++i) x[i] = static_cast<int32_t>(kernels::RoundingShiftRight64(x[i], shift));
      res_scale_[static_cast<size_t>(t)] = Shifted(res_scale_[static_cast<size_t>(t)], shift);
    }
  }
}

// One query head of token t at position pos against the cache: writes head_dim Q16 values.
void Int8Forward::AttendOne(int32_t layer, int32_t t, int32_t h, int32_t pos, int32_t workers, int32_t* out_q16) {
  const int32_t hd = c_.head_dim;
  const int32_t g = h / (c_.n_heads / c_.n_kv_heads);
  const size_t head_base = (static_cast<size_t>(layer) * static_cast<size_t>(c_.n_kv_heads) + static_cast<size_t>(g)) *
                           static_cast<size_t>(n_ctx_);
  const int8_t* keys = k_cache_.data() + head_base * static_cast<size_t>(hd);    // [n_ctx, hd]
  const int8_t* values = v_cache_.data() + head_base * static_cast<size_t>(hd);  // [n_ctx, hd]
  const Dyadic* k_scale = k_scale_.data() + head_base;                           // [n_ctx]
  const Dyadic* v_scale = v_scale_.data() + head_base;                           // [n_ctx]
  const int8_t* q = q8_.data() + (static_cast<size_t>(t) * static_cast<size_t>(c_.n_heads) + static_cast<size_t>(h)) *
                                     static_cast<size_t>(hd);
  const int32_t n = pos + 1;
  // Scratch of the worker running this task (see Attention).
  const size_t worker = static_cast<size_t>((t * c_.n_heads + h) % workers);
  int32_t* scores = scores_.data() + worker * scratch_stride_;
  uint8_t* probs = probs_.data() + worker * scratch_stride_;

  const Dyadic q_scale = q8_scale_[static_cast<size_t>(t) * static_cast<size_t>(c_.n_heads) + static_cast<size_t>(h)];
  if (fp_ != nullptr && fp_->set().softmax) {
    fp_->AttendInt8(q, q_scale, keys, k_scale, values, v_scale, n, out_q16);
    return;
  }
  // Scores q.k[p] * s_q * s_k[p] / sqrt(head_dim), in Q16.
  for (int32_t p = 0; p < n; ++p) scores[p] = DotS8(q, keys + static_cast<size_t>(p) * static_cast<size_t>(hd), hd);
  const Dyadic q_mult = Shifted(kernels::DyadicMul(q_scale, w_.inv_sqrt_head_dim), kQ16);
  kt_.requantize_s32_to_s32(scores, n, 1, n, &q_mult, k_scale, scores, n);
  kt_.softmax_s32_to_u8(scores, n, kQ16Scale, probs);

  // P.V with each position's value scale folded into its weight: w[p] = P[p] * s_v[p] / s_max * 2^8.
  Dyadic s_max = v_scale[0];
  for (int32_t p = 1; p < n; ++p) {
    if (DyadicLess(s_max, v_scale[p])) s_max = v_scale[p];
  }
  int32_t* acc = scores;  // the scores are no longer needed: reuse as [hd] accumulators
  std::fill_n(acc, hd, 0);
  // One reciprocal per head, then a multiply per position (a division per position costs more
  // than the rest of the attention). s_v[p] / s_max <= 1, so weight <= 255 * 2^8.
  const Dyadic inv_max = Shifted(kernels::DyadicDiv(kernels::DyadicOne(), s_max), kValueWeightBits);
  for (int32_t p = 0; p < n; ++p) {
    if (probs[p] == 0) continue;
    const int32_t weight = static_cast<int32_t>(kernels::MultiplyByDyadic(probs[p], kernels::DyadicMul(v_scale[p], inv_max)));
    AccumulateWeightedS8(acc, weight, values + static_cast<size_t>(p) * static_cast<size_t>(hd), hd);
  }
  // Real value of acc: acc * s_max / (255 * 2^8); to Q16.
  const Dyadic out_mult = kernels::DyadicMul(s_max, kernels::DyadicFromRatio(uint64_t{1} << kQ16, 255u << kValueWeightBits));
  for (int32_t i = 0; i < hd; ++i) out_q16[i] = kernels::SaturateToS32(kernels::MultiplyByDyadic(acc[i], out_mult));
}

// q16_, k16_, v16_ (Q16) -> RoPE -> int8 per head; k, v into the cache; attention output to act_.
void Int8Forward::Attention(int32_t layer, int32_t n, int32_t n_past) {
  const int32_t hd = c_.head_dim;
  const int32_t half = c_.rope_dims / 2;
  for (int32_t t = 0; t < n; ++t) {
    const int32_t pos = n_past + t;
    const int32_t* cos = rope_cos_.data() + static_cast<size_t>(pos) * static_cast<size_t>(half);
    const int32_t* sin = rope_sin_.data() + static_cast<size_t>(pos) * static_cast<size_t>(half);
    int32_t* q = q16_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.q_dim());
    int32_t* k = k16_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.kv_dim());
    const int32_t* v = v16_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.kv_dim());
    if (fp_ != nullptr && fp_->set().rope) {
      fp_->Rope(q, c_.n_heads, pos);
      fp_->Rope(k, c_.n_kv_heads, pos);
    } else {
      kt_.rope_s32(q, c_.n_heads, hd, c_.rope_dims, cos, sin, kernels::RopeLayout::kInterleaved);
      kt_.rope_s32(k, c_.n_kv_heads, hd, c_.rope_dims, cos, sin, kernels::RopeLayout::kInterleaved);
    }
    if (fp_ != nullptr && fp_->set().kv) {
      fp_->StoreKv(layer, pos, k, v);
      continue;  // q, k, v stay at full precision: no int8 copies
    }
    for (int32_t h = 0; h < c_.n_heads; ++h) {
      const size_t i = static_cast<size_t>(t) * static_cast<size_t>(c_.n_heads) + static_cast<size_t>(h);
      q8_scale_[i] = Shifted(kt_.quantize_row_s32_to_s8(q + h * hd, hd, q8_.data() + i * static_cast<size_t>(hd)), -kQ16);
    }
    for (int32_t g = 0; g < c_.n_kv_heads; ++g) {
      const size_t slot = (static_cast<size_t>(layer) * static_cast<size_t>(c_.n_kv_heads) + static_cast<size_t>(g)) *
                              static_cast<size_t>(n_ctx_) + static_cast<size_t>(pos);
      k_scale_[slot] = Shifted(kt_.quantize_row_s32_to_s8(k + g * hd, hd, k_cache_.data() + slot * static_cast<size_t>(hd)), -kQ16);
      v_scale_[slot] = Shifted(kt_.quantize_row_s32_to_s8(v + g * hd, hd, v_cache_.data() + slot * static_cast<size_t>(hd)), -kQ16);
    }
  }
  // Tasks (t, h) go to n_threads workers round-robin; a worker owns one scratch row.
  const int32_t n_tasks = n * c_.n_heads;
  const int32_t workers = std::min(ThreadsFor(int64_t{n_tasks} * (n_past + n) * hd * 2), n_tasks);
  kernels::ParallelFor(workers, 1, workers, [&](int32_t begin, int32_t end) {
    for (int32_t worker = begin; worker < end; ++worker) {
      for (int32_t task = worker; task < n_tasks; task += workers) {
        const int32_t t = task / c_.n_heads;
        const int32_t h = task % c_.n_heads;
        int32_t* out = wide_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.q_dim()) +
                       static_cast<size_t>(h) * static_cast<size_t>(hd);
        if (fp_ != nullptr && fp_->set().kv) {
          fp_->AttendFloatKv(layer, h, n_past + t,
                             q16_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.q_dim()) +
                                 static_cast<size_t>(h) * static_cast<size_t>(hd),
                             out);
        } else {
          AttendOne(layer, t, h, n_past + t, workers, out);
        }
      }
    }
  });
  QuantizeRows(wide_.data(), n, c_.q_dim(), kQ16Scale);
}

void Int8Forward::Forward(const int32_t* tokens, int32_t n, int32_t n_past, bool all_logits, int32_t* logits) {
  Embed(tokens, n);
  for (int32_t l = 0; l < c_.n_layers; ++l) {
    if (fp_ != nullptr && fp_->set().layers[static_cast<size_t>(l)]) {
      for (int32_t t = 0; t < n; ++t) {
        fp_->Layer(l, n_past + t, residual_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.d_model),
                   &res_scale_[static_cast<size_t>(t)]);
      }
      continue;
    }
    const Int8Layer& layer = w_.layers[static_cast<size_t>(l)];
    NormQuantize(layer.attn_norm, NormSite::kAttention, l, n);
    MatMul(layer.attn_q, n, acc_.data());
    ToQ16(acc_.data(), layer.attn_q, n, q16_.data());
    MatMul(layer.attn_k, n, acc_.data());
    ToQ16(acc_.data(), layer.attn_k, n, k16_.data());
    MatMul(layer.attn_v, n, acc_.data());
    ToQ16(acc_.data(), layer.attn_v, n, v16_.data());
    Attention(l, n, n_past);
    AddToResidual(layer.attn_output, n);

    NormQuantize(layer.ffn_norm, NormSite::kFfn, l, n);
    MatMul(layer.ffn_gate, n, acc_.data());
    ToQ16(acc_.data(), layer.ffn_gate, n, gate_.data());
    MatMul(layer.ffn_up, n, acc_.data());
    ToQ16(acc_.data(), layer.ffn_up, n, up_.data());
    const size_t count = static_cast<size_t>(n) * static_cast<size_t>(c_.d_ffn);
    if (fp_ != nullptr && fp_->set().act) {
      fp_->SwiGlu(gate_.data(), up_.data(), static_cast<int64_t>(count));
    } else {
      kt_.silu_s32(gate_.data(), static_cast<int32_t>(count), kQ16Scale, gate_.data());
      for (size_t i = 0; i < count; ++i) {
        // silu(g) * u: Q16 x Q16 -> Q16.
        gate_[i] = kernels::SaturateToS32(kernels::RoundingShiftRight64(int64_t{gate_[i]} * up_[i], kQ16));
      }
    }
    QuantizeRows(gate_.data(), n, c_.d_ffn, kQ16Scale);
    AddToResidual(layer.ffn_down, n);
  }
  if (logits == nullptr) return;
  // Only the rows whose logits are wanted go through the final norm and the output matrix.
  const int32_t first = all_logits ? 0 : n - 1;
  const int32_t rows = n - first;
  if (first > 0) {
    std::copy_n(residual_.data() + static_cast<size_t>(first) * static_cast<size_t>(c_.d_model),
                static_cast<size_t>(c_.d_model), residual_.data());
    res_scale_[0] = res_scale_[static_cast<size_t>(first)];
  }
  if (fp_ != nullptr && fp_->set().lm_head) {
    for (int32_t t = 0; t < rows; ++t) {
      fp_->LmHead(residual_.data() + static_cast<size_t>(t) * static_cast<size_t>(c_.d_model),
                  res_scale_[static_cast<size_t>(t)], logits + static_cast<size_t>(t) * static_cast<size_t>(c_.n_vocab));
    }
    return;
  }
  NormQuantize(w_.output_norm, NormSite::kOutput, 0, rows);
  MatMul(*w_.output, rows, acc_.data());
  ToQ16(acc_.data(), *w_.output, rows, logits);
}

}  // namespace ingot
