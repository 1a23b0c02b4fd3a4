#include "engine/session/sampler.h"

#include <algorithm>
#include <cmath>

#include "model_io/error.h"

namespace ingot {

int32_t Argmax(const float* logits, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

Sampler::Sampler(const SamplerParams& params, int32_t n_vocab)
    : params_(params), rng_state_(params.seed), candidates_(static_cast<size_t>(n_vocab)),
      penalized_(static_cast<size_t>(n_vocab)), seen_(static_cast<size_t>(n_vocab), 0),
      probabilities_(static_cast<size_t>(n_vocab)) {
  if (!(params.repeat_penalty > 0.0f)) {
    throw Error("the repeat penalty must be positive (1 turns it off)", ErrorKind::kInvalidArgument);
  }
  if (!(params.top_p > 0.0f)) throw Error("top-p must be positive (1 turns it off)", ErrorKind::kInvalidArgument);
  if (params.top_k < 0) throw Error("top-k must be 0 (off) or positive", ErrorKind::kInvalidArgument);
  if (params.repeat_last_n < 0) throw Error("the repeat window must not be negative", ErrorKind::kInvalidArgument);
}

double Sampler::NextUniform() {
  // SplitMix64, top 53 bits.
  uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

// llama.cpp's chain: repetition penalty -> top-k -> top-p -> temperature -> draw.
int32_t Sampler::Sample(const float* logits, const std::vector<int32_t>& history) {
  const int32_t n_vocab = static_cast<int32_t>(candidates_.size());
  std::copy_n(logits, n_vocab, penalized_.begin());
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n > 0) {
    const size_t start = history.size() > static_cast<size_t>(params_.repeat_last_n)
                             ? history.size() - static_cast<size_t>(params_.repeat_last_n) : 0;
    for (size_t i = start; i < history.size(); ++i) {
      const int32_t id = history[i];
      if (id < 0 || id >= n_vocab || seen_[static_cast<size_t>(id)]) continue;
      seen_[static_cast<size_t>(id)] = 1;  // a token is penalized once, however often it occurs
      float& l = penalized_[static_cast<size_t>(id)];
      l = l > 0.0f ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
    for (size_t i = start; i < history.size(); ++i) {
      if (history[i] >= 0 && history[i] < n_vocab) seen_[static_cast<size_t>(history[i])] = 0;
    }
  }
  if (params_.temperature <= 0.0f) return Argmax(penalized_.data(), n_vocab);

  for (int32_t i = 0; i < n_vocab; ++i) candidates_[static_cast<size_t>(i)] = {penalized_[static_cast<size_t>(i)], i};
  // Highest logit first; equal logits by id, so the order (and the draw) is fully determined.
  auto higher = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
  int32_t n = n_vocab;
  if (params_.top_k > 0 && params_.top_k < n) {
    n = params_.top_k;
    std::partial_sort(candidates_.begin(), candidates_.begin() + n, candidates_.end(), higher);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), higher);
  }
  // Probabilities in double for a stable cumulative sum; top-p cuts on them at temperature 1.
  const double max_logit = candidates_[0].logit;
  std::vector<double>& p = probabilities_;
  if (params_.top_p < 1.0f) {
    double sum = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      p[static_cast<size_t>(i)] = std::exp(candidates_[static_cast<size_t>(i)].logit - max_logit);
      sum += p[static_cast<size_t>(i)];
    }
    double cumulative = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      cumulative += p[static_cast<size_t>(i)] / sum;
      if (cumulative >= params_.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) {
    p[static_cast<size_t>(i)] = std::exp((candidates_[static_cast<size_t>(i)].logit - max_logit) / params_.temperature);
    sum += p[static_cast<size_t>(i)];
  }
  double r = NextUniform() * sum;
  for (int32_t i = 0; i < n; ++i) {
    r -= p[static_cast<size_t>(i)];
    if (r < 0.0) return candidates_[static_cast<size_t>(i)].id;
  }
  return candidates_[static_cast<size_t>(n - 1)].id;
}

}  // namespace ingot
