#include "tests/test_util.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ingot::test {

std::string FindAsset(const std::string& relative) {
  const fs::path source(INGOT_SOURCE_DIR);
  for (const fs::path& root : {source, source / ".." / "shared"}) {
    const fs::path candidate = root / relative;
    if (fs::exists(candidate)) return candidate.lexically_normal().string();
  }
  // scripts/test sets this when ../shared is there: then a missing file is a failure, so a test
  // that depends on it can never pass by skipping.
  if (std::getenv("INGOT_REQUIRE_ASSETS") != nullptr) throw std::runtime_error("required test file missing: " + relative);
  return "";
}

namespace {
struct Scratch {
  fs::path dir;
  Scratch() {
    dir = fs::temp_directory_path() / ("ingot-test-" + std::to_string(getpid()));
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
}  // namespace

std::string ScratchDir() {
  static Scratch scratch;
  return scratch.dir.string();
}

std::string WriteScratchFile(const std::string& name, const std::string& bytes) {
  const std::string path = ScratchDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int32_t Rng::Uniform(int32_t lo, int32_t hi) {
  const uint64_t span = static_cast<uint64_t>(static_cast<int64_t>(hi) - lo + 1);
  return static_cast<int32_t>(lo + static_cast<int64_t>(Next() % span));
}

float Rng::UniformFloat(float lo, float hi) {
  const float unit = static_cast<float>(Next() >> 40) / static_cast<float>(1ull << 24);
  return lo + (hi - lo) * unit;
}

}  // namespace ingot::test
