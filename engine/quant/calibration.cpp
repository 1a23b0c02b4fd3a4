#include "engine/quant/calibration.h"

#include <algorithm>
#include <string_view>

#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

namespace {

constexpr int32_t kLayerInputs = 4;  // kAttn .. kFfnDown

int32_t InputWidth(const ModelConfig& c, MatrixInput input) {
  switch (input) {
    case MatrixInput::kAttnOutput: return c.q_dim();
    case MatrixInput::kFfnDown: return c.d_ffn;
    default: return c.d_model;
  }
}

// Which input a matrix reads, by its name in the architecture's table.
bool InputOf(std::string_view name, MatrixInput* input) {
  struct Entry {
    std::string_view name;
    MatrixInput input;
  };
  static constexpr Entry kEntries[] = {
      {"attn_q", MatrixInput::kAttn},         {"attn_k", MatrixInput::kAttn},   {"attn_v", MatrixInput::kAttn},
      {"attn_output", MatrixInput::kAttnOutput}, {"ffn_gate", MatrixInput::kFfn}, {"ffn_up", MatrixInput::kFfn},
      {"ffn_down", MatrixInput::kFfnDown},
  };
  for (const Entry& e : kEntries) {
    if (name == e.name) {
      *input = e.input;
      return true;
    }
  }
  return false;
}

}  // namespace

InputMoments::InputMoments(const ModelConfig& c) : n_layers_(c.n_layers) {
  sites_.resize(static_cast<size_t>(n_layers_ * kLayerInputs + 1));
  for (int32_t l = -1; l < n_layers_; ++l) {
    for (int32_t i = 0; i < (l < 0 ? 1 : kLayerInputs); ++i) {
      const MatrixInput input = l < 0 ? MatrixInput::kOutput : static_cast<MatrixInput>(i);
      Moments& m = At(l, input);
      m.k = InputWidth(c, input);
      m.h.assign(static_cast<size_t>(m.k) * static_cast<size_t>(m.k), 0.0);
    }
  }
}

Moments& InputMoments::At(int32_t layer, MatrixInput input) {
  const size_t index = layer < 0 ? sites_.size() - 1 : static_cast<size_t>(layer * kLayerInputs + static_cast<int32_t>(input));
  return sites_[index];
}

void InputMoments::Observe(int32_t layer, MatrixInput input, const float* x, int32_t n) {
  Moments& m = At(layer, input);
  const int32_t k = m.k;
  // Rows of the upper triangle split over the threads; each row i adds x[i] * x[i..k) per token.
  kernels::ParallelFor(k, 1, n_threads_, [&](int32_t begin, int32_t end) {
    for (int32_t i = begin; i < end; ++i) {
      double* row = m.h.data() + static_cast<size_t>(i) * static_cast<size_t>(k);
      for (int32_t t = 0; t < n; ++t) {
        const float* xt = x + static_cast<int64_t>(t) * k;
        const double xi = xt[i];
        if (xi == 0.0) continue;
        for (int32_t j = i; j < k; ++j) row[j] += xi * xt[j];
      }
    }
  });
  m.tokens += n;
}

void InputMoments::Finish() {
  for (Moments& m : sites_) {
    const auto k = static_cast<size_t>(m.k);
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < i; ++j) m.h[i * k + j] = m.h[j * k + i];
    }
  }
}

int64_t InputMoments::bytes() const {
  int64_t total = 0;
  for (const Moments& m : sites_) total += static_cast<int64_t>(m.h.size() * sizeof(double));
  return total;
}

const Moments* InputMoments::For(const std::string& tensor) const {
  constexpr std::string_view kSuffix = ".weight";
  std::string_view name = tensor;
  if (!name.ends_with(kSuffix)) return nullptr;
  name.remove_suffix(kSuffix.size());
  const Moments* m = nullptr;
  if (name == "output") {
    m = &sites_.back();
  } else if (name.starts_with("blk.")) {
    const size_t dot = name.find('.', 4);
    if (dot == std::string_view::npos) return nullptr;
    const int32_t layer = std::stoi(std::string(name.substr(4, dot - 4)));
    MatrixInput input;
    if (layer < 0 || layer >= n_layers_ || !InputOf(name.substr(dot + 1), &input)) return nullptr;
    m = &sites_[static_cast<size_t>(layer * kLayerInputs + static_cast<int32_t>(input))];
  }
  return m != nullptr && m->tokens > 0 ? m : nullptr;
}

InputMoments CollectInputMoments(const Model& model, const std::vector<int32_t>& tokens, int32_t n_ctx, int32_t n_threads,
                                 const std::function<void(const CalibrationProgress&)>& progress) {
  const ModelConfig& c = model.config();
  InputMoments moments(c);
  moments.set_threads(n_threads);
  Fp32Forward pass(model, 1, n_ctx, n_ctx, n_threads);
  pass.set_observer(&moments);
  std::vector<TokenPlace> places(static_cast<size_t>(n_ctx));
  std::vector<int32_t> rows(static_cast<size_t>(n_ctx));
  std::vector<float> logits(static_cast<size_t>(n_ctx) * static_cast<size_t>(c.n_vocab));
  for (int32_t i = 0; i < n_ctx; ++i) {
    places[static_cast<size_t>(i)] = TokenPlace{0, i};
    rows[static_cast<size_t>(i)] = i;
  }
  const auto total = static_cast<int64_t>(tokens.size());
  for (int64_t at = 0; at < total; at += n_ctx) {
    const auto n = static_cast<int32_t>(std::min<int64_t>(n_ctx, total - at));
    pass.Forward(tokens.data() + at, places.data(), n, LogitRows{rows.data(), n}, logits.data());
    if (progress) progress({at + n, total});
  }
  moments.Finish();
  return moments;
}

}  // namespace ingot
