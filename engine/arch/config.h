// A model's configuration from its file, and back: the <arch>.* metadata keys llama.cpp writes
// (read here for every GGUF, written here for the ingot GGUF), and a llama2.c header.
#pragma once

#include <vector>

#include "engine/arch/architecture.h"
#include "engine/model/model_types.h"
#include "model_io/gguf.h"
#include "model_io/llama2c.h"

namespace ingot {

// The kinds and dimensions of a GGUF model, from its <arch>.* keys. n_vocab is the caller's to
// fill (the embedding's rows, or <arch>.vocab_size in an ingot GGUF). Error naming the file and
// the key for an unknown architecture or a value out of range.
ModelConfig ReadGgufConfig(const GgufFile& gguf);
// A llama2.c checkpoint: the llama architecture with run.c's constants.
ModelConfig Llama2cModelConfig(const Llama2cConfig& header);
// Error "<path>: invalid model configuration: ..." when the dimensions do not fit together.
void ValidateConfig(const std::string& path, const ModelConfig& config);

// The longest context a model may declare (<arch>.context_length; a llama2.c header allows
// 2^20): the integer attention is proven up to there (kMaxInt8Context).
inline constexpr int32_t kMaxContextLength = 1 << 24;

// value as a dimension: Error "<path>: metadata '<key>' = <value> is out of range" unless in [1, max].
int32_t CheckedDim(const std::string& path, const std::string& key, int64_t value, int64_t max = 1 << 24);

// The <arch>.* keys that ReadGgufConfig reads back to config, plus <arch>.vocab_size.
std::vector<GgufKeyValue> ConfigKeys(const ModelConfig& config);
// "<arch>.vocab_size": an ingot GGUF's n_vocab (it has no float embedding to count rows of).
std::string VocabSizeKey(const ModelConfig& config);

}  // namespace ingot
