// A loaded model: its configuration, float weight views into the mapped file, the int8 weights
// when asked for, its tokenizer and the kernel table chosen at load. Weights stay in the file's
// type (F32, F16, BF16, Q8_0) and in the mapped file; the FP32 reference path dequantizes one
// row at a time, so a float model costs its file size in memory. Read-only once loaded, and
// shared by any number of sessions. Loading is in load.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model_types.h"
#include "engine/quant/weight_format.h"
#include "model_io/model_file.h"
#include "model_io/tokenizer.h"

namespace ingot {

struct Int8Weights;
namespace kernels {
struct KernelTable;
}

struct ModelLoadOptions {
  std::string tokenizer_path;  // for llama2.c checkpoints; "" = look next to the model
  bool prepare_int8 = false;   // quantize float weights to int8 at load (for Mode::kInt8 sessions)
  int32_t n_threads = 0;       // for that quantization and hash checks; 0: all cores
  WeightFormats formats;       // the form of each matrix in that quantization (default: all int8)
  std::string isa;             // kernel table: "" = INGOT_ISA or the best available; else its name
};

// The float weights (FloatWeights, model_types.h) are the model's own members: token_embd,
// layers, output, ...
class Model : public FloatWeights {
 public:
  // Loads a GGUF file or a llama2.c checkpoint (told apart by OpenModelFile).
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
  // The bytes of the weights a mode computes with, and what one decode step reads of them:
  // every matrix but the embedding table, of which it reads one row (unless it is also the
  // output matrix).
  uint64_t WeightBytes(Mode mode) const;
  uint64_t WeightBytesPerToken(Mode mode) const;
  // Parameters: the elements of every tensor of the file.
  uint64_t n_params() const;
  // Every tensor of the file, for inspect, and whether the architecture's tensor table read it
  // (a tensor ingot does not use is ignored).
  const std::vector<GgufTensorInfo>& tensors() const { return file_.tensors(); }
  bool tensor_used(size_t index) const { return tensor_used_[index]; }
  const GgufFile* gguf() const { return file_.gguf.get(); }
  // The int8 weights (nullptr unless prepared at load) and the kernel table chosen at load
  // (built, detected and allowed by INGOT_ISA).
  const Int8Weights* int8() const { return int8_.get(); }
  const kernels::KernelTable& kernel_table() const { return *kernel_table_; }
  // False for an int8 file written by quantize (quant/ingot_gguf.h): it has only int8 weights,
  // so the matrix views are empty and an fp32 session cannot run.
  bool has_float_weights() const { return token_embd.data != nullptr; }
  // Whether the output matrix is the token embedding's (in the int8 weights when there are no
  // float ones).
  bool tied_output() const;
  const char* isa_name() const;  // the kernel table's name: "avx512vnni", "avx2", "ref", ...

 private:
  Model();
  void LoadGguf(const ModelLoadOptions& options);
  void LoadIngotGguf(const ModelLoadOptions& options);
  void LoadLlama2c(const ModelLoadOptions& options);
  void Finish(const ModelLoadOptions& options);

  std::string path_;
  std::string format_;
  std::string tokenizer_source_;
  ModelConfig config_;
  uint64_t weight_bytes_ = 0;
  ModelFile file_;
  std::vector<bool> tensor_used_;  // [file tensors]
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Int8Weights> int8_;
  const kernels::KernelTable* kernel_table_ = nullptr;
};

}  // namespace ingot
