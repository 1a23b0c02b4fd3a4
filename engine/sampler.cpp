#include "engine/sampler.h"

#include <algorithm>
#include <cmath>

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
      penalized_(static_cast<size_t>(n_vocab)), probabilities_(static_cast<size_t>(n_vocab)) {}

double Sampler::NextUniform() {
  // SplitMix64, top 53 bits.
  uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

int32_t Sampler::Sample(const float* logits, const std::vector<int32_t>& history) {
  const int32_t n_vocab = static_cast<int32_t>(candidates_.size());
  std::copy_n(logits, n_vocab, penalized_.begin());
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n > 0) {
    // A penalized token is penalized once, however often it occurs.
    const size_t start = history.size() > static_cast<size_t>(params_.repeat_last_n)
                             ? history.size() - static_cast<size_t>(params_.repeat_last_n) : 0;
    for (size_t i = start; i < history.size(); ++i) {
      const int32_t id = history[i];
      if (id < 0 || id >= n_vocab || logits[id] != penalized_[static_cast<size_t>(id)]) continue;
      float& l = penalized_[static_cast<size_t>(id)];
      l = l > 0.0f ? l / params_.repeat_penalty : l * params_.repeat_penalty;
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
  // Softmax at temperature over the kept candidates, in double for a stable cumulative sum.
  const double max_logit = candidates_[0].logit;
  double sum = 0.0;
  std::vector<double>& p = probabilities_;
  for (int32_t i = 0; i < n; ++i) {
    p[static_cast<size_t>(i)] = std::exp((candidates_[static_cast<size_t>(i)].logit - max_logit) / params_.temperature);
    sum += p[static_cast<size_t>(i)];
  }
  if (params_.top_p < 1.0f) {
    double cumulative = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      cumulative += p[static_cast<size_t>(i)] / sum;
      if (cumulative >= params_.top_p) {
        n = i + 1;
        break;
      }
    }
    sum = 0.0;
    for (int32_t i = 0; i < n; ++i) sum += p[static_cast<size_t>(i)];
  }
  double r = NextUniform() * sum;
  for (int32_t i = 0; i < n; ++i) {
    r -= p[static_cast<size_t>(i)];
    if (r < 0.0) return candidates_[static_cast<size_t>(i)].id;
  }
  return candidates_[static_cast<size_t>(n - 1)].id;
}

}  // namespace ingot
