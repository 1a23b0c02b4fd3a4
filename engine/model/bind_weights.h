// The float weights of a GGUF file or llama2.c checkpoint, bound by walking the architecture's
// tensor table: every tensor checked for shape and type, matrices as views into the file, norm
// weights and biases dequantized to float vectors.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/model_types.h"
#include "model_io/model_file.h"

namespace ingot {

// Binds every tensor config's architecture has into weights; returns the bytes of the tensors
// bound, and marks each in used [file.tensors().size()]. Every value is checked to be finite
// (a matrix's on n_threads threads, 0: all cores): a NaN or infinity is an Error naming the
// tensor, so no later float-to-int conversion can meet one. A float file may hold attn_q, attn_k and attn_v as one attn_qkv (rows q, k, v), bound
// as three row ranges. Error naming the file and tensor for a missing tensor, a wrong shape or
// an unsupported type.
uint64_t BindFloatWeights(const ModelConfig& config, const ModelFile& file, FloatWeights& weights,
                          std::vector<bool>& used, int32_t n_threads);

}  // namespace ingot
