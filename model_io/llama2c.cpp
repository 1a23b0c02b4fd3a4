#include "model_io/llama2c.h"

#include <cstring>
#include <limits>

#include "model_io/error.h"
#include "model_io/mapped_file.h"

namespace ingot {

namespace {

constexpr uint64_t kHeaderBytes = 7 * sizeof(int32_t);
// Far above any real model; with these, every size below fits easily in 64 bits.
constexpr int32_t kMaxDim = 1 << 20;
constexpr int32_t kMaxLayers = 4096;

std::string Describe(const Llama2cConfig& c) {
  return "dim=" + std::to_string(c.dim) + " hidden_dim=" + std::to_string(c.hidden_dim) +
         " n_layers=" + std::to_string(c.n_layers) + " n_heads=" + std::to_string(c.n_heads) +
         " n_kv_heads=" + std::to_string(c.n_kv_heads) + " vocab=" + std::to_string(c.vocab_size) +
         " seq_len=" + std::to_string(c.seq_len);
}

void ValidateConfig(const std::string& path, const Llama2cConfig& c) {
  auto fail = [&](const std::string& what) {
    throw Error(path + ": not a valid llama2.c checkpoint: " + what + " (header " + Describe(c) + ")");
  };
  const int32_t fields[] = {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len};
  for (int32_t v : fields) {
    if (v <= 0 || v > kMaxDim) fail("header value out of range");
  }
  if (c.n_layers > kMaxLayers) fail("too many layers");
  if (c.dim % c.n_heads != 0) fail("dim is not a multiple of n_heads");
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0) fail("n_heads is not a multiple of n_kv_heads");
  if ((c.dim / c.n_heads) % 2 != 0) fail("head_dim is odd");
}

}  // namespace

bool IsLlama2cExportMagic(const uint8_t* bytes, uint64_t size) {
  return size >= 4 && std::memcmp(bytes, "ak42", 4) == 0;
}

Llama2cFile::~Llama2cFile() = default;

uint64_t Llama2cFile::file_size() const { return map_->size(); }

const uint8_t* Llama2cFile::TensorData(const GgufTensorInfo& info) const { return map_->data() + info.offset; }

std::unique_ptr<Llama2cFile> Llama2cFile::Open(const std::string& path) {
  std::unique_ptr<Llama2cFile> file(new Llama2cFile());
  file->path_ = path;
  file->map_ = MappedFile::Open(path);
  const uint8_t* bytes = file->map_->data();
  const uint64_t size = file->map_->size();
  if (IsLlama2cExportMagic(bytes, size)) {
    throw Error(path + ": llama2.c version-1/2 export ('ak42' magic) is not supported; "
                "export the legacy version-0 format (llama2.c export.py --version 0) or use GGUF");
  }
  if (size < kHeaderBytes) {
    throw Error(path + ": too small for a llama2.c checkpoint (" + std::to_string(size) + " bytes)");
  }
  int32_t header[7];
  std::memcpy(header, bytes, sizeof(header));
  Llama2cConfig& c = file->config_;
  c.dim = header[0];
  c.hidden_dim = header[1];
  c.n_layers = header[2];
  c.n_heads = header[3];
  c.n_kv_heads = header[4];
  c.shared_classifier = header[5] > 0;
  c.vocab_size = header[5] == std::numeric_limits<int32_t>::min() ? 0 : (header[5] < 0 ? -header[5] : header[5]);
  c.seq_len = header[6];
  ValidateConfig(path, c);

  const uint64_t dim = static_cast<uint64_t>(c.dim);
  const uint64_t hidden = static_cast<uint64_t>(c.hidden_dim);
  const uint64_t head_dim = dim / static_cast<uint64_t>(c.n_heads);
  const uint64_t kv_dim = head_dim * static_cast<uint64_t>(c.n_kv_heads);
  const uint64_t vocab = static_cast<uint64_t>(c.vocab_size);
  const uint64_t n_layers = static_cast<uint64_t>(c.n_layers);

  uint64_t offset = kHeaderBytes;
  auto add = [&](std::string name, std::vector<uint64_t> dims) {
    GgufTensorInfo info;
    info.name = std::move(name);
    info.type = GgmlType::kF32;
    info.n_elements = 1;
    for (uint64_t d : dims) info.n_elements *= d;
    info.dims = std::move(dims);
    info.offset = offset;
    info.n_bytes = info.n_elements * sizeof(float);
    offset += info.n_bytes;
    file->tensors_.push_back(std::move(info));
  };
  // Stacked per-layer arrays: one tensor per layer, in the file's order (array by array).
  auto add_stacked = [&](const char* suffix, std::vector<uint64_t> dims) {
    for (uint64_t l = 0; l < n_layers; ++l) add("blk." + std::to_string(l) + "." + suffix, dims);
  };
  add("token_embd.weight", {dim, vocab});
  add_stacked("attn_norm.weight", {dim});
  add_stacked("attn_q.weight", {dim, dim});
  add_stacked("attn_k.weight", {dim, kv_dim});
  add_stacked("attn_v.weight", {dim, kv_dim});
  add_stacked("attn_output.weight", {dim, dim});
  add_stacked("ffn_norm.weight", {dim});
  add_stacked("ffn_gate.weight", {dim, hidden});  // w1
  add_stacked("ffn_down.weight", {hidden, dim});  // w2
  add_stacked("ffn_up.weight", {dim, hidden});    // w3
  add("output_norm.weight", {dim});
  // The precomputed RoPE tables are skipped: the engine computes its own.
  offset += 2 * static_cast<uint64_t>(c.seq_len) * (head_dim / 2) * sizeof(float);
  if (!c.shared_classifier) add("output.weight", {dim, vocab});

  if (offset != size) {
    throw Error(path + ": llama2.c checkpoint size mismatch: the header (" + Describe(c) + ", " +
                (c.shared_classifier ? "shared" : "separate") + " classifier) needs " + std::to_string(offset) +
                " bytes, the file has " + std::to_string(size) + (offset > size ? " (truncated?)" : ""));
  }
  return file;
}

}  // namespace ingot
