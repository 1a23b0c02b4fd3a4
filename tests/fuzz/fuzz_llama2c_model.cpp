// A llama2.c checkpoint (or anything that is not GGUF) from a file, with stories260K's
// tokenizer; when it loads, one token through a small int8 session.
#include <cstddef>
#include <cstdint>

#include "engine/model/model.h"
#include "engine/session/session.h"
#include "model_io/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string tokenizer = ingot::fuzz::SharedAsset("models/stories260K/tok512.model");
  const ingot::fuzz::MemFile file(data, size);
  ingot::ModelLoadOptions options;
  options.prepare_int8 = true;
  options.n_threads = 1;
  options.tokenizer_path = tokenizer;
  try {
    const auto model = ingot::Model::Load(file.path(), options);
    ingot::SessionOptions session_options;
    session_options.mode = ingot::Mode::kInt8;
    session_options.n_ctx = 8;
    session_options.n_threads = 1;
    session_options.max_memory = 256 << 20;
    ingot::Session session(*model, session_options);
    const int32_t token = 1;
    session.Eval(&token, 1, false);
  } catch (const ingot::Error&) {
  }
  return 0;
}
