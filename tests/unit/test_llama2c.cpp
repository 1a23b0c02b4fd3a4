// The llama2.c checkpoint reader: real checkpoints, and every way a header or size can be wrong.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "model_io/error.h"
#include "model_io/llama2c.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

std::string Header(int32_t dim, int32_t hidden, int32_t layers, int32_t heads, int32_t kv_heads, int32_t vocab, int32_t seq) {
  const int32_t h[7] = {dim, hidden, layers, heads, kv_heads, vocab, seq};
  return std::string(reinterpret_cast<const char*>(h), sizeof(h));
}

// Bytes of a valid checkpoint for the header (floats all zero).
std::string Checkpoint(int32_t dim, int32_t hidden, int32_t layers, int32_t heads, int32_t kv_heads, int32_t vocab, int32_t seq) {
  const int64_t head = dim / heads, kv = head * kv_heads, v = vocab < 0 ? -vocab : vocab;
  int64_t floats = v * dim + layers * (2 * dim + 2 * dim * dim + 2 * dim * kv + 3 * dim * hidden) + dim + seq * head;
  if (vocab < 0) floats += v * dim;
  return Header(dim, hidden, layers, heads, kv_heads, vocab, seq) + std::string(static_cast<size_t>(floats) * 4, '\0');
}

TEST_CASE("stories260K: header, shared classifier, and weights under GGUF names") {
  const std::string path = test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  const auto file = Llama2cFile::Open(path);
  const Llama2cConfig& c = file->config();
  CHECK(c.dim == 64);
  CHECK(c.hidden_dim == 172);
  CHECK(c.n_layers == 5);
  CHECK(c.n_heads == 8);
  CHECK(c.n_kv_heads == 4);
  CHECK(c.vocab_size == 512);
  CHECK(c.seq_len == 512);
  CHECK(c.shared_classifier);
  CHECK(file->tensors().size() == 1 + 5 * 9 + 1);  // no output.weight: shared
  const GgufTensorInfo& wk = *std::find_if(file->tensors().begin(), file->tensors().end(),
                                           [](const GgufTensorInfo& t) { return t.name == "blk.2.attn_k.weight"; });
  CHECK(wk.dims == std::vector<uint64_t>{64, 32});  // [n_in = dim, n_out = kv_dim]
  // The first float of the embedding table sits right after the 28-byte header.
  float first = 0.0f;
  std::memcpy(&first, file->TensorData(file->tensors().front()), 4);
  float expected = 0.0f;
  std::memcpy(&expected, test::ReadFile(path).data() + 28, 4);
  CHECK(first == expected);
}

TEST_CASE("docs-llama-7m llama2.c: a negative vocab size means a separate classifier at the end") {
  const std::string path = test::FindAsset("models/docs-llama-7m/model.llama2c.bin");
  if (path.empty()) {
    MESSAGE("skipped: models/docs-llama-7m/model.llama2c.bin not found");
    return;
  }
  const auto file = Llama2cFile::Open(path);
  CHECK(file->config().vocab_size == 4096);
  CHECK_FALSE(file->config().shared_classifier);
  const GgufTensorInfo& out = file->tensors().back();
  CHECK(out.name == "output.weight");
  CHECK(out.offset + out.n_bytes == file->file_size());
}

TEST_CASE("a synthetic checkpoint with GQA and a separate classifier is laid out as llama2.c writes it") {
  const std::string path = test::WriteScratchFile("gqa.bin", Checkpoint(16, 24, 2, 4, 2, -10, 8));
  const auto file = Llama2cFile::Open(path);
  CHECK(file->tensors().size() == 1 + 2 * 9 + 1 + 1);
  uint64_t expected_offset = 28;
  for (const GgufTensorInfo& t : file->tensors()) {
    if (t.name == "output.weight") expected_offset += 2 * 8 * (4 / 2) * 4;  // the skipped RoPE tables
    CHECK(t.offset == expected_offset);
    expected_offset += t.n_bytes;
  }
}

void CheckRejected(const std::string& name, const std::string& bytes, const std::string& message) {
  const std::string path = test::WriteScratchFile(name, bytes);
  CAPTURE(name);
  try {
    Llama2cFile::Open(path);
    FAIL("accepted a bad checkpoint");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK_MESSAGE(what.rfind(path + ": ", 0) == 0, what);
    CHECK_MESSAGE(what.find(message) != std::string::npos, what);
  }
}

TEST_CASE("bad checkpoints are refused with a message naming the file and the problem") {
  const std::string good = Checkpoint(16, 24, 2, 4, 2, 10, 8);
  CheckRejected("small.bin", "abc", "too small for a llama2.c checkpoint (3 bytes)");
  CheckRejected("ak42.bin", "ak42" + good.substr(4), "version-1/2 export ('ak42' magic) is not supported");
  CheckRejected("truncated.bin", good.substr(0, good.size() - 4), "size mismatch");
  CheckRejected("long.bin", good + "xxxx", "size mismatch");
  CheckRejected("zero_dim.bin", Header(0, 24, 2, 4, 2, 10, 8), "header value out of range");
  CheckRejected("negative_layers.bin", Header(16, 24, -2, 4, 2, 10, 8), "header value out of range");
  CheckRejected("huge.bin", Header(1 << 30, 24, 2, 4, 2, 10, 8), "header value out of range");
  CheckRejected("heads.bin", Header(16, 24, 2, 5, 5, 10, 8), "dim is not a multiple of n_heads");
  CheckRejected("kv_heads.bin", Header(16, 24, 2, 4, 3, 10, 8), "n_heads is not a multiple of n_kv_heads");
  CheckRejected("odd_head.bin", Header(12, 24, 2, 4, 2, 10, 8), "head_dim is odd");
  CheckRejected("int_min_vocab.bin", Header(16, 24, 2, 4, 2, INT32_MIN, 8), "header value out of range");
  CHECK_THROWS_WITH_AS(Llama2cFile::Open(test::ScratchDir() + "/missing.bin"), doctest::Contains("missing.bin"), Error);
}

}  // namespace
}  // namespace ingot
