#include "engine/quant/mixed_precision.h"

#include <cmath>
#include <cstdio>

#include "engine/arch/architecture.h"
#include "engine/forward/forward_fp32.h"
#include "engine/quant/calibration.h"
#include "engine/quant/code_quantizer.h"
#include "model_io/error.h"

namespace ingot {

namespace {

constexpr int32_t kWidths[3] = {2, 4, 8};

// The matrices whose width is chosen, with the float weights they stand for.
struct Candidates {
  Model& model;
  std::vector<std::pair<std::string, Weight*>>& out;

  void Global(const GlobalMatrix& m) {
    if (m.presence != Presence::kTiedWhenAbsent || model.tied_output()) return;  // not the embeddings; output untied
    out.emplace_back(TensorName(-1, m.name, kWeightSuffix), &(model.*m.weight));
  }
  void Matrix(int32_t layer, const LayerMatrix& m) {
    out.emplace_back(TensorName(layer, m.name, kWeightSuffix), &(model.layers[static_cast<size_t>(layer)].*m.weight));
  }
  void Norm(const GlobalNorm&) {}
  void Norm(int32_t, const LayerNorm&) {}
  void Vector(const GlobalVector&) {}
  void Vector(int32_t, const LayerVector&) {}
  void Bias(int32_t, const LayerMatrix&) {}
};

// Log-probabilities of every token's logits [n, n_vocab].
void LogSoftmax(const float* logits, int32_t n, int32_t n_vocab, double* out) {
  for (int32_t t = 0; t < n; ++t) {
    const float* row = logits + static_cast<int64_t>(t) * n_vocab;
    double* o = out + static_cast<int64_t>(t) * n_vocab;
    double max = row[0];
    for (int32_t v = 1; v < n_vocab; ++v) max = std::max(max, static_cast<double>(row[v]));
    double sum = 0.0;
    for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(row[v] - max);
    const double log_sum = max + std::log(sum);
    for (int32_t v = 0; v < n_vocab; ++v) o[v] = row[v] - log_sum;
  }
}

// The FP32 pass over tokens in chunks of n_ctx, as log-probabilities [tokens, n_vocab].
class Scorer {
 public:
  Scorer(const Model& model, const std::vector<int32_t>& tokens, int32_t n_ctx, int32_t n_threads)
      : model_(model), tokens_(tokens), n_ctx_(n_ctx), n_threads_(n_threads), n_vocab_(model.config().n_vocab) {
    reference_ = LogProbs();
  }
  // Mean KLD of the model as it is now against the reference.
  double Kld() const {
    const std::vector<double> test = LogProbs();
    double total = 0.0;
    for (size_t t = 0; t < tokens_.size(); ++t) {
      const double* p = reference_.data() + t * static_cast<size_t>(n_vocab_);
      const double* q = test.data() + t * static_cast<size_t>(n_vocab_);
      for (int32_t v = 0; v < n_vocab_; ++v) total += std::exp(p[v]) * (p[v] - q[v]);
    }
    return total / static_cast<double>(tokens_.size());
  }

 private:
  std::vector<double> LogProbs() const {
    Fp32Forward pass(model_, 1, n_ctx_, n_ctx_, n_threads_);
    std::vector<TokenPlace> places(static_cast<size_t>(n_ctx_));
    std::vector<int32_t> rows(static_cast<size_t>(n_ctx_));
    for (int32_t i = 0; i < n_ctx_; ++i) {
      places[static_cast<size_t>(i)] = TokenPlace{0, i};
      rows[static_cast<size_t>(i)] = i;
    }
    std::vector<float> logits(static_cast<size_t>(n_ctx_) * static_cast<size_t>(n_vocab_));
    std::vector<double> out(tokens_.size() * static_cast<size_t>(n_vocab_));
    for (size_t at = 0; at < tokens_.size(); at += static_cast<size_t>(n_ctx_)) {
      const auto n = static_cast<int32_t>(std::min(tokens_.size() - at, static_cast<size_t>(n_ctx_)));
      pass.Forward(tokens_.data() + at, places.data(), n, LogitRows{rows.data(), n}, logits.data());
      LogSoftmax(logits.data(), n, n_vocab_, out.data() + at * static_cast<size_t>(n_vocab_));
    }
    return out;
  }

  const Model& model_;
  const std::vector<int32_t>& tokens_;
  int32_t n_ctx_, n_threads_, n_vocab_;
  std::vector<double> reference_;
};

}  // namespace

MixedPrecision ChooseWidths(Model& model, const std::vector<int32_t>& tokens, int32_t n_ctx, double bpw,
                            const WeightFormats& base, const InputMoments* moments, int32_t n_threads,
                            const std::function<void(int32_t, int32_t)>& progress) {
  std::vector<std::pair<std::string, Weight*>> candidates;
  VisitTensors(model.config(), Candidates{model, candidates});
  const Scorer scorer(model, tokens, n_ctx, n_threads);
  MixedPrecision result;  // widths: the Lagrangian choice, then greedy widening (below)
  const auto total = static_cast<int32_t>(candidates.size() * 3);
  int32_t done = 0;
  for (const auto& [name, weight] : candidates) {
    MatrixChoice c;
    c.name = name;
    c.weights = weight->rows * weight->cols;
    const Weight original = *weight;
    std::vector<float> dequantized(static_cast<size_t>(c.weights));
    for (int32_t i = 0; i < 3; ++i) {
      const CodeFormat f = base.Format(kWidths[i]);
      const Int8Matrix q = QuantizeWeightCodes(original, f, moments != nullptr ? moments->For(name) : nullptr, n_threads);
      c.bits[i] = 8.0 * static_cast<double>(q.bytes()) / static_cast<double>(c.weights);
      DequantizeCodes(q, dequantized.data());
      Weight swapped = original;
      swapped.type = GgmlType::kF32;
      swapped.row_bytes = static_cast<uint64_t>(original.cols) * sizeof(float);
      swapped.data = reinterpret_cast<const uint8_t*>(dequantized.data());
      *weight = swapped;
      c.loss[i] = scorer.Kld();
      *weight = original;
      if (progress) progress(++done, total);
    }
    result.matrices.push_back(c);
  }
  double weights = 0.0, used = 0.0;
  for (const MatrixChoice& c : result.matrices) {
    weights += static_cast<double>(c.weights);
    used += c.bits[0] * static_cast<double>(c.weights);
  }
  if (used > bpw * weights) {
    throw Error("--bpw " + std::to_string(bpw) + ": even 2 bits everywhere take " + std::to_string(used / weights) +
                " bits per weight", ErrorKind::kInvalidArgument);
  }
  // The Lagrangian choice first: each matrix the width minimizing loss + lambda * bits, lambda
  // the smallest that keeps the budget (bisected on a log scale). It can give one large matrix
  // (the output) 4 bits and many small ones 2, where widening one matrix at a time from 2 bits
  // everywhere cannot afford the large one's step.
  const auto choose = [&](double lambda) {
    double bits = 0.0;
    for (MatrixChoice& c : result.matrices) {
      int32_t best = 0;
      for (int32_t i = 1; i < 3; ++i) {
        const double n = static_cast<double>(c.weights);
        if (c.loss[i] + lambda * c.bits[i] * n < c.loss[best] + lambda * c.bits[best] * n) best = i;
      }
      c.chosen = best;
      bits += c.bits[best] * static_cast<double>(c.weights);
    }
    return bits;
  };
  double lo = 1e-18, hi = 1.0;  // lambda: loss per bit
  while (choose(hi) > bpw * weights) hi *= 10.0;
  for (int32_t step = 0; step < 60; ++step) {
    const double mid = std::sqrt(lo * hi);
    (choose(mid) > bpw * weights ? lo : hi) = mid;
  }
  used = choose(hi);
  // Then, while the budget allows, the widening that removes the most loss per added bit.
  for (;;) {
    MatrixChoice* best = nullptr;
    double best_gain = 0.0;
    for (MatrixChoice& c : result.matrices) {
      if (c.chosen == 2) continue;
      const double cost = (c.bits[c.chosen + 1] - c.bits[c.chosen]) * static_cast<double>(c.weights);
      if (used + cost > bpw * weights) continue;
      const double gain = (c.loss[c.chosen] - c.loss[c.chosen + 1]) / cost;
      if (best == nullptr || gain > best_gain) {
        best = &c;
        best_gain = gain;
      }
    }
    if (best == nullptr || best_gain <= 0.0) break;
    used += (best->bits[best->chosen + 1] - best->bits[best->chosen]) * static_cast<double>(best->weights);
    ++best->chosen;
  }
  result.bpw = used / weights;
  result.formats = base;
  for (const MatrixChoice& c : result.matrices) result.formats.Set(c.name, kWidths[c.chosen]);
  return result;
}

}  // namespace ingot
