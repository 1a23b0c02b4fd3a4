// Token sampling from logits: greedy, or repetition penalty -> top-k -> top-p -> temperature
// -> a draw from our own seeded generator, so the same seed gives the same text everywhere.
#pragma once

#include <cstdint>
#include <vector>

namespace ingot {

struct SamplerParams {
  float temperature = 0.8f;    // <= 0: greedy (argmax, lowest id on ties)
  int32_t top_k = 40;          // <= 0: all tokens
  float top_p = 0.95f;         // >= 1: no nucleus cut
  float repeat_penalty = 1.1f; // 1: off; applied to the last repeat_last_n tokens (llama.cpp's rule)
  int32_t repeat_last_n = 64;
  uint64_t seed = 0;
};

class Sampler {
 public:
  // Throws ingot::Error for a non-positive repeat penalty or top-p, or a negative top-k.
  Sampler(const SamplerParams& params, int32_t n_vocab);

  // Picks the next token from logits [n_vocab], given the tokens seen so far (for the penalty).
  int32_t Sample(const float* logits, const std::vector<int32_t>& history);
  const SamplerParams& params() const { return params_; }

 private:
  double NextUniform();  // [0, 1)

  SamplerParams params_;
  uint64_t rng_state_;
  struct Candidate {
    float logit;
    int32_t id;
  };
  std::vector<Candidate> candidates_;  // [n_vocab], reused for every draw
  std::vector<float> penalized_;       // [n_vocab]
  std::vector<uint8_t> seen_;          // [n_vocab], all 0 between draws
  std::vector<double> probabilities_;  // [n_vocab]
};

// argmax with the lowest id on ties.
int32_t Argmax(const float* logits, int32_t n);

}  // namespace ingot
