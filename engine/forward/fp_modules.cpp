#include "engine/forward/fp_modules.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "engine/forward/fp32_ops.h"
#include "engine/quant/int8_matrix.h"
#include "kernels/ref/weighted_sum.h"
#include "model_io/error.h"

namespace ingot {

namespace {

constexpr double kQ16 = 65536.0;

int32_t ToQ16(double v) {
  return static_cast<int32_t>(std::clamp(std::round(v * kQ16), -2147483648.0, 2147483647.0));
}

// Per-token symmetric int8 of a float row, as the integer path's dynamic quantization does it.
void QuantizeFloatRow(const float* y, int32_t n, int8_t* q, kernels::Dyadic* q_scale) {
  float amax = 0.0f;
  for (int32_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(y[i]));
  const double step = amax > 0.0f ? static_cast<double>(amax) / 127.0 : 1.0;
  for (int32_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::clamp(std::lround(y[i] / step), -127L, 127L));
  *q_scale = DyadicFromDouble(step);
}

const std::vector<float>& NormWeight(const Model& model, NormSite site, int32_t layer) {
  if (site == NormSite::kOutput) return model.output_norm;
  const LayerWeights& l = model.layers[static_cast<size_t>(layer)];
  return site == NormSite::kAttention ? l.attn_norm : l.ffn_norm;
}

const std::vector<float>& NormBias(const Model& model, NormSite site, int32_t layer) {
  if (site == NormSite::kOutput) return model.output_norm_bias;
  const LayerWeights& l = model.layers[static_cast<size_t>(layer)];
  return site == NormSite::kAttention ? l.attn_norm_bias : l.ffn_norm_bias;
}

bool IsGpt2Like(const ModelConfig& c) { return c.norm == NormKind::kLayer || c.ffn == FfnKind::kGelu; }

}  // namespace

bool FpModuleSet::any() const {
  return norm || rope || act || softmax || kv || lm_head || std::find(layers.begin(), layers.end(), true) != layers.end();
}

std::string FpModuleSet::ToString() const {
  std::string s;
  auto add = [&](bool on, const std::string& name) {
    if (on) s += (s.empty() ? "" : ",") + name;
  };
  add(norm, gpt2_names ? "layernorm" : "norm");
  add(rope, "rope");
  add(act, gpt2_names ? "gelu" : "act");
  add(softmax, "softmax");
  add(kv, "kv");
  add(lm_head, "lm_head");
  for (size_t l = 0; l < layers.size(); ++l) add(layers[l], "layer:" + std::to_string(l));
  return s.empty() ? "none" : s;
}

namespace {

FpModuleSet ParseModules(const std::string& list, int32_t n_layers, bool gpt2_names) {
  FpModuleSet set;
  set.gpt2_names = gpt2_names;
  set.layers.assign(static_cast<size_t>(n_layers), false);
  std::stringstream ss(list);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name.empty() || name == "none") continue;
    if (name == (gpt2_names ? "layernorm" : "norm")) set.norm = true;
    else if (!gpt2_names && name == "rope") set.rope = true;
    else if (name == (gpt2_names ? "gelu" : "act")) set.act = true;
    else if (name == "softmax") set.softmax = true;
    else if (name == "kv") set.kv = true;
    else if (name == "lm_head") set.lm_head = true;
    else if (name.rfind("layer:", 0) == 0) {
      const std::string index = name.substr(6);
      const bool digits = !index.empty() && index.size() < 6 && std::all_of(index.begin(), index.end(), ::isdigit);
      const int32_t l = digits ? std::stoi(index) : -1;
      if (l < 0 || l >= n_layers) {
        throw Error("--fp-modules: '" + name + "' is not a layer of this model (0.." + std::to_string(n_layers - 1) + ")");
      }
      set.layers[static_cast<size_t>(l)] = true;
    } else {
      throw Error("--fp-modules: unknown module '" + name + "' (known: " +
                  (gpt2_names ? "layernorm, gelu" : "norm, rope, act") + ", softmax, kv, lm_head, layer:N)");
    }
  }
  return set;
}

}  // namespace

FpModuleSet ParseFpModules(const std::string& list, int32_t n_layers) { return ParseModules(list, n_layers, false); }

FpModuleSet ParseFpModules(const std::string& list, const ModelConfig& config) {
  return ParseModules(list, config.n_layers, IsGpt2Like(config));
}

std::vector<std::string> FpModuleKinds(const ModelConfig& config) {
  if (IsGpt2Like(config)) return {"layernorm", "gelu", "softmax", "kv", "lm_head"};
  return {"norm", "rope", "act", "softmax", "kv", "lm_head"};
}

FpModules::FpModules(const Model& model, const FpModuleSet& set, int32_t n_ctx) : model_(model), set_(set), n_ctx_(n_ctx) {
  const bool float_layers = std::find(set.layers.begin(), set.layers.end(), true) != set.layers.end();
  if ((set.lm_head || float_layers) && model.output.data == nullptr) {
    throw Error(model.path() + ": --fp-modules lm_head and layer:N need the float weights, which an int8 file lacks");
  }
  if ((set.norm || set.lm_head || float_layers) && (model.layers.empty() || model.layers[0].attn_norm.empty())) {
    throw Error(model.path() + ": --fp-modules norm and layer:N need the float norm weights");
  }
  const ModelConfig& c = model.config();
  if (set.kv || float_layers) {
    const size_t size = static_cast<size_t>(c.n_layers) * static_cast<size_t>(n_ctx) * static_cast<size_t>(c.kv_dim());
    key_cache_.assign(size, 0.0f);
    value_cache_.assign(size, 0.0f);
  }
  const size_t half = static_cast<size_t>(c.rope_dims / 2);
  rope_cos_.resize(static_cast<size_t>(n_ctx) * half);
  rope_sin_.resize(rope_cos_.size());
  for (size_t i = 0; i < half; ++i) {
    const double freq = std::pow(static_cast<double>(c.rope_base), -2.0 * static_cast<double>(i) / c.rope_dims);
    for (int32_t p = 0; p < n_ctx; ++p) {
      rope_cos_[static_cast<size_t>(p) * half + i] = static_cast<float>(std::cos(p * freq));
      rope_sin_[static_cast<size_t>(p) * half + i] = static_cast<float>(std::sin(p * freq));
    }
  }
}

FpModules::~FpModules() = default;

void FpModules::NormQuantize(NormSite site, int32_t layer, const int32_t* x, kernels::Dyadic x_scale, int8_t* q,
                             kernels::Dyadic* q_scale) const {
  const int32_t d = model_.config().d_model;
  const double s = DyadicToDouble(x_scale);
  std::vector<float> row(static_cast<size_t>(d));
  for (int32_t i = 0; i < d; ++i) row[static_cast<size_t>(i)] = static_cast<float>(x[i] * s);
  fp32::Norm(model_.config(), row.data(), NormWeight(model_, site, layer), NormBias(model_, site, layer), row.data());
  QuantizeFloatRow(row.data(), d, q, q_scale);
}

void FpModules::Rope(int32_t* x_q16, int32_t n_heads, int32_t pos) const {
  const ModelConfig& c = model_.config();
  const int32_t half = c.rope_dims / 2;
  const float* cos = rope_cos_.data() + static_cast<size_t>(pos) * static_cast<size_t>(half);
  const float* sin = rope_sin_.data() + static_cast<size_t>(pos) * static_cast<size_t>(half);
  std::vector<float> head(static_cast<size_t>(c.head_dim));
  for (int32_t h = 0; h < n_heads; ++h) {
    int32_t* x = x_q16 + static_cast<size_t>(h) * static_cast<size_t>(c.head_dim);
    for (int32_t i = 0; i < c.head_dim; ++i) head[static_cast<size_t>(i)] = static_cast<float>(x[i] / kQ16);
    fp32::Rope(head.data(), half, cos, sin);
    for (int32_t i = 0; i < c.head_dim; ++i) x[i] = ToQ16(head[static_cast<size_t>(i)]);
  }
}

void FpModules::SwiGlu(int32_t* gate_q16, const int32_t* up_q16, int64_t count) const {
  for (int64_t i = 0; i < count; ++i) {
    const float g = static_cast<float>(gate_q16[i] / kQ16);
    gate_q16[i] = ToQ16(static_cast<double>(fp32::Silu(g)) * (up_q16[i] / kQ16));
  }
}

void FpModules::Gelu(int32_t* x_q16, int64_t count) const {
  for (int64_t i = 0; i < count; ++i) x_q16[i] = ToQ16(fp32::Gelu(static_cast<float>(x_q16[i] / kQ16)));
}

void FpModules::AttendInt8(const int32_t* dots, kernels::Dyadic q_scale, const kernels::Dyadic* k_scale,
                           const int8_t* values, const kernels::Dyadic* v_scale, int32_t n, int32_t* out_q16) const {
  const int32_t hd = model_.config().head_dim;
  const double qs = DyadicToDouble(q_scale) / std::sqrt(static_cast<double>(hd));
  std::vector<float> scores(static_cast<size_t>(n));
  for (int32_t p = 0; p < n; ++p) {
    scores[static_cast<size_t>(p)] = static_cast<float>(dots[p] * qs * DyadicToDouble(k_scale[p]));
  }
  fp32::Softmax(scores.data(), n);
  for (int32_t i = 0; i < hd; ++i) {
    double sum = 0.0;
    for (int32_t p = 0; p < n; ++p) {
      sum += scores[static_cast<size_t>(p)] * DyadicToDouble(v_scale[p]) *
             values[kernels::ref::InterleavedOffset(hd, p, i)];
    }
    out_q16[i] = ToQ16(sum);
  }
}

void FpModules::StoreKv(int32_t layer, int32_t pos, const int32_t* k_q16, const int32_t* v_q16) {
  const size_t kv_dim = static_cast<size_t>(model_.config().kv_dim());
  const size_t base = (static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) + static_cast<size_t>(pos)) * kv_dim;
  for (size_t i = 0; i < kv_dim; ++i) {
    key_cache_[base + i] = static_cast<float>(k_q16[i] / kQ16);
    value_cache_[base + i] = static_cast<float>(v_q16[i] / kQ16);
  }
}

void FpModules::AttendFloatKv(int32_t layer, int32_t head, int32_t pos, const int32_t* q_q16, int32_t* out_q16) const {
  const ModelConfig& c = model_.config();
  const size_t hd = static_cast<size_t>(c.head_dim);
  const size_t kv_dim = static_cast<size_t>(c.kv_dim());
  const size_t kv_offset = static_cast<size_t>(head / (c.n_heads / c.n_kv_heads)) * hd;
  const float* keys = key_cache_.data() + static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) * kv_dim;
  const float* values = value_cache_.data() + static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) * kv_dim;
  std::vector<float> q(hd), scores(static_cast<size_t>(pos) + 1), out(hd, 0.0f);
  for (size_t i = 0; i < hd; ++i) q[i] = static_cast<float>(q_q16[i] / kQ16);
  const float inv = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int32_t p = 0; p <= pos; ++p) scores[static_cast<size_t>(p)] = fp32::Dot(q.data(), keys + static_cast<size_t>(p) * kv_dim + kv_offset, c.head_dim) * inv;
  fp32::Softmax(scores.data(), pos + 1);
  for (int32_t p = 0; p <= pos; ++p) {
    const float* v = values + static_cast<size_t>(p) * kv_dim + kv_offset;
    for (size_t i = 0; i < hd; ++i) out[i] += scores[static_cast<size_t>(p)] * v[i];
  }
  for (size_t i = 0; i < hd; ++i) out_q16[i] = ToQ16(out[i]);
}

void FpModules::LmHead(const int32_t* x_int, kernels::Dyadic x_scale, int32_t* logits_q16) const {
  const ModelConfig& c = model_.config();
  const double s = DyadicToDouble(x_scale);
  std::vector<float> x(static_cast<size_t>(c.d_model)), logits(static_cast<size_t>(c.n_vocab));
  for (int32_t i = 0; i < c.d_model; ++i) x[static_cast<size_t>(i)] = static_cast<float>(x_int[i] * s);
  fp32::Norm(c, x.data(), model_.output_norm, model_.output_norm_bias, x.data());
  fp32::MatMul(model_.output, x.data(), 1, logits.data(), 1);
  for (int32_t v = 0; v < c.n_vocab; ++v) logits_q16[v] = ToQ16(logits[static_cast<size_t>(v)]);
}

void FpModules::Layer(int32_t layer, int32_t pos, int32_t* x_int, kernels::Dyadic* x_scale) {
  const ModelConfig& c = model_.config();
  const LayerWeights& w = model_.layers[static_cast<size_t>(layer)];
  const int64_t d = c.d_model;
  std::vector<float> x(static_cast<size_t>(d)), xb(static_cast<size_t>(d)), q(static_cast<size_t>(c.q_dim())),
      k(static_cast<size_t>(c.kv_dim())), v(k.size()), att(q.size()), branch(static_cast<size_t>(d)),
      gate(static_cast<size_t>(c.d_ffn)), up(gate.size()), scores(static_cast<size_t>(pos) + 1);
  const double s = DyadicToDouble(*x_scale);
  for (int64_t i = 0; i < d; ++i) x[static_cast<size_t>(i)] = static_cast<float>(x_int[i] * s);

  fp32::Norm(c, x.data(), w.attn_norm, w.attn_norm_bias, xb.data());
  fp32::MatMul(w.attn_q, xb.data(), 1, q.data(), 1);
  fp32::MatMul(w.attn_k, xb.data(), 1, k.data(), 1);
  fp32::MatMul(w.attn_v, xb.data(), 1, v.data(), 1);
  fp32::AddBias(w.attn_q_bias, 1, q.data());
  fp32::AddBias(w.attn_k_bias, 1, k.data());
  fp32::AddBias(w.attn_v_bias, 1, v.data());
  const int32_t half = c.rope_dims / 2;
  if (half > 0) {
    const float* cos = rope_cos_.data() + static_cast<size_t>(pos) * static_cast<size_t>(half);
    const float* sin = rope_sin_.data() + static_cast<size_t>(pos) * static_cast<size_t>(half);
    for (int32_t h = 0; h < c.n_heads; ++h) fp32::Rope(q.data() + h * c.head_dim, half, cos, sin);
    for (int32_t h = 0; h < c.n_kv_heads; ++h) fp32::Rope(k.data() + h * c.head_dim, half, cos, sin);
  }
  const size_t kv_dim = static_cast<size_t>(c.kv_dim());
  const size_t base = (static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) + static_cast<size_t>(pos)) * kv_dim;
  std::copy(k.begin(), k.end(), key_cache_.begin() + static_cast<std::ptrdiff_t>(base));
  std::copy(v.begin(), v.end(), value_cache_.begin() + static_cast<std::ptrdiff_t>(base));
  const float* keys = key_cache_.data() + static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) * kv_dim;
  const float* values = value_cache_.data() + static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) * kv_dim;
  const float inv = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  std::fill(att.begin(), att.end(), 0.0f);
  for (int32_t h = 0; h < c.n_heads; ++h) {
    const size_t kv_offset = static_cast<size_t>(h / (c.n_heads / c.n_kv_heads) * c.head_dim);
    const float* qh = q.data() + h * c.head_dim;
    for (int32_t p = 0; p <= pos; ++p) {
      scores[static_cast<size_t>(p)] = fp32::Dot(qh, keys + static_cast<size_t>(p) * kv_dim + kv_offset, c.head_dim) * inv;
    }
    fp32::Softmax(scores.data(), pos + 1);
    for (int32_t p = 0; p <= pos; ++p) {
      const float* vp = values + static_cast<size_t>(p) * kv_dim + kv_offset;
      for (int32_t i = 0; i < c.head_dim; ++i) att[static_cast<size_t>(h * c.head_dim + i)] += scores[static_cast<size_t>(p)] * vp[i];
    }
  }
  fp32::MatMul(w.attn_output, att.data(), 1, branch.data(), 1);
  fp32::AddBias(w.attn_output_bias, 1, branch.data());
  for (int64_t i = 0; i < d; ++i) x[static_cast<size_t>(i)] += branch[static_cast<size_t>(i)];
  fp32::Norm(c, x.data(), w.ffn_norm, w.ffn_norm_bias, xb.data());
  fp32::MatMul(w.ffn_up, xb.data(), 1, up.data(), 1);
  fp32::AddBias(w.ffn_up_bias, 1, up.data());
  if (c.ffn == FfnKind::kSwiGlu) {
    fp32::MatMul(w.ffn_gate, xb.data(), 1, gate.data(), 1);
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = fp32::Silu(gate[i]) * up[i];
  } else {
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = fp32::Gelu(up[i]);
  }
  fp32::MatMul(w.ffn_down, gate.data(), 1, branch.data(), 1);
  fp32::AddBias(w.ffn_down_bias, 1, branch.data());
  for (int64_t i = 0; i < d; ++i) x[static_cast<size_t>(i)] += branch[static_cast<size_t>(i)];

  // Back into the integer residual: |x| maps to 2^29 at most, like the integer path's bound.
  float amax = 0.0f;
  for (float value : x) amax = std::max(amax, std::fabs(value));
  const double scale = amax > 0.0f ? static_cast<double>(amax) / static_cast<double>(1 << 29) : 1.0;
  const kernels::Dyadic dyadic = DyadicFromDouble(scale);
  const double exact = DyadicToDouble(dyadic);
  for (int64_t i = 0; i < d; ++i) x_int[i] = static_cast<int32_t>(std::lround(x[static_cast<size_t>(i)] / exact));
  *x_scale = dyadic;
}

}  // namespace ingot
