#include "engine/quant/int8_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

namespace ingot {

uint64_t Int8Weights::weight_bytes() const {
  uint64_t total = token_embd.bytes();
  if (position_embd.rows() > 0) total += position_embd.bytes();
  for (const Int8Layer& l : layers) {
    for (const Int8Matrix* m : {&l.attn_q, &l.attn_k, &l.attn_v, &l.attn_output, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) {
      if (m->rows() > 0) total += m->bytes();
    }
  }
  if (output != &token_embd) total += output->bytes();
  return total;
}

Int8Norm MakeInt8Norm(const std::vector<float>& gamma, const std::vector<float>& beta) {
  Int8Norm norm;
  float amax = 0.0f;
  for (float g : gamma) amax = std::max(amax, std::fabs(g));
  // 15-bit gamma: |z * gamma| < 2^24 * 2^15 stays far inside int64, and out = z * gamma / 2^15
  // keeps |out| <= |z| < 2^24.
  const double scale = amax > 0.0f && std::isfinite(amax) ? static_cast<double>(amax) / 32767.0 : 1.0;
  norm.gamma.resize(gamma.size());
  for (size_t i = 0; i < gamma.size(); ++i) {
    norm.gamma[i] = static_cast<int32_t>(std::lround(static_cast<double>(gamma[i]) / scale));
  }
  norm.gamma_shift = 15;
  norm.out_scale = DyadicFromDouble(scale * std::ldexp(1.0, norm.gamma_shift - 16));
  if (!beta.empty()) {
    // beta in the units of out (the exact dyadic out_scale), so the kernel adds it to the
    // normalized, gamma-scaled row with no rescaling: round(beta / out_scale), saturated.
    const double unit = DyadicToDouble(norm.out_scale);
    norm.beta.resize(beta.size());
    for (size_t i = 0; i < beta.size(); ++i) {
      const double v = std::round(static_cast<double>(beta[i]) / unit);
      norm.beta[i] = static_cast<int32_t>(std::clamp(v, -2147483647.0, 2147483647.0));
    }
  }
  return norm;
}

std::vector<int32_t> MakeQ16Bias(const std::vector<float>& bias) {
  std::vector<int32_t> q16(bias.size());
  for (size_t i = 0; i < bias.size(); ++i) {
    const double v = std::round(std::ldexp(static_cast<double>(bias[i]), 16));
    q16[i] = static_cast<int32_t>(std::clamp(v, -2147483647.0, 2147483647.0));
  }
  return q16;
}

void SetInt8Constants(const ModelConfig& c, Int8Weights& w) {
  w.norm_eps = DyadicFromDouble(static_cast<double>(c.norm_eps));
  w.inv_sqrt_head_dim = DyadicFromDouble(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
  const int32_t half = c.rope_dims / 2;
  w.rope_freq_turns_q64.resize(static_cast<size_t>(half));
  for (int32_t i = 0; i < half; ++i) {
    // theta_i = base^(-2i / rope_dims) radians per position, as a fraction of a turn in Q64.
    const long double theta = std::pow(static_cast<long double>(c.rope_base), -2.0L * i / c.rope_dims);
    const long double turns = theta / (2.0L * 3.141592653589793238462643383279502884L);
    w.rope_freq_turns_q64[static_cast<size_t>(i)] = static_cast<uint64_t>(std::roundl(std::ldexp(turns, 64)));
  }
}

namespace {

// Stacks the rows of parts sharing k into one matrix: with every part's rows a multiple of
// kPackRows the packed layouts simply concatenate. Each part becomes a view into the result.
Int8Matrix FuseRows(std::initializer_list<Int8Matrix*> parts) {
  int32_t rows = 0;
  const int32_t k = (*parts.begin())->cols();
  for (const Int8Matrix* m : parts) {
    if (m->rows() % kernels::kPackRows != 0 || m->cols() != k) return Int8Matrix{};
    rows += m->rows();
  }
  const size_t row_bytes = static_cast<size_t>((*parts.begin())->packed.k_pad);
  Int8Matrix fused;
  fused.packed_storage = WeightBuffer(static_cast<size_t>(rows) * row_bytes);
  fused.row_sums_storage.resize(static_cast<size_t>(rows));
  fused.scale_storage.resize(static_cast<size_t>(rows));
  size_t at = 0;
  for (Int8Matrix* m : parts) {
    const size_t n = static_cast<size_t>(m->rows());
    std::memcpy(fused.packed_storage.data() + at * row_bytes, m->packed.data, n * row_bytes);
    std::copy_n(m->packed.row_sums, n, fused.row_sums_storage.data() + at);
    std::copy_n(m->scale, n, fused.scale_storage.data() + at);
    m->packed.data = fused.packed_storage.data() + at * row_bytes;
    m->packed.row_sums = fused.row_sums_storage.data() + at;
    m->scale = fused.scale_storage.data() + at;
    m->packed_storage = WeightBuffer();
    m->row_sums_storage = {};
    m->scale_storage = {};
    at += n;
  }
  fused.packed = (*parts.begin())->packed;
  fused.packed.data = fused.packed_storage.data();
  fused.packed.row_sums = fused.row_sums_storage.data();
  fused.packed.n = fused.packed.n_pad = rows;
  fused.scale = fused.scale_storage.data();
  return fused;
}

}  // namespace

void FuseInt8Layers(Int8Weights& w) {
  for (Int8Layer& l : w.layers) {
    l.attn_qkv = FuseRows({&l.attn_q, &l.attn_k, &l.attn_v});
    if (l.ffn_gate.rows() > 0) l.ffn_gate_up = FuseRows({&l.ffn_gate, &l.ffn_up});  // no gate: GELU (gpt2)
  }
}

void SetQ16Biases(const LayerWeights& src, Int8Layer& dst) {
  dst.attn_q_bias = MakeQ16Bias(src.attn_q_bias);
  dst.attn_k_bias = MakeQ16Bias(src.attn_k_bias);
  dst.attn_v_bias = MakeQ16Bias(src.attn_v_bias);
  dst.attn_output_bias = MakeQ16Bias(src.attn_output_bias);
  dst.ffn_up_bias = MakeQ16Bias(src.ffn_up_bias);
  dst.ffn_down_bias = MakeQ16Bias(src.ffn_down_bias);
}

std::unique_ptr<Int8Weights> QuantizeModel(const Model& model, int32_t n_threads) {
  auto w = std::make_unique<Int8Weights>();
  const ModelConfig& c = model.config();
  w->token_embd = QuantizeWeight(model.token_embd, n_threads);
  if (c.learned_positions) w->position_embd = QuantizeWeight(model.position_embd, n_threads);
  w->layers.resize(model.layers.size());
  for (size_t l = 0; l < model.layers.size(); ++l) {
    const LayerWeights& src = model.layers[l];
    Int8Layer& dst = w->layers[l];
    dst.attn_norm = MakeInt8Norm(src.attn_norm, src.attn_norm_bias);
    // gpt2's fused attn_qkv is bound as three row ranges: each part is quantized on its own
    // (per-row scales), and FuseInt8Layers stacks them again.
    dst.attn_q = QuantizeWeight(src.attn_q, n_threads);
    dst.attn_k = QuantizeWeight(src.attn_k, n_threads);
    dst.attn_v = QuantizeWeight(src.attn_v, n_threads);
    dst.attn_output = QuantizeWeight(src.attn_output, n_threads);
    dst.ffn_norm = MakeInt8Norm(src.ffn_norm, src.ffn_norm_bias);
    if (c.ffn == FfnKind::kSwiGlu) dst.ffn_gate = QuantizeWeight(src.ffn_gate, n_threads);
    dst.ffn_up = QuantizeWeight(src.ffn_up, n_threads);
    dst.ffn_down = QuantizeWeight(src.ffn_down, n_threads);
    SetQ16Biases(src, dst);
  }
  w->output_norm = MakeInt8Norm(model.output_norm, model.output_norm_bias);
  if (model.output.data == model.token_embd.data) {
    w->output = &w->token_embd;
  } else {
    w->output_storage = QuantizeWeight(model.output, n_threads);
    w->output = &w->output_storage;
  }
  SetInt8Constants(model.config(), *w);
  FuseInt8Layers(*w);
  return w;
}

}  // namespace ingot
