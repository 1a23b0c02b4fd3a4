// The model handle, which both engine/api/c_api_model.cpp and c_api_session.cpp read (the
// session and file handles live in their own files).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/quant/int8_matrix.h"
#include "ingot/ingot.h"

struct ingot_model {
  std::unique_ptr<ingot::Model> model;
  std::string fp_modules;  // FpModuleKinds, comma-separated (ingot_model_info points at it)
  std::string chat_template;  // tokenizer.chat_template, "" when none (ingot_model_info points at it)
  std::atomic<int32_t> sessions{0};
  // The integer path's matrices, for ingot_model_get_matrix (empty without int8 weights).
  struct Matrix {
    std::string name;
    std::string format;
    const ingot::Int8Matrix* matrix;
  };
  std::vector<Matrix> matrices;
};

