// The integer-only forward pass. No float or double anywhere in this file.
#include "engine/forward/forward_int8.h"

#include <algorithm>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "engine/forward/forward_int8_internal.h"
#include "kernels/fixed_point.h"
#include "kernels/parallel.h"
#include "kernels/ref/quantize_row.h"
#include "kernels/ref/sincos.h"
#include "kernels/threaded_ops.h"

namespace ingot {

using kernels::Dyadic;

using namespace int8_forward;  // NOLINT: the pass's own constants and helpers

template <typename F>
void Int8Forward::ForEachBuffer(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch,
                                int32_t n_threads, bool logits_all, F&& f) {
  const int32_t half = c.rope_dims / 2;  // 0 for gpt2 (learned positions instead)
  f(&Int8Forward::rope_cos_, Elements(n_ctx, half));
  f(&Int8Forward::rope_sin_, Elements(n_ctx, half));
  f(&Int8Forward::rope_local_cos_, Elements(n_ctx, c.sliding_window > 0 ? half : 0));
  f(&Int8Forward::rope_local_sin_, Elements(n_ctx, c.sliding_window > 0 ? half : 0));
  f(&Int8Forward::k8_, Elements(1, c.head_dim));
  f(&Int8Forward::head_, Elements(1, c.qk_norm ? c.head_dim : 0));
  const bool wide_keys = Int8KvCache::WideKeys(c.head_dim);
  f(&Int8Forward::k8_low_, Elements(1, wide_keys ? c.head_dim : 0));
  f(&Int8Forward::v8_, Elements(1, c.head_dim));
  const int32_t widest = std::max({c.d_model, c.d_ffn, c.q_dim()});
  const int32_t fused = std::max(c.q_dim() + 2 * c.kv_dim(), 2 * c.d_ffn);  // attn_qkv, ffn_gate_up
  f(&Int8Forward::residual_, Elements(n_batch, c.d_model));
  f(&Int8Forward::res_scale_, Elements(n_batch, 1));
  f(&Int8Forward::wide_, Elements(n_batch, widest));
  const int32_t logit_rows = std::min(kLogitChunk, logits_all ? n_batch : n_seq);  // per output GEMM, 2 planes each
  f(&Int8Forward::act_, std::max(Elements(n_batch, widest), Elements(2 * logit_rows, c.d_model)));
  f(&Int8Forward::act_scale_, Elements(n_batch, 1));
  f(&Int8Forward::act_shifts_, Elements(n_batch, kernels::ActGroupCount(c.d_ffn)));
  f(&Int8Forward::act_sums_, Elements(n_batch, 1));
  f(&Int8Forward::act_group_sums_, Elements(std::max(n_batch, 2 * logit_rows), kernels::ActGroupCount(widest)));
  f(&Int8Forward::act_group_pairs_,
    Elements(std::max(n_batch, 2 * logit_rows), kernels::CodePairCount(widest, kernels::kMinCodeGroup)));
  f(&Int8Forward::pos8_, Elements(1, c.learned_positions ? c.d_model : 0));
  f(&Int8Forward::acc_, std::max(Elements(n_batch, std::max(widest, fused)), Elements(2 * logit_rows, c.n_vocab)));
  f(&Int8Forward::q16_, Elements(n_batch, c.q_dim()));
  f(&Int8Forward::k16_, Elements(n_batch, c.kv_dim()));
  f(&Int8Forward::v16_, Elements(n_batch, c.kv_dim()));
  f(&Int8Forward::q8_, Elements(n_batch, c.q_dim()));
  f(&Int8Forward::q8_low_, Elements(n_batch, wide_keys ? c.q_dim() : 0));
  f(&Int8Forward::q8_scale_, Elements(n_batch, c.n_heads));
  f(&Int8Forward::gate_, Elements(n_batch, c.d_ffn));
  f(&Int8Forward::up_, Elements(n_batch, c.d_ffn));
  f(&Int8Forward::row_mult_, Elements(n_batch, 1));
  const int32_t group = c.n_heads / c.n_kv_heads;
  f(&Int8Forward::scores_, Elements(int64_t{n_threads} * group, n_ctx));
  f(&Int8Forward::scores_low_, Elements(int64_t{n_threads} * group, wide_keys ? n_ctx : 0));
  f(&Int8Forward::scores_q_low_, Elements(int64_t{n_threads} * group, wide_keys ? n_ctx : 0));
  f(&Int8Forward::probs_, Elements(int64_t{n_threads} * group, n_ctx));
  f(&Int8Forward::factors_, Elements(n_threads, n_ctx));
}

uint64_t Int8Forward::BufferBytesFor(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch,
                                     int32_t n_threads, bool logits_all) {
  uint64_t bytes = 0;
  ForEachBuffer(c, n_seq, n_ctx, n_batch, n_threads, logits_all, [&bytes](auto buffer, size_t n) {
    using Vector = std::remove_reference_t<decltype(std::declval<Int8Forward&>().*buffer)>;
    bytes += static_cast<uint64_t>(n) * sizeof(typename Vector::value_type);
  });
  return bytes;
}

Int8Forward::Int8Forward(const ModelConfig& config, const Int8Weights& weights, const kernels::KernelTable& table,
                         int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads, bool logits_all,
                         FpModules* fp)
    : c_(config),
      w_(weights),
      kt_(table),
      n_ctx_(n_ctx),
      n_batch_(n_batch),
      n_threads_(n_threads),
      fp_(fp),
      kv_(n_seq, config.n_layers, config.n_kv_heads, n_ctx, config.head_dim),
      eps_q16_(kernels::DyadicDiv(weights.norm_eps, kernels::DyadicMul(kQ16Scale, kQ16Scale))) {
  ForEachBuffer(c_, n_seq, n_ctx_, n_batch_, n_threads_, logits_all, [this](auto buffer, size_t n) { (this->*buffer).resize(n); });
  const int32_t half = c_.rope_dims / 2;
  if (half > 0) {
    kernels::ref::BuildRopeTablesQ30(w_.rope_freq_turns_q64.data(), half, n_ctx_, rope_cos_.data(), rope_sin_.data());
    if (!w_.rope_local_turns_q64.empty()) {
      kernels::ref::BuildRopeTablesQ30(w_.rope_local_turns_q64.data(), half, n_ctx_, rope_local_cos_.data(),
                                       rope_local_sin_.data());
    }
  }
}

// residual[t] = embedding row << 16, with scale s_e[token] * 2^-16. With learned positions
// (gpt2) the position row (int8, scale s_p[pos]) joins on the larger scale s = max(s_e, s_p):
// residual = a * (s_a / s) * 2^16 + b * (s_b / s) * 2^16 with scale s * 2^-16. The row with the
// larger scale is shifted exactly; the other gets one rounded dyadic multiply (error <= 1/2 LSB,
// 2^-17 of the larger scale). |residual| <= 2 * 127 * 2^16 < 2^24.
void Int8Forward::Embed(const int32_t* tokens, const TokenPlace* places, int32_t n) {
  const int32_t d = c_.d_model;
  for (int32_t t = 0; t < n; ++t) {
    int8_t* row = Row(act_, t, d);
    w_.token_embd.Row(tokens[t], row);
    int32_t* x = Row(residual_, t, d);
    const Dyadic s_token = w_.token_embd.scale[tokens[t]];
    if (!c_.learned_positions) {
      // The embedding scale (Gemma's sqrt(d_model)) joins the row's scale: exact.
      for (int32_t i = 0; i < d; ++i) x[i] = int32_t{row[i]} * (1 << kQ16);
      res_scale_[t] = kernels::DyadicMul(Shifted(s_token, -kQ16), w_.embed_scale);
      continue;
    }
    const int32_t pos = places[t].pos;
    w_.position_embd.Row(pos, pos8_.data());
    const Dyadic s_pos = w_.position_embd.scale[pos];
    const bool token_larger = !DyadicLess(s_token, s_pos);
    const int8_t* larger = token_larger ? row : pos8_.data();
    const int8_t* smaller = token_larger ? pos8_.data() : row;
    const Dyadic s_max = token_larger ? s_token : s_pos;
    const Dyadic mult = Shifted(kernels::DyadicDiv(token_larger ? s_pos : s_token, s_max), kQ16);  // <= 2^16
    for (int32_t i = 0; i < d; ++i) {
      x[i] = int32_t{larger[i]} * (1 << kQ16) + static_cast<int32_t>(kernels::MultiplyByDyadic(smaller[i], mult));
    }
    res_scale_[t] = Shifted(s_max, -kQ16);
  }
}

int32_t Int8Forward::ThreadsFor(int64_t work) const { return work >= kMinParallelWork ? n_threads_ : 1; }

// Quantizes rows of Q16-scaled values (real = x * frac_scale) to int8 with a scale per row.
void Int8Forward::QuantizeRows(const int32_t* x, int32_t n, int32_t cols, Dyadic frac_scale) {
  kernels::ThreadedQuantizeRowsS32ToS8(kt_, x, cols, n, cols, act_.data(), cols, act_scale_.data(),
                                       ThreadsFor(int64_t{n} * cols * 8));
  for (int32_t t = 0; t < n; ++t) act_scale_[t] = kernels::DyadicMul(frac_scale, act_scale_[t]);
}

// The same to grouped rows (ffn_down's input): act_, act_shifts_, act_sums_, act_scale_.
void Int8Forward::QuantizeRowsGrouped(const int32_t* x, int32_t n, int32_t cols, Dyadic frac_scale) {
  const int32_t groups = kernels::ActGroupCount(cols);
  kernels::ThreadedQuantizeRowsS32ToS8Grouped(kt_, x, cols, n, cols, act_.data(), cols, act_shifts_.data(), groups,
                                              act_sums_.data(), act_scale_.data(), ThreadsFor(int64_t{n} * cols * 8));
  for (int32_t t = 0; t < n; ++t) act_scale_[t] = kernels::DyadicMul(frac_scale, act_scale_[t]);
}

// RMSNorm or LayerNorm (config) of the residual rows, then per-token int8: act_ [n, d_model],
// act_scale_ [n].
void Int8Forward::NormQuantize(const Int8Norm& norm, NormSite site, int32_t layer, int32_t n) {
  const int32_t d = c_.d_model;
  if (fp_ != nullptr && fp_->set().norm) {
    for (int32_t t = 0; t < n; ++t) {
      fp_->NormQuantize(site, layer, Row(residual_, t, d), res_scale_[t], Row(act_, t, d), nullptr, &act_scale_[t]);
    }
    return;
  }
  for (int32_t t = 0; t < n; ++t) Normalize(norm, t, Row(wide_, t, d));
  QuantizeRows(wide_.data(), n, d, norm.out_scale);
}

// RMSNorm or LayerNorm of residual row t -> out [d_model], in norm.out_scale's units.
void Int8Forward::Normalize(const Int8Norm& norm, int32_t t, int32_t* out) {
  const int32_t d = c_.d_model;
  const Dyadic s = res_scale_[t];
  const Dyadic eps_lsb = kernels::DyadicDiv(w_.norm_eps, kernels::DyadicMul(s, s));  // eps in (LSB of x)^2
  const int32_t* x = Row(residual_, t, d);
  if (c_.norm == NormKind::kLayer) {
    // beta is in out_scale's units already (the normalized row's scale is independent of x's).
    kt_.layer_norm_s32(x, d, eps_lsb, norm.gamma.data(), norm.gamma_shift, norm.beta.empty() ? nullptr : norm.beta.data(),
                       out);
  } else {
    kt_.rms_norm_s32(x, d, eps_lsb, norm.gamma.data(), norm.gamma_shift, out);
  }
}

// Q16 logits [rows, n_vocab] of residual rows 0..rows-1: the final norm, then the output matmul
// on a ~15-bit input in two int8 planes (x ~= (kPairRadix * high + low) * step, as small heads'
// keys): at 8 bits its input was the largest single error of stories260K (README). One GEMM over
// [high rows; low rows] reads the weights once; each plane goes to Q16, high's multiplier
// kPairRadix times low's, and the two are added. kLogitChunk rows at a time.
void Int8Forward::Logits(int32_t rows, int32_t* logits) {
  const int32_t d = c_.d_model;
  const Int8Matrix& w = *w_.output;
  const int32_t n_vocab = w.rows();
  const Dyadic radix = kernels::DyadicFromRatio(kernels::ref::kPairRadix, 1);
  for (int32_t r0 = 0; r0 < rows; r0 += kLogitChunk) {
    const int32_t m = std::min(kLogitChunk, rows - r0);
    int8_t* high = act_.data();
    int8_t* low = act_.data() + int64_t{m} * d;
    for (int32_t t = 0; t < m; ++t) {
      if (fp_ != nullptr && fp_->set().norm) {
        fp_->NormQuantize(NormSite::kOutput, 0, Row(residual_, r0 + t, d), res_scale_[r0 + t], Row(high, t, d),
                          Row(low, t, d), &act_scale_[t]);
      } else {
        int32_t* normed = Row(wide_, t, d);
        Normalize(w_.output_norm, r0 + t, normed);
        const Dyadic step = kernels::ref::QuantizeRowS32ToS8Pair(normed, d, Row(high, t, d), Row(low, t, d));
        act_scale_[t] = kernels::DyadicMul(w_.output_norm.out_scale, step);
      }
    }
    if (w.has_codes()) {
      kernels::ThreadedGemmCodes(kt_, CodeRows(w.codes, 2 * m, false), 2 * m, w.codes, acc_.data(), n_vocab,
                                 ThreadsFor(int64_t{2} * m * n_vocab * d));
    } else {
      kernels::ThreadedGemmS8(kt_, act_.data(), d, 2 * m, w.packed, acc_.data(), n_vocab,
                              ThreadsFor(int64_t{2} * m * n_vocab * d));
    }
    int32_t* out = Row(logits, r0, n_vocab);
    ToQ16(Row(acc_, m, n_vocab), n_vocab, w, m, out);  // the low plane
    for (int32_t t = 0; t < m; ++t) row_mult_[t] = Shifted(kernels::DyadicMul(act_scale_[t], radix), kQ16);
    kt_.requantize_s32_to_s32(acc_.data(), n_vocab, m, n_vocab, row_mult_.data(), w.scale, acc_.data(), n_vocab);
    for (int64_t i = 0; i < int64_t{m} * n_vocab; ++i) out[i] = kernels::SaturateToS32(int64_t{out[i]} + acc_[i]);
  }
}

// acc [n, w.rows] = act_ [n, w.cols] x W^T.
void Int8Forward::MatMul(const Int8Matrix& w, int32_t n, int32_t* acc, ActLayout layout) {
  const int32_t threads = ThreadsFor(int64_t{n} * w.rows() * w.cols());
  if (w.has_codes()) {
    const kernels::CodeInput rows = CodeRows(w.codes, n, layout == ActLayout::kGrouped);
    if (n == 1) {
      kernels::ThreadedGemvCodes(kt_, w.codes, rows, acc, threads);
    } else {
      kernels::ThreadedGemmCodes(kt_, rows, n, w.codes, acc, w.rows(), threads);
    }
    return;
  }
  if (layout == ActLayout::kGrouped) {
    const kernels::GroupedS8Rows rows{act_.data(), w.cols(), act_shifts_.data(), kernels::ActGroupCount(w.cols()),
                                      act_sums_.data()};
    if (n == 1) {
      kernels::ThreadedGemvS8Grouped(kt_, w.packed, rows, acc, threads);
    } else {
      kernels::ThreadedGemmS8Grouped(kt_, rows, n, w.packed, acc, w.rows(), threads);
    }
  } else if (n == 1) {
    kernels::ThreadedGemvS8(kt_, w.packed, act_.data(), acc, threads);
  } else {
    kernels::ThreadedGemmS8(kt_, act_.data(), w.cols(), n, w.packed, acc, w.rows(), threads);
  }
}

// act_'s n rows of w.k values (with their sub-scales when grouped) as the code matmuls read them:
// the sums of each 32 inputs computed here, and for the GEMM without sub-scales their pairs.
kernels::CodeInput Int8Forward::CodeRows(const kernels::PackedCodes& w, int32_t n, bool grouped) {
  const int32_t k = w.k;
  const int32_t groups = kernels::ActGroupCount(k);
  const int32_t n_pairs = kernels::CodePairCount(k, w.group);
  const uint8_t* shifts = grouped ? act_shifts_.data() : nullptr;
  const bool pairs = n > 1 && !grouped;
  for (int32_t t = 0; t < n; ++t) {
    kernels::ref::SumGroupsS8(Row(act_, t, k), k, shifts != nullptr ? shifts + int64_t{t} * groups : nullptr,
                              Row(act_group_sums_, t, groups));
    if (pairs) kernels::CodeGroupPairs(Row(act_group_sums_, t, groups), k, w.group, Row(act_group_pairs_, t, n_pairs));
  }
  return kernels::CodeInput{act_.data(), k, shifts, act_group_sums_.data(), groups,
                            pairs ? act_group_pairs_.data() : nullptr, n_pairs};
}

// out [n, w.rows] = real value of acc [n, ld_acc] in Q16: acc * s_x[t] * 2^16 * s_w[col], one rounding.
void Int8Forward::ToQ16(const int32_t* acc, int64_t ld_acc, const Int8Matrix& w, int32_t n, int32_t* out) {
  for (int32_t t = 0; t < n; ++t) row_mult_[t] = Shifted(act_scale_[t], kQ16);
  kt_.requantize_s32_to_s32(acc, ld_acc, n, w.rows(), row_mult_.data(), w.scale, out, w.rows());
}

// outs[i] [n, parts[i].rows] = act_ x parts[i]^T in Q16: one matmul when the parts are fused.
void Int8Forward::MatMulQ16(const Int8Matrix& fused, std::initializer_list<std::pair<const Int8Matrix*, int32_t*>> parts,
                            int32_t n) {
  if (fused.empty()) {
    for (const auto& [w, out] : parts) {
      MatMul(*w, n, acc_.data());
      ToQ16(acc_.data(), w->rows(), *w, n, out);
    }
    return;
  }
  MatMul(fused, n, acc_.data());
  int32_t col = 0;
  for (const auto& [w, out] : parts) {
    ToQ16(acc_.data() + col, fused.rows(), *w, n, out);
    col += w->rows();
  }
}

// out [n, bias.size()] += bias (Q16), saturating; nothing for an empty bias.
void Int8Forward::AddBiasQ16(const std::vector<int32_t>& bias, int32_t n, int32_t* out) {
  if (bias.empty()) return;
  const auto cols = static_cast<int32_t>(bias.size());
  for (int32_t t = 0; t < n; ++t) {
    int32_t* row = Row(out, t, cols);
    for (int32_t i = 0; i < cols; ++i) row[i] = kernels::SaturateToS32(int64_t{row[i]} + bias[i]);
  }
}

// x [n] (Q16) RMSNormed by norm in place, the result in units of `unit` (real = x * unit): the
// residual stream's integer RMSNorm over n values, then one rounding. scratch [n].
void Int8Forward::RmsNormQ16(const Int8Norm& norm, int32_t* x, int32_t n, Dyadic unit, int32_t* scratch) {
  kt_.rms_norm_s32(x, n, eps_q16_, norm.gamma.data(), norm.gamma_shift, scratch);
  const Dyadic mult = kernels::DyadicDiv(norm.out_scale, unit);
  for (int32_t i = 0; i < n; ++i) x[i] = kernels::SaturateToS32(kernels::MultiplyByDyadic(scratch[i], mult));
}

// residual += (act_ x W^T + bias) in the residual's units, then keeps the residual under 2^29.
// The matmul is requantized onto the residual's per-token scale in one rounding (as without a
// bias); the Q16 bias joins through its own multiplier 2^-16 / s_res[t] (one rounding). With a
// post norm (Gemma) the branch is RMSNormed first: to Q16 (one rounding), the residual stream's
// integer RMSNorm over d_model, then into the residual's units (one rounding).
void Int8Forward::AddToResidual(const Int8Matrix& w, const std::vector<int32_t>& bias, int32_t n, ActLayout layout,
                                const Int8Norm* post_norm) {
  const int32_t d = c_.d_model;
  MatMul(w, n, acc_.data(), layout);
  if (post_norm != nullptr) {
    ToQ16(acc_.data(), d, w, n, wide_.data());
    AddBiasQ16(bias, n, wide_.data());
    for (int32_t t = 0; t < n; ++t) RmsNormQ16(*post_norm, Row(wide_, t, d), d, res_scale_[t], Row(acc_, t, d));
  } else {
    for (int32_t t = 0; t < n; ++t) row_mult_[t] = kernels::DyadicDiv(act_scale_[t], res_scale_[t]);
    kt_.requantize_s32_to_s32(acc_.data(), d, n, d, row_mult_.data(), w.scale, wide_.data(), d);
  }
  for (int32_t t = 0; t < n; ++t) {
    int32_t* x = Row(residual_, t, d);
    int32_t* b = Row(wide_, t, d);
    if (!bias.empty() && post_norm == nullptr) {
      const Dyadic bias_mult = kernels::DyadicDiv(kQ16Scale, res_scale_[t]);
      for (int32_t i = 0; i < d; ++i) {
        const int32_t bias_i = kernels::SaturateToS32(kernels::MultiplyByDyadic(bias[i], bias_mult));
        b[i] = kernels::SaturateToS32(int64_t{b[i]} + bias_i);
      }
    }
    uint32_t amax = 0;
    for (int32_t i = 0; i < d; ++i) {
      x[i] = kernels::SaturateToS32(int64_t{x[i]} + b[i]);
      amax = std::max(amax, static_cast<uint32_t>(x[i] < 0 ? -int64_t{x[i]} : x[i]));
    }
    const int32_t shift = kernels::BitLength(amax) - kResidualMaxBits;
    if (shift > 0) {
      for (int32_t i = 0; i < d; ++i) x[i] = static_cast<int32_t>(kernels::RoundingShiftRight64(x[i], shift));
      res_scale_[t] = Shifted(res_scale_[t], shift);
    }
  }
}

void Int8Forward::Forward(const int32_t* tokens, const TokenPlace* places, int32_t n, LogitRows wanted,
                          int32_t* logits) {
  Embed(tokens, places, n);
  for (int32_t l = 0; l < c_.n_layers; ++l) {
    if (fp_ != nullptr && fp_->set().layers[l]) {
      for (int32_t t = 0; t < n; ++t) fp_->Layer(l, places[t].pos, Row(residual_, t, c_.d_model), &res_scale_[t]);
      continue;
    }
    const Int8Layer& layer = w_.layers[l];
    NormQuantize(layer.attn_norm, NormSite::kAttention, l, n);
    MatMulQ16(layer.attn_qkv, {{&layer.attn_q, q16_.data()}, {&layer.attn_k, k16_.data()}, {&layer.attn_v, v16_.data()}}, n);
    AddBiasQ16(layer.attn_q_bias, n, q16_.data());
    AddBiasQ16(layer.attn_k_bias, n, k16_.data());
    AddBiasQ16(layer.attn_v_bias, n, v16_.data());
    Attention(layer, l, places, n);
    AddToResidual(layer.attn_output, layer.attn_output_bias, n, ActLayout::kPerToken,
                  c_.post_norms ? &layer.attn_post_norm : nullptr);

    NormQuantize(layer.ffn_norm, NormSite::kFfn, l, n);
    const int64_t count = int64_t{n} * c_.d_ffn;  // [n, d_ffn] elements of gate_ and up_
    int32_t* hidden = gate_.data();  // what ffn_down reads: silu(gate) * up, or gelu(up) for gpt2
    if (c_.ffn == FfnKind::kGelu) {
      hidden = up_.data();
      MatMulQ16(layer.ffn_gate_up, {{&layer.ffn_up, up_.data()}}, n);  // ffn_gate_up is empty: no gate
      AddBiasQ16(layer.ffn_up_bias, n, up_.data());
      if (fp_ != nullptr && fp_->set().act) {
        fp_->Gelu(up_.data(), count);
      } else {
        // GPT-2's tanh form through the integer sigmoid, not i-erf (kernels/ref/gelu.h says why).
        // The sigmoid's exact division makes it cost like SiLU: shared by the threads.
        const int32_t threads = ThreadsFor(count * kGeluCost);
        kernels::ParallelFor(static_cast<int32_t>(count), 64, threads, [&](int32_t begin, int32_t end) {
          kt_.gelu_tanh_s32(up_.data() + begin, end - begin, kQ16Scale, up_.data() + begin);
        });
      }
    } else {
      MatMulQ16(layer.ffn_gate_up, {{&layer.ffn_gate, gate_.data()}, {&layer.ffn_up, up_.data()}}, n);
      const bool geglu = c_.ffn == FfnKind::kGeGlu;  // Gemma: gelu(gate) * up
      if (fp_ != nullptr && fp_->set().act && !geglu) {
        fp_->SwiGlu(gate_.data(), up_.data(), count);
      } else {
        // The sigmoid's exact division makes SiLU (and the tanh GELU) cost ~40 cycles an element:
        // shared by the threads.
        const int32_t threads = ThreadsFor(count * kSiluCost);
        kernels::ParallelFor(static_cast<int32_t>(count), 64, threads, [&](int32_t begin, int32_t end) {
          if (!geglu) {
            kt_.silu_s32(gate_.data() + begin, end - begin, kQ16Scale, gate_.data() + begin);
          } else if (fp_ != nullptr && fp_->set().act) {
            fp_->Gelu(gate_.data() + begin, end - begin);
          } else {
            kt_.gelu_tanh_s32(gate_.data() + begin, end - begin, kQ16Scale, gate_.data() + begin);
          }
          for (int32_t i = begin; i < end; ++i) {
            // act(g) * u: Q16 x Q16 -> Q16.
            gate_[i] = kernels::SaturateToS32(kernels::RoundingShiftRight64(int64_t{gate_[i]} * up_[i], kQ16));
          }
        });
      }
    }
    // ffn_down's input (silu(gate) * up, or gelu(up)) is the most heavy-tailed of all: its
    // outliers cost 3/4 of the per-token int8 error (README), so it alone takes grouped rows.
    QuantizeRowsGrouped(hidden, n, c_.d_ffn, kQ16Scale);
    AddToResidual(layer.ffn_down, layer.ffn_down_bias, n, ActLayout::kGrouped, c_.post_norms ? &layer.ffn_post_norm : nullptr);
  }
  if (logits == nullptr || wanted.count == 0) return;
  // Only the rows whose logits are wanted go through the final norm and the output matrix,
  // moved to the front (ascending: row r comes from row >= r, not yet overwritten).
  const int32_t rows = wanted.count;
  for (int32_t r = 0; r < rows; ++r) {
    const int32_t from = wanted.rows[r];
    if (from == r) continue;
    std::copy_n(Row(residual_, from, c_.d_model), c_.d_model, Row(residual_, r, c_.d_model));
    res_scale_[r] = res_scale_[from];
  }
  if (fp_ != nullptr && fp_->set().lm_head) {
    for (int32_t t = 0; t < rows; ++t) {
      fp_->LmHead(Row(residual_, t, c_.d_model), res_scale_[t], Row(logits, t, c_.n_vocab));
    }
    return;
  }
  Logits(rows, logits);
}

}  // namespace ingot
