// Helpers shared by the unit tests: where the models and data are, scratch files, a seeded PRNG.
#pragma once

#include <cstdint>
#include <string>

namespace ingot::test {

// Path of a file under models/ or data/, looked up in <source>/models|data first, then in
// <source>/../shared/models|data. Returns "" when absent (the caller skips with a message),
// or throws when INGOT_REQUIRE_ASSETS is set (scripts/test sets it when ../shared exists).
std::string FindAsset(const std::string& relative);  // e.g. "models/stories260K/stories260K.bin"

// A fresh scratch directory for this test process (removed at exit).
std::string ScratchDir();

// Writes bytes to a file under ScratchDir() and returns its path.
std::string WriteScratchFile(const std::string& name, const std::string& bytes);
std::string ReadFile(const std::string& path);

// SplitMix64: deterministic, seedable; failing tests print the seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  int32_t Uniform(int32_t lo, int32_t hi);  // inclusive
  float UniformFloat(float lo, float hi);
 private:
  uint64_t state_;
};

}  // namespace ingot::test
