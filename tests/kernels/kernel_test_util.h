// Helpers for the kernel tests: a seeded PRNG (seed printed on failure),
// misalignable buffers and hostile int8 data.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/fixed_point.h"
#include "kernels/packed_weights.h"

namespace ingot::kernels::test {

// SplitMix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t Uniform(int64_t lo, int64_t hi) {  // inclusive
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return span == 0 ? static_cast<int64_t>(Next()) : lo + static_cast<int64_t>(Next() % span);
  }
  bool Coin(int32_t one_in) { return Uniform(0, one_in - 1) == 0; }

 private:
  uint64_t state_;
};

// Base seed: INGOT_TEST_SEED or a fixed default, so runs are deterministic.
inline uint64_t BaseSeed() {
  const char* s = std::getenv("INGOT_TEST_SEED");
  return s != nullptr && s[0] != '\0' ? std::strtoull(s, nullptr, 0) : 0x1D607ull;
}

// A buffer of T whose data() is `misalign` elements past a 64-byte boundary
// (misalign 0 = aligned), to catch aligned-load assumptions. (Whole elements:
// an int32 at an odd byte address would be undefined behaviour in C++.)
template <typename T>
class Buffer {
 public:
  Buffer(int64_t count, int32_t misalign) : count_(count) {
    const size_t bytes = static_cast<size_t>(count + 64) * sizeof(T) + 128;
    storage_.reset(new uint8_t[bytes + 64]);
    auto base = reinterpret_cast<uintptr_t>(storage_.get());
    base = (base + 63) & ~uintptr_t{63};
    data_ = reinterpret_cast<T*>(base + static_cast<uintptr_t>(misalign) * sizeof(T));
    std::memset(static_cast<void*>(data_), 0x5A, static_cast<size_t>(count) * sizeof(T));
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](int64_t i) { return data_[i]; }
  const T& operator[](int64_t i) const { return data_[i]; }
  int64_t size() const { return count_; }

 private:
  std::unique_ptr<uint8_t[]> storage_;
  T* data_ = nullptr;
  int64_t count_ = 0;
};

enum class Fill { kRandom, kAllMax, kAllMin, kZero, kAlternating, kExtremes, kSparse };
inline constexpr Fill kAllFills[] = {Fill::kRandom,      Fill::kAllMax,   Fill::kAllMin, Fill::kZero,
                                     Fill::kAlternating, Fill::kExtremes, Fill::kSparse};

inline const char* FillName(Fill f) {
  switch (f) {
    case Fill::kRandom: return "random";
    case Fill::kAllMax: return "all127";
    case Fill::kAllMin: return "all-127";
    case Fill::kZero: return "zero";
    case Fill::kAlternating: return "alternating";
    case Fill::kExtremes: return "extremes";
    case Fill::kSparse: return "sparse";
  }
  return "?";
}

// int8 values in [-127, 127] following the pattern.
inline void FillS8(int8_t* v, int64_t n, Fill f, Rng& rng) {
  for (int64_t i = 0; i < n; ++i) {
    int64_t x = 0;
    switch (f) {
      case Fill::kRandom: x = rng.Uniform(-127, 127); break;
      case Fill::kAllMax: x = 127; break;
      case Fill::kAllMin: x = -127; break;
      case Fill::kZero: x = 0; break;
      case Fill::kAlternating: x = (i & 1) != 0 ? -127 : 127; break;
      case Fill::kExtremes: x = rng.Coin(2) ? (rng.Coin(2) ? 127 : -127) : rng.Uniform(-2, 2); break;
      case Fill::kSparse: x = rng.Coin(8) ? rng.Uniform(-127, 127) : 0; break;
    }
    v[i] = static_cast<int8_t>(x);
  }
}

// An int8 matrix [n, k] (row stride ld) packed into misaligned buffers.
struct Packed {
  Buffer<int8_t> data;
  Buffer<int32_t> sums;
  PackedS8Weights w;
  Packed(const int8_t* src, int32_t n, int32_t k, int64_t ld, int32_t misalign)
      : data(PackedS8DataBytes(n, k), misalign), sums(PackedS8RowSumCount(n), 0) {
    w = PackS8Weights(src, n, k, ld, data.data(), sums.data());
  }
};

// What output the kernels must leave untouched holds.
inline constexpr int32_t kSentinel = 0x7EADBEEF;

}  // namespace ingot::kernels::test
