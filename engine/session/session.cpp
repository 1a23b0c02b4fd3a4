#include "engine/session/session.h"

#include <algorithm>

#include "engine/forward/forward_int8.h"
#include "engine/forward/forward_fp32.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

Session::Session(const Model& model, const SessionOptions& options) : model_(model) {
  const ModelConfig& c = model.config();
  if (options.n_ctx < 0) {
    throw Error("n_ctx must be positive, got " + std::to_string(options.n_ctx), ErrorKind::kInvalidArgument);
  }
  if (options.n_ctx > c.n_ctx_train) {
    throw Error(model.path() + ": n_ctx " + std::to_string(options.n_ctx) + " is larger than the model allows (" +
                std::to_string(c.n_ctx_train) + " tokens)", ErrorKind::kInvalidArgument);
  }
  n_ctx_ = options.n_ctx > 0 ? options.n_ctx : std::min(c.n_ctx_train, kDefaultMaxContext);
  n_threads_ = options.n_threads > 0 ? options.n_threads : kernels::DefaultThreadCount();
  n_batch_ = std::clamp(options.n_batch, 1, n_ctx_);

  logits_all_ = options.logits_all;
  mode_ = options.mode;
  if (mode_ == Mode::kFp32 && !options.fp_modules.empty()) {
    throw Error("--fp-modules goes with --mode int8 (in fp32 mode every module is already float)",
                ErrorKind::kInvalidArgument);
  }
  if (mode_ == Mode::kInt8 && model.int8() == nullptr) {
    throw Error("int8 mode needs the model loaded with prepare_int8 (the C API's default)", ErrorKind::kUnsupported);
  }
  if (mode_ == Mode::kInt8 && n_ctx_ > kMaxInt8Context) {
    throw Error("n_ctx " + std::to_string(n_ctx_) + " is above the " + std::to_string(kMaxInt8Context) +
                    " positions the integer attention's sums are proven to fit in int32 for",
                ErrorKind::kInvalidArgument);
  }
  if (mode_ == Mode::kFp32 && !model.has_float_weights()) {
    throw Error(model.path() + " is an int8 model written by quantize; fp32 mode needs the float model",
                ErrorKind::kUnsupported);
  }
  const size_t logit_rows = static_cast<size_t>(logits_all_ ? n_ctx_ : 1);
  logits_.resize(logit_rows * static_cast<size_t>(c.n_vocab));
  if (mode_ == Mode::kInt8) {
    const FpModuleSet set = ParseFpModules(options.fp_modules, c);
    if (set.any()) fp_modules_ = std::make_unique<FpModules>(model, set, n_ctx_);
    int8_ = std::make_unique<Int8Forward>(c, *model.int8(), model.kernel_table(), n_ctx_, n_batch_, n_threads_,
                                          logits_all_, fp_modules_.get());
    logits_q16_.resize(logits_.size());
    return;
  }
  fp32_ = std::make_unique<Fp32Forward>(model, n_ctx_, n_batch_, n_threads_);
}

Session::~Session() = default;

uint64_t Session::kv_cache_bytes() const {
  return int8_ ? int8_->kv_cache_bytes() : fp32_->kv_cache_bytes();
}

void Session::CheckTokens(const int32_t* tokens, int32_t n_tokens) const {
  const int32_t n_vocab = model_.config().n_vocab;
  for (int32_t i = 0; i < n_tokens; ++i) {
    if (tokens[i] < 0 || tokens[i] >= n_vocab) {
      throw Error("token id " + std::to_string(tokens[i]) + (n_tokens > 1 ? " (at " + std::to_string(i) + ")" : "") +
                  " is out of range [0, " + std::to_string(n_vocab) + ")", ErrorKind::kInvalidArgument);
    }
  }
  if (n_tokens > n_ctx_ - n_past_) {
    throw Error(std::to_string(n_tokens) + " tokens do not fit (context is full: " + std::to_string(n_past_) + " + " +
                std::to_string(n_tokens) + " tokens exceed n_ctx " + std::to_string(n_ctx_) + ")", ErrorKind::kContextFull);
  }
}

bool Session::Eval(const int32_t* tokens, int32_t n_tokens, bool all_logits, std::atomic<bool>* cancel) {
  if (n_tokens <= 0) return true;
  if (all_logits && !logits_all_) {
    throw Error("Eval with all_logits needs a session created with logits_all", ErrorKind::kInvalidArgument);
  }
  CheckTokens(tokens, n_tokens);
  const int32_t start = n_past_;
  for (int32_t done = 0; done < n_tokens; done += n_batch_) {
    if (done > 0 && cancel != nullptr && cancel->exchange(false)) {
      Rewind(start);
      return false;
    }
    const int32_t n = std::min(n_batch_, n_tokens - done);
    const bool last_batch = done + n == n_tokens;
    if (!all_logits && !last_batch) {
      Forward(tokens + done, n, false, nullptr);
    } else {
      const size_t row = all_logits ? static_cast<size_t>(done) : 0;
      Forward(tokens + done, n, all_logits, logits_.data() + row * static_cast<size_t>(model_.config().n_vocab));
    }
  }
  return true;
}

// One batch through the network, at positions n_past_ .. n_past_ + n - 1.
void Session::Forward(const int32_t* tokens, int32_t n, bool all_logits, float* logits) {
  if (fp32_) {
    fp32_->Forward(tokens, n, n_past_, all_logits, logits);
    n_past_ += n;
    return;
  }
  const size_t offset = logits ? static_cast<size_t>(logits - logits_.data()) : 0;
  int32_t* logits_q16 = logits ? logits_q16_.data() + offset : nullptr;
  int8_->Forward(tokens, n, n_past_, all_logits, logits_q16);
  n_past_ += n;
  if (logits) {
    const size_t count = static_cast<size_t>(all_logits ? n : 1) * static_cast<size_t>(model_.config().n_vocab);
    constexpr float kInvQ16 = 1.0f / static_cast<float>(1 << kLogitFracBits);
    for (size_t i = 0; i < count; ++i) logits[i] = static_cast<float>(logits_q16[i]) * kInvQ16;
  }
}

}  // namespace ingot
