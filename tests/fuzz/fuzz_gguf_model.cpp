// A GGUF model from memory (a float file, or an ingot GGUF: this build does not compare its
// hashes), loaded with int8 weights; when it loads, one token through a small session in each
// mode it has weights for. Anything but an ingot::Error is a finding.
#include <cstddef>
#include <cstdint>

#include "engine/model/model.h"
#include "engine/session/session.h"
#include "model_io/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ingot::ModelLoadOptions options;
  options.prepare_int8 = true;
  options.n_threads = 1;
  try {
    const auto model = ingot::Model::LoadFromMemory(data, size, "fuzz.gguf", options);
    for (const ingot::Mode mode : {ingot::Mode::kInt8, ingot::Mode::kFp32}) {
      if (mode == ingot::Mode::kFp32 && !model->has_float_weights()) continue;
      ingot::SessionOptions session_options;
      session_options.mode = mode;
      session_options.n_ctx = 8;
      session_options.n_threads = 1;
      session_options.max_memory = 256 << 20;
      try {
        ingot::Session session(*model, session_options);
        const int32_t token = 0;
        session.Eval(&token, 1, false);
      } catch (const ingot::Error&) {
      }
    }
  } catch (const ingot::Error&) {
  }
  return 0;
}
