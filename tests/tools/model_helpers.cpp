#include "tests/tools/model_helpers.h"

#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "model_io/error.h"

namespace ingot::test {

std::vector<int32_t> GreedyFp32(const Model& model, const std::vector<int32_t>& prompt, int32_t n, int32_t threads) {
  SessionOptions options;
  options.n_threads = threads;
  Session session(model, options);
  session.Eval(prompt.data(), static_cast<int32_t>(prompt.size()), false);
  std::vector<int32_t> out;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t next = Argmax(session.logits(), model.config().n_vocab);
    out.push_back(next);
    session.Eval(&next, 1, false);
  }
  return out;
}

std::string LoadError(const std::string& path, const ModelLoadOptions& options) {
  try {
    Model::Load(path, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace ingot::test
