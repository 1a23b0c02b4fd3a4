// The model handle, which both engine/api/c_api_model.cpp and c_api_session.cpp read (the
// session and file handles live in their own files), and the model facts both report.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/model/model.h"
#include "ingot/ingot.h"

struct ingot_model {
  std::unique_ptr<ingot::Model> model;
  std::string fp_modules;  // FpModuleKinds, comma-separated (ingot_model_info points at it)
  std::atomic<int32_t> sessions{0};
};

namespace ingot::api {

// Whether the output matrix is the token embedding table.
bool TiedOutput(const Model& m);

// The weights a mode computes with, and what one decode step reads of them: every matrix but
// the embedding table, of which it reads one row (unless the table is also the output).
void WeightBytes(const Model& m, Mode mode, uint64_t* total, uint64_t* per_token);

}  // namespace ingot::api
