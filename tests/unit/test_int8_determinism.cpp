// The integer path's promise: the same logits, bit for bit, on every kernel table and thread
// count, and golden hashes of them (stories260K, docs-gpt2-7m) that any machine must reproduce.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "kernels/dispatch.h"
#include "tests/test_util.h"
#include "tests/unit/int8_hash.h"

namespace ingot {
namespace {

constexpr const char* kStory = "Once upon a time, there was a little girl named Lily.";

void CheckAllTablesAgree(const std::string& relative, const char* text, uint64_t golden,
                         const WeightFormats& formats = {}) {
  const std::string path = test::FindAsset(relative);
  if (path.empty()) {
    MESSAGE("skipped: " << relative << " not found");
    return;
  }
  const uint64_t hash = test::CheckInt8LogitsAgree(path, text, formats);
  if (golden != 0) CHECK(hash == golden);
}

TEST_CASE("stories260K int8 logits: the same bits on every ISA and thread count, and the golden hash") {
  // Integer arithmetic is exact: this value holds for any compiler, CPU and thread count.
  CheckAllTablesAgree("models/stories260K/stories260K.bin", kStory, 10185708388449271959ull);
}

TEST_CASE("docs-llama-7m int8 logits: the same bits on every ISA and thread count") {
  CheckAllTablesAgree("models/docs-llama-7m/model.f32.gguf", kStory, 0);
}

TEST_CASE("docs-gpt2-7m int8 logits: the same bits on every ISA and thread count, and the golden hash") {
  // gpt2's integer path: LayerNorm, tanh GELU, biases, learned positions.
  CheckAllTablesAgree("models/docs-gpt2-7m/model.f32.gguf", "The package manager installs software from the archive",
                      11497020277482511798ull);
}

TEST_CASE("weight codes (8, 4, 2 bits, symmetric and asymmetric, every group size): the same bits everywhere, golden hashes") {
  // stories260K: d_model 64, so every group size up to 256 spans whole rows or more (padding).
  struct Case {
    const char* bits;
    int32_t group, asym;
    uint64_t golden;
  };
  // The hashes hold while the round-to-nearest quantizer (engine/quant/code_quantizer.cpp) is unchanged.
  for (const Case& c : {Case{"4", 32, -1, 14745352172351947148ull}, Case{"2", 64, -1, 5741138243660245653ull},
                        Case{"8", 128, 0, 12827673503472202484ull}, Case{"4", 256, 0, 14477364173620779607ull},
                        Case{"2,attn_v=8,output=4", 32, 1, 9877574001353949117ull}}) {  // output, not attn_output
    INFO("--bits " << c.bits << " --group " << c.group);
    CheckAllTablesAgree("models/stories260K/stories260K.bin", kStory, c.golden, WeightFormats::Parse(c.bits, c.group, c.asym));
  }
}

TEST_CASE("docs-gpt2-7m and docs-llama-7m at 4 bits: the same bits everywhere") {
  CheckAllTablesAgree("models/docs-gpt2-7m/model.f32.gguf", "The package manager installs software from the archive", 0,
                      WeightFormats::Parse("4,output=4", 64, -1));
  CheckAllTablesAgree("models/docs-llama-7m/model.f32.gguf", kStory, 0, WeightFormats::Parse("4", 32, 0));
}

}  // namespace
}  // namespace ingot
