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

}  // namespace ingot
