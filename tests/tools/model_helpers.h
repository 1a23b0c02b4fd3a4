// Helpers over whole models for the tests: greedy generation on the FP32 path (for golden
// tests against independent references) and the message a bad model file is refused with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model.h"

namespace ingot::test {

// The n tokens greedy decoding picks after the prompt ids (FP32 mode, `threads` threads).
std::vector<int32_t> GreedyFp32(const Model& model, const std::vector<int32_t>& prompt, int32_t n, int32_t threads);

// What Model::Load(path, options) throws, or "(loaded)".
std::string LoadError(const std::string& path, const ModelLoadOptions& options = {});

}  // namespace ingot::test
