#include "engine/quant/int8_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "engine/arch/architecture.h"
#include "engine/quant/code_quantizer.h"
#include "engine/forward/fp32_ops.h"

namespace ingot {

std::vector<std::pair<std::string, const Int8Matrix*>> Int8Matrices(const ModelConfig& config, const Int8Weights& w) {
  struct Lister {
    const Int8Weights& w;
    std::vector<std::pair<std::string, const Int8Matrix*>>& out;
    void Global(const GlobalMatrix& m) {
      const Int8Matrix& matrix = w.*m.int8;
      if (!matrix.empty()) out.emplace_back(TensorName(-1, m.name, kWeightSuffix), &matrix);
    }
    void Matrix(int32_t layer, const LayerMatrix& m) {
      out.emplace_back(TensorName(layer, m.name, kWeightSuffix), &(w.layers[static_cast<size_t>(layer)].*m.int8));
    }
    void Norm(const GlobalNorm&) {}
    void Norm(int32_t, const LayerNorm&) {}
    void Vector(const GlobalVector&) {}
    void Vector(int32_t, const LayerVector&) {}
    void Bias(int32_t, const LayerMatrix&) {}
  };
  std::vector<std::pair<std::string, const Int8Matrix*>> out;
  VisitTensors(config, Lister{w, out});
  return out;
}

uint64_t Int8Weights::weight_bytes() const {
  // The architecture's matrices that this model has (rows > 0), the output only when untied.
  const TensorTable& t = Tensors();
  uint64_t total = 0;
  auto add = [&total](const Int8Matrix& m) { total += m.rows() > 0 ? m.bytes() : 0; };
  for (const GlobalMatrix& m : t.inputs) add(this->*m.int8);
  for (const Int8Layer& layer : layers) {
    for (const Sublayer& s : t.sublayers) {
      for (const LayerMatrix& m : s.matrices) add(layer.*m.int8);
    }
  }
  if (output != &token_embd) add(*output);
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

void SetInt8Constants(const ModelConfig& c, const FloatWeights& vectors, Int8Weights& w) {
  w.norm_eps = DyadicFromDouble(static_cast<double>(c.norm_eps));
  w.inv_sqrt_head_dim = DyadicFromDouble(1.0 / std::sqrt(static_cast<double>(c.head_dim)));
  const int32_t half = c.rope_dims / 2;
  // theta_i radians per position, as a fraction of a turn in Q64 (theta_i < 2 pi: a factor
  // below 1 would make it larger, and BindFloatWeights refuses those).
  const auto turns = [&](bool local) {
    std::vector<uint64_t> q64(static_cast<size_t>(half));
    for (int32_t i = 0; i < half; ++i) {
      const long double t = fp32::RopeTheta(c, vectors.rope_freqs, i, local) / (2.0L * 3.141592653589793238462643383279502884L);
      q64[static_cast<size_t>(i)] = static_cast<uint64_t>(std::roundl(std::ldexp(t, 64)));
    }
    return q64;
  };
  w.rope_freq_turns_q64 = turns(false);
  w.rope_local_turns_q64 = c.sliding_window > 0 ? turns(true) : std::vector<uint64_t>{};
  w.embed_scale = c.embed_scale ? DyadicFromDouble(std::sqrt(static_cast<double>(c.d_model))) : kernels::DyadicOne();
}

namespace {

// Whether two matrices are in the same form (per channel, or codes of one width, group and kind).
bool SameForm(const Int8Matrix& a, const Int8Matrix& b) {
  if (a.has_codes() != b.has_codes()) return false;
  return !a.has_codes() || (a.codes.bits == b.codes.bits && a.codes.group == b.codes.group &&
                            (a.codes.zeros == nullptr) == (b.codes.zeros == nullptr));
}

// FuseRows for code matrices: the codes, group scales and zeros of 16-row blocks concatenate.
Int8Matrix FuseCodeRows(std::initializer_list<Int8Matrix*> parts, int32_t rows) {
  const kernels::PackedCodes& f = (*parts.begin())->codes;
  const size_t row_bytes = static_cast<size_t>(f.k_pad) * static_cast<size_t>(f.bits) / 8;
  const size_t row_groups = static_cast<size_t>(f.groups());
  const bool asym = f.zeros != nullptr;
  Int8Matrix fused;
  fused.packed_storage = WeightBuffer(static_cast<size_t>(rows) * row_bytes);
  fused.group_storage.resize(static_cast<size_t>(rows) * row_groups * (asym ? 2 : 1));
  fused.scale_storage.resize(static_cast<size_t>(rows));
  uint8_t* data = reinterpret_cast<uint8_t*>(fused.packed_storage.data());
  uint8_t* scales = fused.group_storage.data();
  uint8_t* zeros = asym ? scales + static_cast<size_t>(rows) * row_groups : nullptr;
  size_t at = 0;
  for (Int8Matrix* m : parts) {
    const size_t n = static_cast<size_t>(m->rows());
    std::memcpy(data + at * row_bytes, m->codes.data, n * row_bytes);
    std::memcpy(scales + at * row_groups, m->codes.scales, n * row_groups);
    if (asym) std::memcpy(zeros + at * row_groups, m->codes.zeros, n * row_groups);
    std::copy_n(m->scale, n, fused.scale_storage.data() + at);
    m->codes.data = data + at * row_bytes;
    m->codes.scales = scales + at * row_groups;
    m->codes.zeros = asym ? zeros + at * row_groups : nullptr;
    m->scale = fused.scale_storage.data() + at;
    m->packed_storage = WeightBuffer();
    m->group_storage = {};
    m->scale_storage = {};
    at += n;
  }
  fused.codes = f;
  fused.codes.data = data;
  fused.codes.scales = scales;
  fused.codes.zeros = zeros;
  fused.codes.n = fused.codes.n_pad = rows;
  fused.scale = fused.scale_storage.data();
  return fused;
}

// Stacks the rows of parts sharing k into one matrix: with every part's rows a multiple of
// kPackRows the packed layouts simply concatenate. Each part becomes a view into the result.
Int8Matrix FuseRows(std::initializer_list<Int8Matrix*> parts) {
  int32_t rows = 0;
  const Int8Matrix& first = **parts.begin();
  const int32_t k = first.cols();
  for (const Int8Matrix* m : parts) {
    if (m->rows() % kernels::kPackRows != 0 || m->cols() != k || !SameForm(*m, first)) return Int8Matrix{};
    rows += m->rows();
  }
  if (first.has_codes()) return FuseCodeRows(parts, rows);
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

namespace {

// Walks the norms and biases only (VisitTensors): their int8 forms from the float vectors.
struct NormsAndBiases {
  const FloatWeights& src;
  Int8Weights& dst;

  void Global(const GlobalMatrix&) {}
  void Matrix(int32_t, const LayerMatrix&) {}
  void Vector(const GlobalVector&) {}  // rope_freqs: SetInt8Constants
  void Vector(int32_t layer, const LayerVector& v) {
    if (v.int8 != nullptr) {
      dst.layers[static_cast<size_t>(layer)].*v.int8 = MakeInt8Norm(src.layers[static_cast<size_t>(layer)].*v.weight);
    }
  }
  void Norm(const GlobalNorm& n) { dst.*n.int8 = MakeInt8Norm(src.*n.weight, src.*n.bias); }
  void Norm(int32_t layer, const LayerNorm& n) {
    const LayerWeights& from = src.layers[static_cast<size_t>(layer)];
    dst.layers[static_cast<size_t>(layer)].*n.int8 = MakeInt8Norm(from.*n.weight, from.*n.bias);
  }
  void Bias(int32_t layer, const LayerMatrix& m) {
    dst.layers[static_cast<size_t>(layer)].*m.bias_q16 = MakeQ16Bias(src.layers[static_cast<size_t>(layer)].*m.bias);
  }
};

// Walks the matrices: each quantized to the form `formats` gives its name, per-channel int8
// (QuantizeWeight) or codes (QuantizeWeightCodes). gpt2's fused attn_qkv was bound as three row
// ranges, so each part is quantized on its own (per-row scales anyway), and FuseInt8Layers
// stacks them again.
struct Quantizer {
  const FloatWeights& src;
  Int8Weights& dst;
  const WeightFormats& formats;
  int32_t n_threads;

  Int8Matrix Quantize(const Weight& w, const std::string& name) const {
    const CodeFormat f = formats.For(name);
    return f.per_channel() ? QuantizeWeight(w, n_threads) : QuantizeWeightCodes(w, f, nullptr, n_threads);
  }
  void Global(const GlobalMatrix& m) {
    const bool tied = m.presence == Presence::kTiedWhenAbsent && src.tied_output();  // the output matrix
    if (!tied) dst.*m.int8 = Quantize(src.*m.weight, TensorName(-1, m.name, ".weight"));
  }
  void Matrix(int32_t layer, const LayerMatrix& m) {
    dst.layers[static_cast<size_t>(layer)].*m.int8 =
        Quantize(src.layers[static_cast<size_t>(layer)].*m.weight, TensorName(layer, m.name, ".weight"));
  }
  void Norm(const GlobalNorm&) {}
  void Norm(int32_t, const LayerNorm&) {}
  void Vector(const GlobalVector&) {}
  void Vector(int32_t, const LayerVector&) {}
  void Bias(int32_t, const LayerMatrix&) {}
};

}  // namespace

void SetInt8NormsAndBiases(const ModelConfig& config, const FloatWeights& src, Int8Weights& dst) {
  dst.layers.resize(src.layers.size());
  VisitTensors(config, NormsAndBiases{src, dst});
}

std::unique_ptr<Int8Weights> QuantizeModel(const ModelConfig& config, const FloatWeights& weights,
                                           const WeightFormats& formats, int32_t n_threads) {
  auto w = std::make_unique<Int8Weights>();
  w->layers.resize(weights.layers.size());
  VisitTensors(config, Quantizer{weights, *w, formats, n_threads});
  w->SetOutput();
  SetInt8NormsAndBiases(config, weights, *w);
  SetInt8Constants(config, weights, *w);
  FuseInt8Layers(*w);
  return w;
}

}  // namespace ingot
