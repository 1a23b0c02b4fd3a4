// The C API's model files and text (what `inspect`, `bench` and the apps' input checks use):
// ingot_file_* lists a file exactly as the C++ readers see it and verifies an ingot GGUF's
// hashes; the model info has the architecture in detail and the session info the weight bytes
// each mode reads; ingot_utf8_check finds the first invalid UTF-8 sequence.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/quant/ingot_gguf.h"
#include "engine/quant/int8_model.h"
#include "engine/model/model.h"
#include "ingot/ingot.h"
#include "model_io/gguf.h"
#include "model_io/llama2c.h"
#include "tests/c_api_test_util.h"
#include "tests/test_util.h"
#include "tests/tools/random_model.h"

namespace {

using ingot::test::LastError;
using ingot::test::Sized;

struct File {
  ingot_file* handle = nullptr;
  explicit File(const std::string& path) {
    REQUIRE_MESSAGE(ingot_file_open(path.c_str(), &handle) == INGOT_OK, LastError());
  }
  ~File() { CHECK(ingot_file_free(handle) == INGOT_OK); }
  ingot_file_info Info() const {
    auto info = Sized<ingot_file_info>();
    REQUIRE(ingot_file_get_info(handle, &info) == INGOT_OK);
    return info;
  }
  ingot_tensor_info Tensor(int64_t i) const {
    auto t = Sized<ingot_tensor_info>();
    REQUIRE_MESSAGE(ingot_file_get_tensor(handle, i, &t) == INGOT_OK, LastError());
    return t;
  }
  ingot_metadata_entry Metadata(int64_t i) const {
    auto e = Sized<ingot_metadata_entry>();
    REQUIRE_MESSAGE(ingot_file_get_metadata(handle, i, &e) == INGOT_OK, LastError());
    return e;
  }
};

// Every tensor as the C++ reader lists it: name, type, dims, bytes, and the offset from the
// file's start.
void CheckTensors(const File& file, const std::vector<ingot::GgufTensorInfo>& expected, uint64_t data_offset) {
  REQUIRE(file.Info().n_tensors == static_cast<int64_t>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    const ingot::GgufTensorInfo& e = expected[i];
    const ingot_tensor_info t = file.Tensor(static_cast<int64_t>(i));
    CAPTURE(e.name);
    CHECK(std::string(t.name) == e.name);
    CHECK(std::string(t.type) == ingot::GgmlTypeName(e.type));
    REQUIRE(t.n_dims == static_cast<int32_t>(e.dims.size()));
    for (size_t d = 0; d < INGOT_MAX_DIMS; ++d) CHECK(t.dims[d] == (d < e.dims.size() ? e.dims[d] : 1));
    CHECK(t.n_elements == e.n_elements);
    CHECK(t.offset == data_offset + e.offset);
    CHECK(t.n_bytes == e.n_bytes);
  }
}

std::string TinyModel(const std::string& shape) {
  const std::string path = ingot::test::ScratchDir() + "/c_api_files_" + shape + ".gguf";
  ingot::test::WriteRandomModel(path, ingot::test::ShapeByName(shape), ingot::GgmlType::kF32, 11, "");
  return path;
}

TEST_CASE("a llama2.c checkpoint: its header fields and tensors, no hashes") {
  const std::string path = ingot::test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  const File file(path);
  const ingot_file_info info = file.Info();
  CHECK(std::string(info.format) == "llama2.c");
  CHECK(info.version == 0);
  CHECK(info.file_size == ingot::test::ReadFile(path).size());
  CHECK(info.has_hashes == 0);
  REQUIRE(info.n_metadata == 8);
  const ingot_metadata_entry dim = file.Metadata(0);
  CHECK(std::string(dim.key) == "dim");
  CHECK(std::string(dim.type) == "i32");
  CHECK(std::string(dim.value) == "64");
  const ingot_metadata_entry shared = file.Metadata(7);
  CHECK(std::string(shared.key) == "shared_classifier");
  CHECK(std::string(shared.value) == "true");
  CheckTensors(file, ingot::Llama2cFile::Open(path)->tensors(), 0);

  auto t = Sized<ingot_tensor_info>();
  CHECK_FAILS(ingot_file_get_tensor(file.handle, 47, &t), INGOT_ERROR_INVALID_ARGUMENT, "index 47 is out of range [0, 47)");
  CHECK_FAILS(ingot_file_get_tensor(file.handle, -1, &t), INGOT_ERROR_INVALID_ARGUMENT, "index -1");
  auto e = Sized<ingot_metadata_entry>();
  CHECK_FAILS(ingot_file_get_metadata(file.handle, 8, &e), INGOT_ERROR_INVALID_ARGUMENT, "index 8 is out of range [0, 8)");
  auto check = Sized<ingot_hash_check>();
  CHECK_FAILS(ingot_file_get_hash_check(file.handle, 0, &check), INGOT_ERROR_INVALID_STATE, "call ingot_file_verify first");
  CHECK_FAILS(ingot_file_verify(file.handle, 1, nullptr, nullptr), INGOT_ERROR_UNSUPPORTED, "a llama2.c checkpoint has no hashes");
}

TEST_CASE("a GGUF file's metadata and tensors; an ingot GGUF's hashes match, a flipped byte is found") {
  const std::string path = TinyModel("tiny");
  const std::unique_ptr<ingot::GgufFile> gguf = ingot::GgufFile::Open(path);
  {
    const File file(path);
    const ingot_file_info info = file.Info();
    CHECK(std::string(info.format) == "GGUF");
    CHECK(info.version == static_cast<int32_t>(gguf->version()));
    CHECK(info.alignment == gguf->alignment());
    CHECK(info.data_offset == gguf->data_offset());
    CHECK(info.has_hashes == 0);
    REQUIRE(info.n_metadata == static_cast<int64_t>(gguf->metadata().size()));
    for (size_t i = 0; i < gguf->metadata().size(); ++i) {
      const ingot::GgufKeyValue& kv = gguf->metadata()[i];
      const ingot_metadata_entry e = file.Metadata(static_cast<int64_t>(i));
      CHECK(std::string(e.key) == kv.key);
      CHECK(std::string(e.type) == ingot::GgufValueTypeName(kv.value.type));
      CHECK(std::string(e.value) == kv.value.ToString());
    }
    CheckTensors(file, gguf->tensors(), gguf->data_offset());
    CHECK_FAILS(ingot_file_verify(file.handle, 1, nullptr, nullptr), INGOT_ERROR_UNSUPPORTED,
                "not an ingot GGUF (no ingot.format_version key)");
  }

  const std::string quantized = ingot::test::ScratchDir() + "/c_api_files_tiny.ingot.gguf";
  ingot::WriteIngotGguf(*ingot::Model::Load(path), quantized, {}, nullptr, 1, [](const ingot::QuantizeProgress&) {});
  const std::unique_ptr<ingot::GgufFile> q = ingot::GgufFile::Open(quantized);
  const int64_t n_tensors = static_cast<int64_t>(q->tensors().size());
  {
    const File file(quantized);
    CHECK(file.Info().has_hashes == 1);
    int64_t n_checks = 0, n_failed = -1;
    REQUIRE_MESSAGE(ingot_file_verify(file.handle, 2, &n_checks, &n_failed) == INGOT_OK, LastError());
    CHECK(n_checks == n_tensors + 1);  // the metadata and every tensor
    CHECK(n_failed == 0);
    auto check = Sized<ingot_hash_check>();
    REQUIRE(ingot_file_get_hash_check(file.handle, 0, &check) == INGOT_OK);
    CHECK(std::string(check.name) == "metadata");
    CHECK(check.ok == 1);
    CHECK(check.expected == check.actual);
    CHECK_FAILS(ingot_file_get_hash_check(file.handle, n_checks, &check), INGOT_ERROR_INVALID_ARGUMENT, "out of range");
  }

  // One flipped byte in the last tensor: exactly that tensor's check fails.
  const ingot::GgufTensorInfo& last = q->tensors().back();
  std::string bytes = ingot::test::ReadFile(quantized);
  bytes[q->data_offset() + last.offset] ^= 0x10;
  const File bad(ingot::test::WriteScratchFile("c_api_files_flipped.gguf", bytes));
  int64_t n_checks = 0, n_failed = 0;
  REQUIRE(ingot_file_verify(bad.handle, 1, &n_checks, &n_failed) == INGOT_OK);
  CHECK(n_failed == 1);
  int64_t failed_at = -1;
  for (int64_t i = 0; i < n_checks; ++i) {
    auto check = Sized<ingot_hash_check>();
    REQUIRE(ingot_file_get_hash_check(bad.handle, i, &check) == INGOT_OK);
    if (check.ok == 0) {
      failed_at = i;
      CHECK(std::string(check.name) == last.name);
      CHECK(check.expected != check.actual);
    }
  }
  CHECK(failed_at == n_checks - 1);
}

TEST_CASE("files: bad paths, bad bytes, NULLs and wrong struct sizes are refused") {
  ingot_file* file = nullptr;
  CHECK_FAILS(ingot_file_open("/nonexistent/x.gguf", &file), INGOT_ERROR_IO, "/nonexistent/x.gguf: cannot open: No such file");
  CHECK_FAILS(ingot_file_open(ingot::test::ScratchDir().c_str(), &file), INGOT_ERROR_IO, "is a directory, not a file");
  const std::string garbage = ingot::test::WriteScratchFile("c_api_files_garbage.bin", std::string(100, 'x'));
  CHECK_FAILS(ingot_file_open(garbage.c_str(), &file), INGOT_ERROR_MODEL_FORMAT, "c_api_files_garbage.bin");
  const std::string whole = ingot::test::ReadFile(TinyModel("tiny"));
  const std::string cut = ingot::test::WriteScratchFile("c_api_files_cut.gguf", whole.substr(0, whole.size() / 2));
  CHECK_FAILS(ingot_file_open(cut.c_str(), &file), INGOT_ERROR_MODEL_FORMAT, "c_api_files_cut.gguf");
  CHECK_FAILS(ingot_file_open(nullptr, &file), INGOT_ERROR_INVALID_ARGUMENT, "path is NULL");
  CHECK_FAILS(ingot_file_open(garbage.c_str(), nullptr), INGOT_ERROR_INVALID_ARGUMENT, "file is NULL");
  CHECK(file == nullptr);

  auto info = Sized<ingot_file_info>();
  auto t = Sized<ingot_tensor_info>();
  auto e = Sized<ingot_metadata_entry>();
  auto check = Sized<ingot_hash_check>();
  CHECK_FAILS(ingot_file_get_info(nullptr, &info), INGOT_ERROR_INVALID_ARGUMENT, "file is NULL");
  CHECK_FAILS(ingot_file_get_tensor(nullptr, 0, &t), INGOT_ERROR_INVALID_ARGUMENT, "file is NULL");
  CHECK_FAILS(ingot_file_get_metadata(nullptr, 0, &e), INGOT_ERROR_INVALID_ARGUMENT, "file is NULL");
  CHECK_FAILS(ingot_file_verify(nullptr, 0, nullptr, nullptr), INGOT_ERROR_INVALID_ARGUMENT, "file is NULL");
  CHECK_FAILS(ingot_file_get_hash_check(nullptr, 0, &check), INGOT_ERROR_INVALID_ARGUMENT, "file is NULL");
  CHECK(ingot_file_free(nullptr) == INGOT_OK);

  const File good(TinyModel("tiny"));
  info.struct_size = 8;
  CHECK_FAILS(ingot_file_get_info(good.handle, &info), INGOT_ERROR_STRUCT_SIZE, "info->struct_size is 8");
  CHECK_FAILS(ingot_file_get_tensor(good.handle, 0, nullptr), INGOT_ERROR_INVALID_ARGUMENT, "tensor is NULL");
  CHECK_FAILS(ingot_file_verify(good.handle, -1, nullptr, nullptr), INGOT_ERROR_INVALID_ARGUMENT, "n_threads");
}

// Loads path through the API with int8 weights prepared; frees it at the end.
struct Loaded {
  ingot_model* model = nullptr;
  explicit Loaded(const std::string& path) {
    ingot_model_params params;
    ingot_model_params_init(&params);
    params.n_threads = 1;
    REQUIRE_MESSAGE(ingot_model_load(path.c_str(), &params, &model) == INGOT_OK, LastError());
  }
  ~Loaded() { CHECK(ingot_model_free(model) == INGOT_OK); }
  ingot_model_info Info() const {
    auto info = Sized<ingot_model_info>();
    REQUIRE(ingot_model_get_info(model, &info) == INGOT_OK);
    return info;
  }
  ingot_session_info SessionInfo(int32_t mode) const {
    ingot_session_params params;
    ingot_session_params_init(&params);
    params.mode = mode;
    params.n_ctx = 16;
    ingot_session* session = nullptr;
    REQUIRE_MESSAGE(ingot_session_create(model, &params, &session) == INGOT_OK, LastError());
    auto info = Sized<ingot_session_info>();
    CHECK(ingot_session_get_info(session, &info) == INGOT_OK);
    CHECK(ingot_session_free(session) == INGOT_OK);
    return info;
  }
};

TEST_CASE("model info: the architecture in detail; session info: the weight bytes each mode reads") {
  const std::string stories = ingot::test::FindAsset("models/stories260K/stories260K.bin");
  if (!stories.empty()) {
    const Loaded m(stories);
    const ingot_model_info info = m.Info();
    CHECK(info.head_dim == 8);
    CHECK(info.rope_dims == 8);
    CHECK(info.rope_base == 10000.0f);
    CHECK(info.norm_eps == 1e-5f);
    CHECK(std::string(info.norm) == "RMSNorm");
    CHECK(std::string(info.ffn) == "SwiGLU");
    CHECK(info.tied_output == 1);
    uint64_t n_params = 0;
    const std::unique_ptr<ingot::Llama2cFile> checkpoint = ingot::Llama2cFile::Open(stories);
    for (const ingot::GgufTensorInfo& t : checkpoint->tensors()) n_params += t.n_elements;
    CHECK(info.n_params == n_params);
    CHECK(std::string(info.tokenizer).find("tok512.model") != std::string::npos);
    CHECK(std::string(info.fp_modules) == "norm,rope,act,softmax,kv,lm_head");
    // Tied: a decode step reads every weight (the table is also the output matrix).
    const ingot_session_info fp32 = m.SessionInfo(INGOT_MODE_FP32);
    CHECK(fp32.weight_bytes == info.weight_bytes);
    CHECK(fp32.weight_bytes_per_token == fp32.weight_bytes);
    ingot::ModelLoadOptions options;
    options.prepare_int8 = true;
    const ingot_session_info int8 = m.SessionInfo(INGOT_MODE_INT8);
    CHECK(int8.weight_bytes == ingot::Model::Load(stories, options)->int8()->weight_bytes());
    CHECK(int8.weight_bytes_per_token == int8.weight_bytes);
  } else {
    MESSAGE("skipped the stories260K part: models/stories260K/stories260K.bin not found");
  }

  // Untied (a random llama with output.weight): a decode step reads one row of the table.
  const std::string tiny = TinyModel("tiny");
  const Loaded m(tiny);
  CHECK(m.Info().tied_output == 0);
  const File file(tiny);
  uint64_t embd_bytes = 0;
  for (int64_t i = 0; i < file.Info().n_tensors; ++i) {
    const ingot_tensor_info t = file.Tensor(i);
    if (std::string(t.name) == "token_embd.weight") embd_bytes = t.n_bytes;
  }
  REQUIRE(embd_bytes > 0);
  const ingot_session_info fp32 = m.SessionInfo(INGOT_MODE_FP32);
  CHECK(fp32.weight_bytes_per_token == fp32.weight_bytes - embd_bytes);
  // int8: the table's packed bytes, row sums and scales, as the ingot GGUF of it stores them.
  const std::string quantized = ingot::test::ScratchDir() + "/c_api_files_untied.ingot.gguf";
  ingot::WriteIngotGguf(*ingot::Model::Load(tiny), quantized, {}, nullptr, 1, [](const ingot::QuantizeProgress&) {});
  const File q(quantized);
  uint64_t embd_int8_bytes = 0;
  for (int64_t i = 0; i < q.Info().n_tensors; ++i) {
    const ingot_tensor_info t = q.Tensor(i);
    if (std::string(t.name).rfind("token_embd.weight", 0) == 0) embd_int8_bytes += t.n_bytes;
  }
  const ingot_session_info int8 = m.SessionInfo(INGOT_MODE_INT8);
  CHECK(int8.weight_bytes_per_token == int8.weight_bytes - embd_int8_bytes);
  // The int8 file has no float weights: the engine refuses an fp32 session, and its error's
  // kind is the status.
  const Loaded int8_file(quantized);
  CHECK(int8_file.Info().has_fp32 == 0);
  ingot_session_params sp;
  ingot_session_params_init(&sp);
  sp.mode = INGOT_MODE_FP32;
  ingot_session* session = nullptr;
  CHECK_FAILS(ingot_session_create(int8_file.model, &sp, &session), INGOT_ERROR_UNSUPPORTED,
              "is an int8 model written by quantize; fp32 mode needs the float model");
  CHECK(session == nullptr);

  const Loaded gpt2(TinyModel("tiny-gpt2"));
  const ingot_model_info g = gpt2.Info();
  CHECK(std::string(g.architecture) == "gpt2");
  CHECK(std::string(g.norm) == "LayerNorm");
  CHECK(std::string(g.ffn) == "GELU");
  CHECK(g.rope_dims == 0);
  CHECK(g.tied_output == 1);
  CHECK(std::string(g.fp_modules) == "layernorm,gelu,softmax,kv,lm_head");
}

// The tensors a model of this file reads, by the file's index.
std::vector<int32_t> TensorUse(const Loaded& m, int64_t n_tensors) {
  std::vector<int32_t> used(static_cast<size_t>(n_tensors), -1);
  for (int64_t i = 0; i < n_tensors; ++i) {
    REQUIRE_MESSAGE(ingot_model_tensor_used(m.model, i, &used[static_cast<size_t>(i)]) == INGOT_OK, LastError());
  }
  return used;
}

TEST_CASE("tensor use: the architecture's table reads every tensor of a model file, and ignores any other") {
  // A float llama and its ingot GGUF: every tensor is read.
  const std::string tiny = TinyModel("tiny");
  const std::string quantized = ingot::test::ScratchDir() + "/c_api_files_use.ingot.gguf";
  ingot::WriteIngotGguf(*ingot::Model::Load(tiny), quantized, {}, nullptr, 1, [](const ingot::QuantizeProgress&) {});
  for (const std::string& path : {tiny, quantized}) {
    CAPTURE(path);
    const Loaded m(path);
    const int64_t n = File(path).Info().n_tensors;
    CHECK(TensorUse(m, n) == std::vector<int32_t>(static_cast<size_t>(n), 1));
    int32_t used = 0;
    CHECK_FAILS(ingot_model_tensor_used(m.model, n, &used), INGOT_ERROR_INVALID_ARGUMENT, "out of range");
    CHECK_FAILS(ingot_model_tensor_used(m.model, -1, &used), INGOT_ERROR_INVALID_ARGUMENT, "out of range");
    CHECK_FAILS(ingot_model_tensor_used(m.model, 0, nullptr), INGOT_ERROR_INVALID_ARGUMENT, "used is NULL");
  }

  // The same file with two tensors its architecture lacks (BERT's token types, Qwen 3's q norm):
  // the model loads, and only those two are unused.
  const auto source = ingot::GgufFile::Open(tiny);
  ingot::GgufWriter writer;
  for (const ingot::GgufKeyValue& kv : source->metadata()) writer.Set(kv.key, kv.value);
  const std::vector<float> extra(8, 1.0f);
  writer.AddTensor("token_types.weight", ingot::GgmlType::kF32, {8}, extra.data());
  for (const ingot::GgufTensorInfo& t : source->tensors()) writer.AddTensor(t.name, t.type, t.dims, source->TensorData(t));
  writer.AddTensor("blk.0.attn_q_norm.weight", ingot::GgmlType::kF32, {8}, extra.data());
  const std::string with_extra = ingot::test::ScratchDir() + "/c_api_files_extra_tensors.gguf";
  writer.Write(with_extra);
  const Loaded m(with_extra);
  const int64_t n = File(with_extra).Info().n_tensors;
  REQUIRE(n == static_cast<int64_t>(source->tensors().size()) + 2);
  std::vector<int32_t> expected(static_cast<size_t>(n), 1);
  expected.front() = 0;
  expected.back() = 0;
  CHECK(TensorUse(m, n) == expected);
}

TEST_CASE("ingot_utf8_check: the offset of the first invalid sequence, or -1") {
  auto offset = [](const std::string& text) {
    int64_t at = -2;
    REQUIRE(ingot_utf8_check(text.data(), text.size(), &at) == INGOT_OK);
    return at;
  };
  CHECK(offset("Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\xA6\x99") == -1);  // Grüße 🦙
  CHECK(offset(std::string("a\0b", 3)) == -1);                       // NUL is valid UTF-8
  CHECK(offset("abc\xC3(") == 3);                                     // cut short
  CHECK(offset("ab\xC3") == 2);                                       // unfinished at the end
  CHECK(offset("\xE0\x80\x80") == 0);                                 // overlong
  CHECK(offset("x\xED\xA0\x80") == 1);                                // a UTF-16 surrogate
  CHECK(offset("ab\xF4\x90\x80\x80") == 2);                           // above U+10FFFF
  CHECK(offset("\x80") == 0);                                         // a stray continuation byte
  int64_t at = 0;
  CHECK(ingot_utf8_check(nullptr, 0, &at) == INGOT_OK);
  CHECK(at == -1);
  CHECK_FAILS(ingot_utf8_check(nullptr, 1, &at), INGOT_ERROR_INVALID_ARGUMENT, "text is NULL");
  CHECK_FAILS(ingot_utf8_check("x", 1, nullptr), INGOT_ERROR_INVALID_ARGUMENT, "invalid_offset is NULL");
}

}  // namespace
