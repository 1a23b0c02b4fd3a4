// The sampler: greedy ties, seeds, and the truncation rules, on hand-made logits.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <vector>

#include "engine/session/sampler.h"
#include "model_io/error.h"

namespace ingot {
namespace {

TEST_CASE("greedy takes the highest logit and the lowest id on ties") {
  SamplerParams p;
  p.temperature = 0.0f;
  p.repeat_penalty = 1.0f;
  Sampler s(p, 5);
  const float logits[5] = {0.1f, 2.0f, -1.0f, 2.0f, 1.9f};
  CHECK(s.Sample(logits, {}) == 1);
  CHECK(Argmax(logits, 5) == 1);
}

TEST_CASE("the repetition penalty lowers recent tokens once, positive logits divided, negative multiplied") {
  SamplerParams p;
  p.temperature = 0.0f;
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p, 3);
  const float logits[3] = {3.0f, 2.0f, -0.5f};
  CHECK(s.Sample(logits, {0}) == 1);            // 3 / 2 = 1.5 < 2
  CHECK(s.Sample(logits, {0, 0, 0}) == 1);      // still 1.5: penalized once
  CHECK(s.Sample(logits, {0, 2, 1}) == 0);      // only the last 2 tokens count: 0 is not penalized
}

TEST_CASE("the same seed gives the same draws; another seed gives others") {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.repeat_penalty = 1.0f;
  std::vector<float> logits(100, 0.0f);  // uniform
  auto draws = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p, 100);
    std::vector<int32_t> out;
    for (int i = 0; i < 50; ++i) out.push_back(s.Sample(logits.data(), {}));
    return out;
  };
  CHECK(draws(42) == draws(42));
  CHECK(draws(42) != draws(43));
}

TEST_CASE("top-k and top-p keep only the allowed tokens, and frequencies follow the probabilities") {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplerParams p;
  p.temperature = 1.0f;
  p.repeat_penalty = 1.0f;
  p.seed = 7;
  auto histogram = [&](int32_t top_k, float top_p) {
    p.top_k = top_k;
    p.top_p = top_p;
    Sampler s(p, 4);
    std::map<int32_t, int> counts;
    for (int i = 0; i < 20000; ++i) ++counts[s.Sample(logits.data(), {})];
    return counts;
  };
  const auto all = histogram(0, 1.0f);
  CHECK(all.at(0) / 20000.0 == doctest::Approx(0.5).epsilon(0.05));
  CHECK(all.at(3) / 20000.0 == doctest::Approx(0.05).epsilon(0.15));
  const auto k2 = histogram(2, 1.0f);
  CHECK(k2.size() == 2);
  CHECK(k2.at(0) / 20000.0 == doctest::Approx(0.625).epsilon(0.05));  // 0.5 / 0.8
  const auto p80 = histogram(0, 0.79f);  // 0.5 + 0.3 reaches 0.79: tokens 0 and 1
  CHECK(p80.size() == 2);
  const auto p81 = histogram(0, 0.81f);
  CHECK(p81.size() == 3);
}

TEST_CASE("top-p cuts on the probabilities at temperature 1, before the temperature (llama.cpp's order)") {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplerParams p;
  p.temperature = 0.5f;  // sharpens {0.5, 0.3} to {0.735, 0.265} over the kept pair
  p.top_k = 0;
  p.top_p = 0.6f;  // at temperature 1, 0.5 < 0.6 <= 0.8: tokens 0 and 1 stay
  p.repeat_penalty = 1.0f;
  p.seed = 3;
  Sampler s(p, 4);
  int ones = 0;
  for (int i = 0; i < 20000; ++i) {
    const int32_t id = s.Sample(logits.data(), {});
    CHECK(id <= 1);
    ones += id == 1;
  }
  CHECK(ones / 20000.0 == doctest::Approx(0.09 / 0.34).epsilon(0.05));
}

TEST_CASE("parameters that make no sense are refused") {
  SamplerParams p;
  p.repeat_penalty = 0.0f;
  CHECK_THROWS_WITH_AS(Sampler(p, 4), doctest::Contains("repeat penalty must be positive"), Error);
  p = SamplerParams{};
  p.top_p = 0.0f;
  CHECK_THROWS_WITH_AS(Sampler(p, 4), doctest::Contains("top-p must be positive"), Error);
  p = SamplerParams{};
  p.top_k = -1;
  CHECK_THROWS_AS(Sampler(p, 4), Error);
}

TEST_CASE("a low temperature sharpens the distribution toward the top token") {
  const std::vector<float> logits = {1.0f, 0.0f};
  SamplerParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.repeat_penalty = 1.0f;
  p.temperature = 0.1f;  // p(0) = 1 / (1 + e^-10)
  Sampler s(p, 2);
  int zeros = 0;
  for (int i = 0; i < 2000; ++i) zeros += s.Sample(logits.data(), {}) == 0;
  CHECK(zeros >= 1990);
}

}  // namespace
}  // namespace ingot
