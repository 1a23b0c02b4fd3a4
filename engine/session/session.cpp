#include "engine/session/session.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>

#include "engine/arch/config.h"
#include "engine/forward/forward_int8.h"
#include "engine/forward/forward_fp32.h"
#include "engine/forward/int8_kv_cache.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

namespace {

// MemAvailable of /proc/meminfo in bytes; 0 when it cannot be read (then there is no limit).
uint64_t AvailableMemory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

// More would only be a KV cache nobody can fill: the server's slots are a handful.
constexpr int32_t kMaxSequences = 256;

std::string MiB(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// Rows of logits a session keeps: every position's with logits_all, else one per sequence.
size_t LogitRowsKept(const SessionOptions& o) {
  return static_cast<size_t>(std::max(o.logits_all ? o.n_ctx : 1, o.n_seq));
}

}  // namespace

SessionMemory Session::MemoryFor(const ModelConfig& c, const SessionOptions& o, const FpModuleSet& fp_modules) {
  SessionMemory m;
  const uint64_t logit_values = LogitRowsKept(o) * static_cast<uint64_t>(c.n_vocab);
  if (o.mode == Mode::kInt8) {
    m.kv_cache = Int8KvCache::BytesFor(o.n_seq, c.n_layers, c.n_kv_heads, o.n_ctx, c.head_dim);
    m.logits = logit_values * (sizeof(float) + sizeof(int32_t));
    m.buffers = Int8Forward::BufferBytesFor(c, o.n_seq, o.n_ctx, o.n_batch, o.n_threads, o.logits_all) +
                FpModules::BytesFor(c, fp_modules, o.n_ctx);
  } else {
    m.kv_cache = Fp32Forward::KvCacheBytesFor(c, o.n_seq, o.n_ctx);
    m.logits = logit_values * sizeof(float);
    m.buffers = Fp32Forward::BytesFor(c, o.n_seq, o.n_ctx, o.n_batch, o.n_threads) - m.kv_cache;
  }
  return m;
}

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
  if (options.n_seq < 1 || options.n_seq > kMaxSequences) {
    throw Error("n_seq must be in [1, " + std::to_string(kMaxSequences) + "], got " + std::to_string(options.n_seq),
                ErrorKind::kInvalidArgument);
  }
  n_past_.assign(static_cast<size_t>(options.n_seq), 0);
  seq_tokens_.resize(static_cast<size_t>(options.n_seq));
  places_.resize(static_cast<size_t>(n_batch_));
  rows_.resize(static_cast<size_t>(n_batch_));
  std::iota(rows_.begin(), rows_.end(), 0);

  logits_all_ = options.logits_all;
  mode_ = options.mode;
  if (mode_ == Mode::kFp32 && !options.fp_modules.empty()) {
    throw Error("--fp-modules goes with --mode int8 (in fp32 mode every module is already float)",
                ErrorKind::kInvalidArgument);
  }
  if (mode_ == Mode::kInt8 && model.int8() == nullptr) {
    throw Error("int8 mode needs the model loaded with prepare_int8 (the C API's default)", ErrorKind::kUnsupported);
  }
  // n_ctx <= n_ctx_train <= kMaxContextLength, checked at load: within the integer attention's proof.
  static_assert(kMaxInt8Context >= kMaxContextLength);
  if (mode_ == Mode::kFp32 && !model.has_float_weights()) {
    throw Error(model.path() + " is an int8 model written by quantize; fp32 mode needs the float model",
                ErrorKind::kUnsupported);
  }
  const FpModuleSet fp_set = mode_ == Mode::kInt8 ? ParseFpModules(options.fp_modules, c) : FpModuleSet{};
  if (options.n_seq > 1 && fp_set.float_kv_cache()) {
    throw Error("--fp-modules kv and layer:N keep a float KV cache for one sequence only", ErrorKind::kUnsupported);
  }
  SessionOptions resolved = options;
  resolved.n_ctx = n_ctx_;
  resolved.n_batch = n_batch_;
  resolved.n_threads = n_threads_;
  // Refused before anything is allocated: a small file must not be able to ask for gigabytes.
  const SessionMemory need = MemoryFor(c, resolved, fp_set);
  // The limit: max_memory when the caller sets one, else the memory available now; and when the
  // context also comes from the file, no more than the model's own weights (at least 256 MiB).
  const uint64_t available = AvailableMemory();
  uint64_t limit = options.max_memory > 0 ? options.max_memory : available;
  std::string why = options.max_memory > 0 ? "max_memory" : "the memory available now";
  if (options.max_memory == 0 && options.n_ctx == 0) {
    const uint64_t model_bound = std::max(kDefaultSessionFloor, model.WeightBytes(mode_));
    if (limit == 0 || model_bound < limit) {
      limit = model_bound;
      why = "the default for the model's own context: as much as its weights, at least 256 MiB";
    }
  }
  if (limit > 0 && need.total() > limit) {
    throw Error("the session would take " + MiB(need.total()) + " (KV cache " + MiB(need.kv_cache) + ", logits " +
                    MiB(need.logits) + ", buffers " + MiB(need.buffers) + " for n_ctx " + std::to_string(n_ctx_) +
                    "), more than the " + MiB(limit) + " it may (" + why + "); ask for a smaller n_ctx" +
                    (options.max_memory > 0 ? "" : " or set max_memory"),
                ErrorKind::kOutOfMemory);
  }
  logits_.resize(LogitRowsKept(resolved) * static_cast<size_t>(c.n_vocab));
  if (mode_ == Mode::kInt8) {
    if (fp_set.any()) fp_modules_ = std::make_unique<FpModules>(model, fp_set, n_ctx_);
    int8_ = std::make_unique<Int8Forward>(c, *model.int8(), model.kernel_table(), n_seq(), n_ctx_, n_batch_,
                                          n_threads_, logits_all_, fp_modules_.get());
    logits_q16_.resize(logits_.size());
    return;
  }
  fp32_ = std::make_unique<Fp32Forward>(model, n_seq(), n_ctx_, n_batch_, n_threads_);
}

Session::~Session() = default;

uint64_t Session::kv_cache_bytes() const {
  return int8_ ? int8_->kv_cache_bytes() : fp32_->kv_cache_bytes();
}

void Session::CheckTokens(const int32_t* tokens, int32_t n_tokens, int32_t seq) const {
  const int32_t n_vocab = model_.config().n_vocab;
  for (int32_t i = 0; i < n_tokens; ++i) {
    if (tokens[i] < 0 || tokens[i] >= n_vocab) {
      throw Error("token id " + std::to_string(tokens[i]) + (n_tokens > 1 ? " (at " + std::to_string(i) + ")" : "") +
                  " is out of range [0, " + std::to_string(n_vocab) + ")", ErrorKind::kInvalidArgument);
    }
  }
  CheckFits(n_tokens, seq);
}

void Session::CheckFits(int64_t n_tokens, int32_t seq) const {
  if (seq < 0 || seq >= n_seq()) {
    throw Error("sequence " + std::to_string(seq) + " is out of range [0, " + std::to_string(n_seq()) + ")",
                ErrorKind::kInvalidArgument);
  }
  const int32_t past = n_past(seq);
  if (n_tokens > n_ctx_ - past) {
    throw Error(std::to_string(n_tokens) + " tokens do not fit (context is full: " + std::to_string(past) + " + " +
                std::to_string(n_tokens) + " tokens exceed n_ctx " + std::to_string(n_ctx_) + ")", ErrorKind::kContextFull);
  }
}

bool Session::Eval(const int32_t* tokens, int32_t n_tokens, bool all_logits, std::atomic<bool>* cancel,
                   int32_t seq) {
  if (n_tokens <= 0) return true;
  if (all_logits && !logits_all_) {
    throw Error("Eval with all_logits needs a session created with logits_all", ErrorKind::kInvalidArgument);
  }
  CheckTokens(tokens, n_tokens, seq);
  int32_t& past = n_past_[static_cast<size_t>(seq)];
  const int32_t start = past;
  for (int32_t done = 0; done < n_tokens; done += n_batch_) {
    if (done > 0 && cancel != nullptr && cancel->exchange(false)) {
      Rewind(start, seq);
      return false;
    }
    const int32_t n = std::min(n_batch_, n_tokens - done);
    for (int32_t t = 0; t < n; ++t) places_[static_cast<size_t>(t)] = TokenPlace{seq, past + t};
    // All rows, or the last one of the last batch.
    const bool last_batch = done + n == n_tokens;
    const LogitRows wanted = all_logits ? LogitRows{rows_.data(), n}
                                        : (last_batch ? LogitRows{rows_.data() + n - 1, 1} : LogitRows{});
    const size_t row = all_logits ? static_cast<size_t>(done) : 0;
    Forward(tokens + done, places_.data(), n, wanted, logits_.data() + row * static_cast<size_t>(model_.config().n_vocab));
    past += n;
  }
  return true;
}

void Session::EvalBatch(const int32_t* tokens, const int32_t* seqs, int32_t n, LogitRows wanted) {
  if (n <= 0) return;
  if (n > n_batch_) {
    throw Error("a batch of " + std::to_string(n) + " tokens is more than n_batch (" + std::to_string(n_batch_) + ")",
                ErrorKind::kInvalidArgument);
  }
  const int32_t max_rows = logits_all_ ? n_batch_ : n_seq();
  if (wanted.count < 0 || wanted.count > max_rows) {
    throw Error(std::to_string(wanted.count) + " rows of logits asked of a batch (at most " + std::to_string(max_rows) + ")",
                ErrorKind::kInvalidArgument);
  }
  for (int32_t r = 0; r < wanted.count; ++r) {
    if (wanted.rows[r] < 0 || wanted.rows[r] >= n || (r > 0 && wanted.rows[r] <= wanted.rows[r - 1])) {
      throw Error("the rows of logits asked of a batch must ascend within it", ErrorKind::kInvalidArgument);
    }
  }
  std::fill(seq_tokens_.begin(), seq_tokens_.end(), 0);
  for (int32_t i = 0; i < n; ++i) {
    CheckTokens(tokens + i, 1, seqs[i]);
    ++seq_tokens_[static_cast<size_t>(seqs[i])];
  }
  for (int32_t s = 0; s < n_seq(); ++s) CheckFits(seq_tokens_[static_cast<size_t>(s)], s);
  for (int32_t i = 0; i < n; ++i) places_[static_cast<size_t>(i)] = TokenPlace{seqs[i], n_past_[static_cast<size_t>(seqs[i])]++};
  Forward(tokens, places_.data(), n, wanted, logits_.data());
}

void Session::Forward(const int32_t* tokens, const TokenPlace* places, int32_t n, LogitRows wanted, float* logits) {
  if (fp32_) {
    fp32_->Forward(tokens, places, n, wanted, logits);
    return;
  }
  const size_t offset = static_cast<size_t>(logits - logits_.data());
  int32_t* logits_q16 = logits_q16_.data() + offset;
  int8_->Forward(tokens, places, n, wanted, logits_q16);
  const size_t count = static_cast<size_t>(wanted.count) * static_cast<size_t>(model_.config().n_vocab);
  constexpr float kInvQ16 = 1.0f / static_cast<float>(1 << kLogitFracBits);
  for (size_t i = 0; i < count; ++i) logits[i] = static_cast<float>(logits_q16[i]) * kInvQ16;
}

}  // namespace ingot
