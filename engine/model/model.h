// A loaded model: its configuration, weight views into the mapped file, and its tokenizer.
// Weights stay in the file's type (F32, F16, BF16, Q8_0) and in the mapped file; the FP32
// reference path dequantizes one row at a time, so a model costs its file size in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model_io/gguf.h"
#include "model_io/tokenizer.h"

namespace ingot {

// How a block normalizes, and which feed-forward it runs: the architectures differ in data.
enum class NormKind {
  kRms,    // x / rms(x) * w (llama)
  kLayer,  // (x - mean) / std(x) * w + b (gpt2)
};
enum class FfnKind {
  kSwiGlu,  // down(silu(gate x) * up x) (llama)
  kGelu,    // down(gelu(up x + b_up)) + b_down, tanh-approximated GELU (gpt2)
};

struct ModelConfig {
  std::string arch;        // "llama", "gpt2"
  NormKind norm = NormKind::kRms;
  FfnKind ffn = FfnKind::kSwiGlu;
  bool learned_positions = false;  // position_embd is added to the token embedding (gpt2)
  bool linear_bias = false;        // every matrix but token_embd and output adds a bias (gpt2)
  int32_t d_model = 0;
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t d_ffn = 0;
  int32_t n_vocab = 0;
  int32_t n_ctx_train = 0;  // the longest context the model was trained for
  float norm_eps = 1e-5f;
  float rope_base = 10000.0f;
  int32_t rope_dims = 0;    // leading dims of each head that RoPE rotates (adjacent pairs); 0: no RoPE

  int32_t q_dim() const { return n_heads * head_dim; }
  int32_t kv_dim() const { return n_kv_heads * head_dim; }
};

// A weight matrix [rows][cols] (a vector has rows == 1), row-major, in its file type.
struct Weight {
  const GgufTensorInfo* info = nullptr;
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t row_bytes = 0;
  const uint8_t* data = nullptr;

  const uint8_t* Row(int64_t r) const { return data + static_cast<uint64_t>(r) * row_bytes; }
  // Rows [first, first + n) as a weight of their own (a part of a fused matrix).
  Weight RowRange(int64_t first, int64_t n) const {
    Weight part = *this;
    part.rows = n;
    part.data = Row(first);
    return part;
  }
};

// A bias vector is empty when the architecture has none (llama). gpt2's fused attn_qkv tensor
// is bound as three row ranges, so attn_q/k/v (and their biases) read the same for both.
struct LayerWeights {
  std::vector<float> attn_norm;         // [d_model]
  std::vector<float> attn_norm_bias;    // [d_model] LayerNorm only
  Weight attn_q;                        // [q_dim, d_model]
  Weight attn_k;                        // [kv_dim, d_model]
  Weight attn_v;                        // [kv_dim, d_model]
  std::vector<float> attn_q_bias;       // [q_dim]
  std::vector<float> attn_k_bias;       // [kv_dim]
  std::vector<float> attn_v_bias;       // [kv_dim]
  Weight attn_output;                   // [d_model, q_dim]
  std::vector<float> attn_output_bias;  // [d_model]
  std::vector<float> ffn_norm;          // [d_model]
  std::vector<float> ffn_norm_bias;     // [d_model] LayerNorm only
  Weight ffn_gate;                      // [d_ffn, d_model] SwiGLU only
  Weight ffn_up;                        // [d_ffn, d_model]
  std::vector<float> ffn_up_bias;       // [d_ffn]
  Weight ffn_down;                      // [d_model, d_ffn]
  std::vector<float> ffn_down_bias;     // [d_model]
};

struct Int8Weights;
namespace kernels {
struct KernelTable;
}

// How a session computes: the FP32 reference path, or the integer-only path.
enum class Mode { kFp32, kInt8 };
const char* ModeName(Mode mode);
bool ParseMode(const std::string& name, Mode* mode);

struct ModelLoadOptions {
  std::string tokenizer_path;  // for llama2.c checkpoints; "" = look next to the model
  bool prepare_int8 = false;   // quantize float weights to int8 at load (for Mode::kInt8 sessions)
  int32_t n_threads = 0;       // for that quantization; 0: all cores
  std::string isa;             // kernel table: "" = INGOT_ISA or the best available; else its name
};

class Model {
 public:
  // Loads a GGUF file or a llama2.c checkpoint (told apart by their first bytes).
  // Throws ingot::Error naming the file and the problem.
  static std::unique_ptr<Model> Load(const std::string& path, const ModelLoadOptions& options = {});
  // A GGUF model in a caller-owned buffer that must outlive the Model (no copy); name stands
  // for the path in messages.
  static std::unique_ptr<Model> LoadFromMemory(const void* data, size_t size, const std::string& name,
                                               const ModelLoadOptions& options = {});
  ~Model();

  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::string& path() const { return path_; }
  const std::string& format() const { return format_; }  // "GGUF v3", "llama2.c"
  const std::string& tokenizer_source() const { return tokenizer_source_; }
  uint64_t weight_bytes() const { return weight_bytes_; }
  // Every tensor of the file, for inspect.
  const std::vector<GgufTensorInfo>& tensors() const;
  const GgufFile* gguf() const { return gguf_.get(); }
  // The int8 weights (nullptr unless prepared at load) and the kernel table chosen at load
  // (built, detected and allowed by INGOT_ISA).
  const Int8Weights* int8() const { return int8_.get(); }
  const kernels::KernelTable& kernel_table() const { return *kernel_table_; }
  // False for an int8 file written by quantize (ingot_gguf.h): it has only int8 weights, so
  // the Weight views below are empty and an fp32 session cannot run.
  bool has_float_weights() const { return token_embd.data != nullptr; }
  const char* isa_name() const;  // the kernel table's name: "avx512vnni", "avx2", "ref", ...

  Weight token_embd;                    // [n_vocab, d_model]
  Weight position_embd;                 // [n_ctx_train, d_model]; learned_positions only
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;       // [d_model]
  std::vector<float> output_norm_bias;  // [d_model] LayerNorm only
  Weight output;                        // [n_vocab, d_model]; token_embd when tied

 private:
  Model();
  void LoadGguf(std::unique_ptr<GgufFile> file, const ModelLoadOptions& options);
  void Finish(const ModelLoadOptions& options);
  void LoadLlama2c(const ModelLoadOptions& options);
  void LoadIngotGguf();
  using TensorDataFn = std::function<const uint8_t*(const GgufTensorInfo&)>;
  void BindWeights(const std::vector<GgufTensorInfo>& tensors, const TensorDataFn& data_of);

  std::string path_;
  std::string format_;
  std::string tokenizer_source_;
  ModelConfig config_;
  uint64_t weight_bytes_ = 0;
  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<class Llama2cFile> llama2c_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Int8Weights> int8_;
  const kernels::KernelTable* kernel_table_ = nullptr;
};

// The first tokenizer file found next to a llama2.c checkpoint: tokenizer.model, then
// tok<n_vocab>.model; "" when none exists.
std::string FindTokenizerNextTo(const std::string& model_path, int32_t n_vocab);

}  // namespace ingot
