#include "engine/model/model.h"

#include "engine/quant/int8_model.h"
#include "kernels/kernel_table.h"

namespace ingot {

const char* ModeName(Mode mode) { return mode == Mode::kInt8 ? "int8" : "fp32"; }

bool ParseMode(const std::string& name, Mode* mode) {
  if (name == "fp32") *mode = Mode::kFp32;
  else if (name == "int8") *mode = Mode::kInt8;
  else return false;
  return true;
}

Model::Model() = default;
Model::~Model() = default;

const char* Model::isa_name() const { return kernel_table_->name; }

bool Model::tied_output() const {
  if (!has_float_weights()) return int8_->output == &int8_->token_embd;
  return FloatWeights::tied_output();
}

uint64_t Model::WeightBytes(Mode mode) const {
  return mode == Mode::kInt8 ? int8_->weight_bytes() : weight_bytes_;
}

uint64_t Model::WeightBytesPerToken(Mode mode) const {
  if (tied_output()) return WeightBytes(mode);
  const uint64_t embd = mode == Mode::kInt8 ? int8_->token_embd.bytes() : (token_embd.info ? token_embd.info->n_bytes : 0);
  return WeightBytes(mode) - embd;
}

uint64_t Model::n_params() const {
  uint64_t n = 0;
  for (const GgufTensorInfo& t : tensors()) n += t.n_elements;
  return n;
}

}  // namespace ingot
