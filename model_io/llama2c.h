// Karpathy's llama2.c checkpoint, legacy version-0 format:
//   int32 header {dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len}
//   (vocab_size < 0 means a separate classifier follows the weights), then float32 arrays:
//   token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim],
//   wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim],
//   w2 [L, dim, hidden], w3 [L, hidden, dim], rms_final [dim],
//   freq_cis_real [seq_len, head_dim/2], freq_cis_imag [seq_len, head_dim/2], (wcls [vocab, dim]).
// Matrices are row-major [n_out][n_in], as in GGUF. The reader exposes every weight under its
// GGUF name (token_embd.weight, blk.N.attn_q.weight, ...) so the engine sees one layout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model_io/gguf.h"

namespace ingot {

struct Llama2cConfig {
  int32_t dim = 0;
  int32_t hidden_dim = 0;
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t vocab_size = 0;  // absolute value
  int32_t seq_len = 0;
  bool shared_classifier = true;
};

class Llama2cFile {
 public:
  // Maps and validates the file (header ranges, exact file size). Throws ingot::Error.
  static std::unique_ptr<Llama2cFile> Open(const std::string& path);
  ~Llama2cFile();

  const std::string& path() const { return path_; }
  const Llama2cConfig& config() const { return config_; }
  uint64_t file_size() const;
  // F32 tensors with GGUF names and dims (dims[0] contiguous); offset is from the file start.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const uint8_t* TensorData(const GgufTensorInfo& info) const;

 private:
  Llama2cFile() = default;
  std::string path_;
  std::unique_ptr<class MappedFile> map_;
  Llama2cConfig config_;
  std::vector<GgufTensorInfo> tensors_;
};

// True when the first bytes of a file are the version-1/2 llama2.c export magic "ak42".
bool IsLlama2cExportMagic(const uint8_t* bytes, uint64_t size);

}  // namespace ingot
