#include "engine/forward/fp_modules.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "engine/forward/forward_fp32.h"
#include "engine/forward/fp32_ops.h"
#include "engine/quant/int8_matrix.h"
#include "kernels/ref/quantize_row.h"
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

bool FpModuleSet::any() const { return norm || rope || act || softmax || kv || lm_head || any_layer(); }

bool FpModuleSet::any_layer() const { return std::find(layers.begin(), layers.end(), true) != layers.end(); }

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
      const bool digits = !index.empty() && index.size() < 6 && std::all_of(index.begin(), index.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
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

// Elements of kv_: one position's k and v [2, kv_dim].
size_t KvScratchElements(const ModelConfig& c) { return 2 * static_cast<size_t>(c.kv_dim()); }

}  // namespace

FpModuleSet ParseFpModules(const std::string& list, int32_t n_layers) { return ParseModules(list, n_layers, false); }

FpModuleSet ParseFpModules(const std::string& list, const ModelConfig& config) {
  return ParseModules(list, config.n_layers, IsGpt2Like(config));
}

std::vector<std::string> FpModuleKinds(const ModelConfig& config) {
  if (IsGpt2Like(config)) return {"layernorm", "gelu", "softmax", "kv", "lm_head"};
  return {"norm", "rope", "act", "softmax", "kv", "lm_head"};
}

uint64_t FpModules::BytesFor(const ModelConfig& c, const FpModuleSet& set, int32_t n_ctx) {
  if (set.float_kv_cache()) {
    return Fp32Forward::BytesFor(c, 1, n_ctx, 1, 1) + KvScratchElements(c) * sizeof(float);
  }
  return set.rope ? RopeTables::BytesFor(c, n_ctx) : 0;
}

FpModules::FpModules(const Model& model, const FpModuleSet& set, int32_t n_ctx) : model_(model), set_(set) {
  const bool float_layers = set.any_layer();
  if ((set.lm_head || float_layers) && model.output.data == nullptr) {
    throw Error(model.path() + ": --fp-modules lm_head and layer:N need the float weights, which an int8 file lacks",
                ErrorKind::kUnsupported);
  }
  if ((set.norm || set.lm_head || float_layers) && (model.layers.empty() || model.layers[0].attn_norm.empty())) {
    throw Error(model.path() + ": --fp-modules norm and layer:N need the float norm weights", ErrorKind::kUnsupported);
  }
  if (set.float_kv_cache()) {
    // One token at a time (the integer path calls per token), on the calling thread.
    fp32_ = std::make_unique<Fp32Forward>(model, 1, n_ctx, 1, 1);
    rope_ = &fp32_->rope();
    kv_.resize(KvScratchElements(model.config()));
  } else if (set.rope) {
    own_rope_ = std::make_unique<RopeTables>(model, n_ctx);
    rope_ = own_rope_.get();
  }
}

FpModules::~FpModules() = default;

void FpModules::NormQuantize(NormSite site, int32_t layer, const int32_t* x, kernels::Dyadic x_scale, int8_t* q,
                             int8_t* q_low, kernels::Dyadic* q_scale) const {
  const int32_t d = model_.config().d_model;
  const double s = DyadicToDouble(x_scale);
  std::vector<float> row(static_cast<size_t>(d));
  for (int32_t i = 0; i < d; ++i) row[static_cast<size_t>(i)] = static_cast<float>(x[i] * s);
  fp32::Norm(model_.config(), row.data(), NormWeight(model_, site, layer), NormBias(model_, site, layer), row.data());
  if (q_low == nullptr) {
    QuantizeFloatRow(row.data(), d, q, q_scale);
    return;
  }
  float amax = 0.0f;
  for (float v : row) amax = std::max(amax, std::fabs(v));
  const double step = amax > 0.0f ? static_cast<double>(amax) / kernels::ref::kPairMax : 1.0;
  for (int32_t i = 0; i < d; ++i) {
    const long k = std::clamp(std::lround(row[static_cast<size_t>(i)] / step), -long{kernels::ref::kPairMax},
                              long{kernels::ref::kPairMax});
    kernels::ref::SplitPair(static_cast<int32_t>(k), q + i, q_low + i);
  }
  *q_scale = DyadicFromDouble(step);
}

void FpModules::Rope(int32_t* x_q16, int32_t n_heads, int32_t pos, bool local) const {
  const int32_t hd = model_.config().head_dim;
  std::vector<float> head(static_cast<size_t>(hd));
  for (int32_t h = 0; h < n_heads; ++h) {
    int32_t* x = x_q16 + static_cast<size_t>(h) * static_cast<size_t>(hd);
    for (int32_t i = 0; i < hd; ++i) head[static_cast<size_t>(i)] = static_cast<float>(x[i] / kQ16);
    rope_->Rotate(head.data(), 1, pos, local);
    for (int32_t i = 0; i < hd; ++i) x[i] = ToQ16(head[static_cast<size_t>(i)]);
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

void FpModules::AttendInt8(const int32_t* high, const int32_t* low, kernels::Dyadic q_scale,
                           const kernels::Dyadic* k_scale, const int8_t* values, const kernels::Dyadic* v_scale,
                           int32_t n, int32_t n_masked, int32_t* out_q16) const {
  const int32_t hd = model_.config().head_dim;
  const double qs = DyadicToDouble(q_scale) / std::sqrt(static_cast<double>(hd));
  std::vector<float> scores(static_cast<size_t>(n));
  for (int32_t p = n_masked; p < n; ++p) {
    const double dot = low != nullptr ? static_cast<double>(kernels::ref::kPairRadix) * high[p] + low[p] : high[p];
    scores[static_cast<size_t>(p)] = static_cast<float>(dot * qs * DyadicToDouble(k_scale[p]));
  }
  fp32::Softmax(scores.data() + n_masked, n - n_masked);
  for (int32_t i = 0; i < hd; ++i) {
    double sum = 0.0;
    for (int32_t p = n_masked; p < n; ++p) {
      sum += scores[static_cast<size_t>(p)] * DyadicToDouble(v_scale[p]) *
             values[kernels::ref::InterleavedOffset(hd, p, i)];
    }
    out_q16[i] = ToQ16(sum);
  }
}

void FpModules::StoreKv(int32_t layer, int32_t pos, const int32_t* k_q16, const int32_t* v_q16) {
  const size_t kv_dim = static_cast<size_t>(model_.config().kv_dim());
  for (size_t i = 0; i < kv_dim; ++i) {
    kv_[i] = static_cast<float>(k_q16[i] / kQ16);
    kv_[kv_dim + i] = static_cast<float>(v_q16[i] / kQ16);
  }
  fp32_->StoreKv(layer, TokenPlace{0, pos}, kv_.data(), kv_.data() + kv_dim);
}

void FpModules::AttendFloatKv(int32_t layer, int32_t head, int32_t pos, const int32_t* q_q16, int32_t* out_q16) const {
  const size_t hd = static_cast<size_t>(model_.config().head_dim);
  // The integer path's attention workers call this concurrently: scratch per thread, which only
  // grows, so steady state allocates nothing.
  thread_local std::vector<float> scratch;
  const size_t size = 2 * hd + static_cast<size_t>(pos) + 1;
  if (scratch.size() < size) scratch.resize(size);
  float* q = scratch.data();  // [head_dim]
  float* out = q + hd;        // [head_dim]
  float* scores = out + hd;   // [pos + 1]
  for (size_t i = 0; i < hd; ++i) q[i] = static_cast<float>(q_q16[i] / kQ16);
  fp32_->Attend(layer, head, TokenPlace{0, pos}, q, scores, out);
  for (size_t i = 0; i < hd; ++i) out_q16[i] = ToQ16(out[i]);
}

void FpModules::LmHead(const int32_t* x_int, kernels::Dyadic x_scale, int32_t* logits_q16) const {
  const ModelConfig& c = model_.config();
  const double s = DyadicToDouble(x_scale);
  std::vector<float> x(static_cast<size_t>(c.d_model)), logits(static_cast<size_t>(c.n_vocab));
  for (int32_t i = 0; i < c.d_model; ++i) x[static_cast<size_t>(i)] = static_cast<float>(x_int[i] * s);
  OutputLogits(model_, x.data(), 1, x.data(), logits.data(), 1);
  for (int32_t v = 0; v < c.n_vocab; ++v) logits_q16[v] = ToQ16(logits[static_cast<size_t>(v)]);
}

void FpModules::Layer(int32_t layer, int32_t pos, int32_t* x_int, kernels::Dyadic* x_scale) {
  const int64_t d = model_.config().d_model;
  float* x = fp32_->residual();  // [1, d_model]
  const double s = DyadicToDouble(*x_scale);
  for (int64_t i = 0; i < d; ++i) x[i] = static_cast<float>(x_int[i] * s);
  const TokenPlace place{0, pos};
  fp32_->Layer(layer, &place, 1);

  // Back into the integer residual: |x| maps to 2^29 at most, like the integer path's bound.
  float amax = 0.0f;
  for (int64_t i = 0; i < d; ++i) amax = std::max(amax, std::fabs(x[i]));
  const double scale = amax > 0.0f ? static_cast<double>(amax) / static_cast<double>(1 << 29) : 1.0;
  const kernels::Dyadic dyadic = DyadicFromDouble(scale);
  const double exact = DyadicToDouble(dyadic);
  for (int64_t i = 0; i < d; ++i) x_int[i] = static_cast<int32_t>(std::lround(x[i] / exact));
  *x_scale = dyadic;
}

}  // namespace ingot
