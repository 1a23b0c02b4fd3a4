// A model file opened by what its first bytes say: a GGUF file, or else a llama2.c checkpoint.
// The one place that tells the two apart (model loading, the C API's file handle, tokenize).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model_io/gguf.h"
#include "model_io/llama2c.h"

namespace ingot {

struct ModelFile {
  std::unique_ptr<GgufFile> gguf;        // exactly one of the two is set
  std::unique_ptr<Llama2cFile> llama2c;

  const std::string& path() const { return gguf ? gguf->path() : llama2c->path(); }
  const std::vector<GgufTensorInfo>& tensors() const { return gguf ? gguf->tensors() : llama2c->tensors(); }
  const uint8_t* TensorData(const GgufTensorInfo& info) const {
    return gguf ? gguf->TensorData(info) : llama2c->TensorData(info);
  }
};

// Opens path as GGUF when it starts with "GGUF", else as a llama2.c checkpoint. A file that is
// neither is an Error that says so with its first bytes: "<path>: not a GGUF file (magic 'GGUX')
// nor a llama2.c checkpoint (<why not>)".
ModelFile OpenModelFile(const std::string& path);

// The first tokenizer file found next to a llama2.c checkpoint: tokenizer.model, then
// tok<n_vocab>.model; "" when none exists.
std::string FindTokenizerNextTo(const std::string& model_path, int32_t n_vocab);

}  // namespace ingot
