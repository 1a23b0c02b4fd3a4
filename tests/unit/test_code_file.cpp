// Low-bit weights (weight codes in groups, engine/quant/weight_format.h): an ingot file of code
// matrices gives the logits of in-memory quantization and holds what the format says; GPTQ
// lowers the error it minimizes; a damaged file that still passes its hashes (edited and
// re-hashed) is refused by name; --bits items that make no sense are one-line errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/forward/fp32_ops.h"
#include "engine/model/model.h"
#include "engine/quant/calibration.h"
#include "engine/quant/code_quantizer.h"
#include "engine/quant/ingot_gguf.h"
#include "engine/quant/int8_matrix.h"
#include "engine/quant/mixed_precision.h"
#include "ingot/ingot.h"
#include "model_io/error.h"
#include "tests/test_util.h"
#include "tests/tools/model_helpers.h"
#include "tests/unit/int8_hash.h"

namespace ingot {
namespace {

constexpr const char* kStories = "models/stories260K/stories260K.bin";
constexpr const char* kStory = "Once upon a time, there was a little girl named Lily.";

std::string Quantize(const std::string& in, const std::string& name, const WeightFormats& formats,
                     const InputMoments* moments = nullptr) {
  const std::string out = test::ScratchDir() + "/" + name;
  WriteIngotGguf(*Model::Load(in), out, formats, moments, 2, {});
  return out;
}

uint64_t Hash(const Model& model) {
  std::vector<int32_t> greedy;
  return test::LogitsHash(model, kStory, 1, &greedy);
}

TEST_CASE("a file of code matrices gives the logits of in-memory quantization, and holds its format") {
  const std::string in = test::FindAsset(kStories);
  if (in.empty()) {
    MESSAGE("skipped: stories260K not found");
    return;
  }
  for (const auto& [bits, group, asym] : {std::tuple{"4", 32, -1}, std::tuple{"2,attn_v=8,output=4", 64, 0}}) {
    CAPTURE(bits);
    const WeightFormats formats = WeightFormats::Parse(bits, group, asym);
    const std::string out = Quantize(in, "stories_codes.gguf", formats);
    ModelLoadOptions prepare;
    prepare.prepare_int8 = true;
    prepare.formats = formats;
    const std::unique_ptr<Model> in_memory = Model::Load(in, prepare);
    const std::unique_ptr<Model> from_file = Model::Load(out);
    CHECK(Hash(*from_file) == Hash(*in_memory));
    CHECK(from_file->int8()->weight_bytes() == in_memory->int8()->weight_bytes());

    const std::unique_ptr<GgufFile> g = GgufFile::Open(out);
    CHECK(g->RequireInt("ingot.format_version") == 2);
    const int32_t q_bits = std::string(bits) == "4" ? 4 : 2;
    CHECK(*g->GetIntArray("ingot.codes.blk.0.attn_q.weight") == std::vector<int64_t>{q_bits, group});
    CHECK(g->GetIntArray("ingot.codes.token_embd.weight") == std::nullopt);  // embeddings stay int8
    // attn_q is [64, 64]: 64 / group groups per row, k padded to the group.
    const auto k_pad = static_cast<uint64_t>(std::max(64, group));
    CHECK(g->RequireTensor("blk.0.attn_q.weight").dims == std::vector<uint64_t>{k_pad * q_bits / 8, 64});
    CHECK(g->RequireTensor("blk.0.attn_q.weight.group_scales").dims == std::vector<uint64_t>{k_pad / group, 64});
    CHECK((g->FindTensor("blk.0.attn_q.weight.group_zeros") != nullptr) == (asym != 0));
    CHECK(g->FindTensor("blk.0.attn_q.weight.row_sums") == nullptr);
    if (q_bits == 2) CHECK(*g->GetIntArray("ingot.codes.blk.4.attn_v.weight") == std::vector<int64_t>{8, group});
    const Int8Matrix& m = from_file->int8()->layers[1].ffn_down;
    REQUIRE(m.has_codes());
    CHECK(kernels::CodesFitInt32(m.codes));
    for (const IngotHashCheck& check : CheckIngotHashes(*g, 1)) CHECK_MESSAGE(check.ok(), check.name);

    // What the C API (and inspect) says of each matrix.
    ingot_model* handle = nullptr;
    REQUIRE(ingot_model_load(out.c_str(), nullptr, &handle) == INGOT_OK);
    int64_t n = 0;
    REQUIRE(ingot_model_n_matrices(handle, &n) == INGOT_OK);
    CHECK(n == 1 + 5 * 7);  // token_embd (the output is tied to it), 7 matrices in each of 5 layers
    ingot_matrix_info info{};
    info.struct_size = sizeof info;
    REQUIRE(ingot_model_get_matrix(handle, 0, &info) == INGOT_OK);
    CHECK(std::string(info.name) == "token_embd.weight");
    CHECK(std::string(info.format) == "int8");
    REQUIRE(ingot_model_get_matrix(handle, 1, &info) == INGOT_OK);
    CHECK(std::string(info.name) == "blk.0.attn_q.weight");
    CHECK(std::string(info.format) == std::to_string(q_bits) + "-bit g" + std::to_string(group) + (asym ? " asym" : " sym"));
    CHECK(info.bits == q_bits);
    CHECK(info.group == group);
    CHECK(info.rows == 64);
    CHECK(info.cols == 64);
    CHECK(info.bytes == from_file->int8()->layers[0].attn_q.bytes());
    CHECK(ingot_model_get_matrix(handle, n, &info) == INGOT_ERROR_INVALID_ARGUMENT);
    CHECK(ingot_model_free(handle) == INGOT_OK);
  }
}

// sum over rows of (w - q) H (w - q)^T: the output error GPTQ minimizes.
double OutputError(const Weight& w, const Int8Matrix& q, const Moments& h) {
  const auto k = static_cast<size_t>(w.cols);
  std::vector<float> row(k);
  std::vector<double> e(k);
  double total = 0.0;
  for (int32_t r = 0; r < q.rows(); ++r) {
    fp32::DequantizeWeightRow(w, r, row.data());
    const double scale = DyadicToDouble(q.scale[r]);
    for (size_t j = 0; j < k; ++j) {
      const auto c = static_cast<int32_t>(j);
      const int32_t g = c / q.codes.group;
      const double s = q.codes.scales[kernels::PackedGroupOffset(q.codes, r, g)];
      e[j] = row[j] - scale * s * (kernels::CodeAt(q.codes, r, c) - kernels::ZeroAt(q.codes, r, g));
    }
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < k; ++j) total += e[i] * h.h[i * k + j] * e[j];
    }
  }
  return total;
}

TEST_CASE("GPTQ lowers the output error it minimizes, at 4 and 2 bits, on every matrix of a layer") {
  const std::string path = test::FindAsset("models/docs-llama-7m/model.f32.gguf");
  const std::string text_path = test::FindAsset("data/calib/gnu-info.txt");
  if (path.empty() || text_path.empty()) {
    MESSAGE("skipped: docs-llama-7m or the calibration text not found");
    return;
  }
  const std::unique_ptr<Model> model = Model::Load(path);
  std::vector<int32_t> tokens = model->tokenizer().Encode(test::ReadFile(text_path).substr(0, 40000), true);
  tokens.resize(1024);
  const InputMoments moments = CollectInputMoments(*model, tokens, 256, 2, {});
  for (const char* name : {"attn_q", "attn_output", "ffn_up", "ffn_down"}) {
    const Weight& w = name == std::string("attn_q")        ? model->layers[2].attn_q
                      : name == std::string("attn_output") ? model->layers[2].attn_output
                      : name == std::string("ffn_up")      ? model->layers[2].ffn_up
                                                           : model->layers[2].ffn_down;
    const Moments* h = moments.For(std::string("blk.2.") + name + ".weight");
    REQUIRE(h != nullptr);
    CHECK(h->tokens == 1024);
    for (int32_t bits : {4, 2}) {
      const CodeFormat f{bits, 32, true};
      const double rtn = OutputError(w, QuantizeWeightCodes(w, f, nullptr, 2), *h);
      const double gptq = OutputError(w, QuantizeWeightCodes(w, f, h, 2), *h);
      MESSAGE(std::string(name) << " " << bits << "-bit: output error RTN " << rtn << ", GPTQ " << gptq);
      CHECK(gptq < 0.9 * rtn);
    }
  }
}

// out: in with `edit` applied to the named tensor's bytes, every hash recomputed, so only the
// reader's own checks can refuse it.
std::string EditAndRehash(const std::string& in, const std::string& name, const std::string& tensor,
                          const std::function<void(uint8_t*, uint64_t)>& edit,
                          const std::function<void(std::vector<GgufKeyValue>&)>& edit_keys = {}) {
  const std::unique_ptr<GgufFile> src = GgufFile::Open(in);
  std::vector<std::vector<uint8_t>> data;
  for (const GgufTensorInfo& t : src->tensors()) {
    const uint8_t* p = src->TensorData(t);
    data.emplace_back(p, p + t.n_bytes);
    if (t.name == tensor) edit(data.back().data(), t.n_bytes);
  }
  std::vector<GgufKeyValue> metadata;
  for (const GgufKeyValue& kv : src->metadata()) {
    if (kv.key != kIngotTensorHashKey && kv.key != kIngotMetadataHashKey) metadata.push_back(kv);
  }
  if (edit_keys) edit_keys(metadata);
  const std::vector<uint64_t> hashes = HashTensors(static_cast<int64_t>(data.size()), 1, [&](int64_t i) {
    return TensorBytes{data[static_cast<size_t>(i)].data(), data[static_cast<size_t>(i)].size()};
  });
  metadata.push_back({kIngotTensorHashKey, GgufValue::U64Array(hashes)});
  metadata.push_back({kIngotMetadataHashKey, GgufValue::U64(IngotMetadataHash(metadata, src->tensors()))});
  GgufWriter w(64);
  for (GgufKeyValue& kv : metadata) w.Set(kv.key, kv.value);
  for (size_t i = 0; i < data.size(); ++i) {
    const GgufTensorInfo& t = src->tensors()[i];
    w.AddTensor(t.name, t.type, t.dims, data[i].data());
  }
  const std::string out = test::ScratchDir() + "/" + name;
  w.Write(out);
  return out;
}

TEST_CASE("a code file edited behind its hashes is refused, naming the tensor or key") {
  const std::string in = test::FindAsset(kStories);
  if (in.empty()) {
    MESSAGE("skipped: stories260K not found");
    return;
  }
  const std::string out = Quantize(in, "stories_damage.gguf", WeightFormats::Parse("4", 32, 1));
  CHECK(test::LoadError(EditAndRehash(out, "same.gguf", "", {})) == "(loaded)");  // the helper alone breaks nothing
  SUBCASE("a zero point wider than the codes") {
    const std::string bad = EditAndRehash(out, "zero.gguf", "blk.1.ffn_up.weight.group_zeros",
                                          [](uint8_t* p, uint64_t) { p[3] = 16; });
    CHECK(test::LoadError(bad) == bad + ": tensor 'blk.1.ffn_up.weight.group_zeros' holds a zero point of 16, more than 4 bits");
  }
  SUBCASE("group scales past the kernels' int32 bound") {
    // 8-bit ffn_down, k 172: every scale 255 and every code 255 (127 from z 128) give
    // 127 * 255 * 127 * 172 > 2^31 / 4, the bound with activation sub-scales up to 4.
    const std::string eight = Quantize(in, "stories_8.gguf", WeightFormats::Parse("8", 32, 0));
    const std::string scales = EditAndRehash(eight, "scales.gguf", "blk.2.ffn_down.weight.group_scales",
                                             [](uint8_t* p, uint64_t n) { std::memset(p, 255, n); });
    const std::string bad = EditAndRehash(scales, "bound.gguf", "blk.2.ffn_down.weight",
                                          [](uint8_t* p, uint64_t n) { std::memset(p, 0xFF, n); });
    CHECK(test::LoadError(scales) == "(loaded)");  // the scales alone stay within the bound
    CHECK(test::LoadError(bad) == bad + ": tensor 'blk.2.ffn_down.weight' has rows whose codes and scales exceed the kernels' int32 bound");
  }
  SUBCASE("a format key that makes no sense") {
    const std::string bad = EditAndRehash(out, "key.gguf", "", {}, [](std::vector<GgufKeyValue>& keys) {
      for (GgufKeyValue& kv : keys) {
        if (kv.key == "ingot.codes.blk.0.attn_k.weight") kv.value.ints = {3, 32};
      }
    });
    CHECK(test::LoadError(bad) == bad + ": key 'ingot.codes.blk.0.attn_k.weight' must be {bits, group} with bits 2, 4 or 8 "
                                        "and group 32, 64, 128 or 256");
  }
}

TEST_CASE("--bpw: widths chosen by measured loss stay within the budget, and a larger budget only widens") {
  const std::string path = test::FindAsset(kStories);
  if (path.empty()) {
    MESSAGE("skipped: stories260K not found");
    return;
  }
  const std::unique_ptr<Model> model = Model::Load(path);
  const std::vector<int32_t> tokens = model->tokenizer().Encode(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. One day, she saw a "
      "big red ball in the park. She ran to get it, but a dog took it first. Lily was sad, but then the dog brought "
      "the ball back to her. They played together all day and became best friends.", true);
  const WeightFormats base = WeightFormats::Parse("4", 32, -1);
  // Rows of 64 make 2-bit codes about 3.5 bits per weight with their scales.
  const MixedPrecision tight = ChooseWidths(*model, tokens, 64, 4.0, base, nullptr, 2, {});
  const MixedPrecision loose = ChooseWidths(*model, tokens, 64, 6.0, base, nullptr, 2, {});
  REQUIRE(tight.matrices.size() == 35);  // 5 layers x 7; the output is tied to token_embd
  CHECK(tight.bpw <= 4.0);
  CHECK(loose.bpw <= 6.0);
  CHECK(loose.bpw > tight.bpw);
  int32_t widened = 0;
  for (size_t i = 0; i < tight.matrices.size(); ++i) {
    const MatrixChoice& m = tight.matrices[i];
    CAPTURE(m.name);
    CHECK(loose.matrices[i].chosen >= m.chosen);
    widened += loose.matrices[i].chosen > m.chosen ? 1 : 0;
    CHECK(m.bits[0] < m.bits[1]);
    CHECK(m.bits[1] < m.bits[2]);
    CHECK(m.loss[0] > m.loss[2]);  // 2 bits lose more than 8 on every matrix of this small model
    CHECK(tight.formats.For(m.name).bits == (2 << m.chosen));
  }
  CHECK(widened > 0);
  CHECK_THROWS_WITH_AS(ChooseWidths(*model, tokens, 64, 3.0, base, nullptr, 2, {}),
                       doctest::Contains("even 2 bits everywhere take"), Error);
}

TEST_CASE("--bits, --group and --asym that make no sense are one-line errors") {
  const auto error = [](const std::string& bits, int32_t group, int32_t asym, const std::string& tensor = "") {
    try {
      const WeightFormats f = WeightFormats::Parse(bits, group, asym);
      if (!tensor.empty()) f.For(tensor);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(error("3", 0, -1) == "--bits: '3': a width is 2, 4, 8 or int8, alone or as PATTERN=WIDTH");
  CHECK(error("4,attn_v=6", 0, -1) == "--bits: 'attn_v=6': a width is 2, 4, 8 or int8, alone or as PATTERN=WIDTH");
  CHECK(error("4,=8", 0, -1) == "--bits: '=8' has an empty pattern");
  CHECK(error("4", 48, -1) == "--group 48: the group size must be 32, 64, 128 or 256");
  CHECK(error("4,token_embd=4", 0, -1, "token_embd.weight") ==
        "--bits: token_embd.weight is looked up row by row and stays int8 (per channel)");
  CHECK(error("4", 0, -1, "token_embd.weight") == "(accepted)");  // the default keeps embeddings int8
  const WeightFormats f = WeightFormats::Parse("2,blk.1.*=4,ffn_down=int8,output=8", 64, -1);
  CHECK(f.For("blk.0.attn_q.weight").Name() == "2-bit g64 asym");
  CHECK(f.For("blk.1.attn_q.weight").Name() == "4-bit g64 asym");
  CHECK(f.For("blk.1.ffn_down.weight").Name() == "int8");  // the last matching item wins
  CHECK(f.For("output.weight").Name() == "8-bit g64 sym");
  CHECK(f.For("blk.0.attn_output.weight").Name() == "2-bit g64 asym");  // whole parts: not "output"
  CHECK(f.For("blk.10.attn_q.weight").Name() == "2-bit g64 asym");      // not "blk.1"
  CHECK(f.For("token_embd.weight").Name() == "int8");
}

}  // namespace
}  // namespace ingot
