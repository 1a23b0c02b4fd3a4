// The C API (include/ingot/ingot.h) over the C++ engine. Every function catches everything:
// ingot::Error and the standard exceptions become a status and a thread-local message, and the
// library writes nothing to stdout or stderr.
#include "ingot/ingot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "engine/forward_int8.h"  // kLogitFracBits
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "model_io/error.h"
#include "model_io/unicode.h"

struct ingot_model {
  std::unique_ptr<ingot::Model> model;
  std::atomic<int32_t> sessions{0};
};

struct ingot_session {
  ingot_model* owner = nullptr;
  std::unique_ptr<ingot::Session> session;
  std::unique_ptr<ingot::Sampler> sampler;
  std::vector<int32_t> history;  // the tokens in the context, for the repetition penalty
  int32_t logit_rows = 0;        // rows of logits the last evaluation left (0: none yet)
  std::atomic<bool> cancel{false};
};

#ifndef INGOT_RELEASE
#error "engine/CMakeLists.txt defines INGOT_RELEASE, the project's version"
#endif

namespace {

constexpr int32_t kMaxThreads = 256;

// A failed call's status with its message, thrown inside the API and caught at its edge.
struct Failure {
  int32_t status;
  std::string message;
};

thread_local std::string t_last_error;

struct LogSink {
  std::mutex mutex;
  ingot_log_callback callback = nullptr;
  void* user_data = nullptr;
};
LogSink& Log() {
  static LogSink sink;
  return sink;
}

void Emit(int32_t level, const std::string& message) {
  ingot_log_callback callback;
  void* user_data;
  {
    std::lock_guard<std::mutex> lock(Log().mutex);
    callback = Log().callback;
    user_data = Log().user_data;
  }
  if (callback != nullptr) callback(level, message.c_str(), user_data);
}

// Runs body; turns whatever it throws into a status and the thread's last error.
template <typename F>
int32_t Guard(const char* function, int32_t error_status, F&& body) {
  int32_t status = INGOT_OK;
  std::string message;
  try {
    body();
    return INGOT_OK;
  } catch (const Failure& f) {
    status = f.status;
    message = f.message;
  } catch (const ingot::Error& e) {
    status = error_status;
    message = e.what();
  } catch (const std::bad_alloc&) {
    status = INGOT_ERROR_OUT_OF_MEMORY;
    message = "out of memory";
  } catch (const std::exception& e) {
    status = INGOT_ERROR_INTERNAL;
    message = std::string("internal error: ") + e.what();
  } catch (...) {
    status = INGOT_ERROR_INTERNAL;
    message = "internal error: unknown exception";
  }
  try {
    t_last_error = std::string(function) + ": " + message;
    Emit(INGOT_LOG_ERROR, t_last_error);
  } catch (...) {  // no memory even for the message: the status still says what happened
  }
  return status;
}

[[noreturn]] void Fail(int32_t status, const std::string& message) { throw Failure{status, message}; }

template <typename T>
void Require(const T* pointer, const char* name) {
  if (pointer == nullptr) Fail(INGOT_ERROR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

template <typename T>
void RequireSize(const T* params, const char* name) {
  if (params->struct_size != sizeof(T)) {
    Fail(INGOT_ERROR_STRUCT_SIZE, std::string(name) + "->struct_size is " + std::to_string(params->struct_size) +
                                      ", this library expects " + std::to_string(sizeof(T)) +
                                      " (set it to sizeof, or use the *_params_init function)");
  }
}

ingot::ModelLoadOptions LoadOptions(const ingot_model_params* params) {
  ingot_model_params p;
  ingot_model_params_init(&p);
  if (params != nullptr) {
    RequireSize(params, "params");
    p = *params;
  }
  if (p.n_threads < 0 || p.n_threads > kMaxThreads) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_threads must be 0 (all cores) to " + std::to_string(kMaxThreads) + ", got " +
                                           std::to_string(p.n_threads));
  }
  ingot::ModelLoadOptions options;
  options.tokenizer_path = p.tokenizer_path != nullptr ? p.tokenizer_path : "";
  options.isa = p.isa != nullptr ? p.isa : "";
  options.prepare_int8 = p.prepare_int8 != 0;
  options.n_threads = p.n_threads;
  return options;
}

// Problems with the file itself (rather than its contents) are INGOT_ERROR_IO.
void CheckReadableFile(const std::string& path) {
  struct stat st {};
  if (path.empty()) Fail(INGOT_ERROR_INVALID_ARGUMENT, "path is empty");
  if (stat(path.c_str(), &st) != 0) Fail(INGOT_ERROR_IO, path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) Fail(INGOT_ERROR_IO, path + ": not a regular file");
  if (access(path.c_str(), R_OK) != 0) Fail(INGOT_ERROR_IO, path + ": " + std::strerror(errno));
}

void Loaded(const ingot::Model& m, double seconds) {
  const ingot::ModelConfig& c = m.config();
  Emit(INGOT_LOG_INFO, "loaded " + m.path() + " (" + m.format() + ", " + c.arch + ", " + std::to_string(c.n_layers) +
                           " layers, vocab " + std::to_string(c.n_vocab) + ") in " + std::to_string(seconds) +
                           " s; kernels " + m.isa_name() + (m.int8() != nullptr ? ", int8 weights ready" : ""));
}

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Evaluates tokens in batches, stopping between batches on a cancel (the context is then as
// before the call). all_logits keeps every row (one batch: rows index the call's tokens).
void Eval(ingot_session* s, const int32_t* tokens, int32_t n_tokens, bool all_logits) {
  ingot::Session& session = *s->session;
  if (n_tokens > session.n_ctx() - session.n_past()) {
    Fail(INGOT_ERROR_CONTEXT_FULL, std::to_string(n_tokens) + " tokens do not fit: " + std::to_string(session.n_past()) +
                                       " of n_ctx " + std::to_string(session.n_ctx()) + " are used");
  }
  const int32_t start = session.n_past();
  auto fail_as_before = [&](int32_t status, const std::string& message) {
    session.Rewind(start);
    s->history.resize(static_cast<size_t>(start));
    s->logit_rows = 0;
    Fail(status, message);
  };
  const int32_t batch = all_logits ? n_tokens : 512;
  for (int32_t done = 0; done < n_tokens; done += batch) {
    if (s->cancel.exchange(false)) fail_as_before(INGOT_ERROR_CANCELLED, "cancelled");
    const int32_t n = std::min(batch, n_tokens - done);
    try {
      session.Eval(tokens + done, n, all_logits);
    } catch (const ingot::Error& e) {
      fail_as_before(INGOT_ERROR_INVALID_ARGUMENT, e.what());
    }
    s->history.insert(s->history.end(), tokens + done, tokens + done + n);
  }
  s->logit_rows = all_logits ? n_tokens : 1;
}

const float* LastLogits(const ingot_session* s) {
  const int32_t n_vocab = s->owner->model->config().n_vocab;
  return s->session->logits() + static_cast<size_t>(s->logit_rows - 1) * static_cast<size_t>(n_vocab);
}

}  // namespace

extern "C" {

int32_t ingot_version(int32_t* api_major, int32_t* api_minor, const char** release) {
  if (api_major != nullptr) *api_major = INGOT_API_VERSION_MAJOR;
  if (api_minor != nullptr) *api_minor = INGOT_API_VERSION_MINOR;
  if (release != nullptr) *release = INGOT_RELEASE;
  return INGOT_OK;
}

int32_t ingot_last_error(const char** message) {
  if (message == nullptr) return INGOT_ERROR_INVALID_ARGUMENT;
  *message = t_last_error.c_str();
  return INGOT_OK;
}

int32_t ingot_status_name(int32_t status, const char** name) {
  static const char* const kNames[] = {
      "INGOT_OK",           "INGOT_ERROR_INVALID_ARGUMENT", "INGOT_ERROR_STRUCT_SIZE",  "INGOT_ERROR_IO",
      "INGOT_ERROR_MODEL_FORMAT", "INGOT_ERROR_UNSUPPORTED", "INGOT_ERROR_CONTEXT_FULL", "INGOT_ERROR_CANCELLED",
      "INGOT_ERROR_OUT_OF_MEMORY", "INGOT_ERROR_BUFFER_TOO_SMALL", "INGOT_ERROR_BUSY", "INGOT_ERROR_INVALID_STATE",
      "INGOT_ERROR_INTERNAL"};
  if (name == nullptr) return INGOT_ERROR_INVALID_ARGUMENT;
  constexpr int32_t kCount = static_cast<int32_t>(sizeof(kNames) / sizeof(kNames[0]));
  *name = status >= 0 && status < kCount ? kNames[status] : "unknown status";
  return INGOT_OK;
}

int32_t ingot_set_log_callback(ingot_log_callback callback, void* user_data) {
  std::lock_guard<std::mutex> lock(Log().mutex);
  Log().callback = callback;
  Log().user_data = user_data;
  return INGOT_OK;
}

int32_t ingot_model_params_init(ingot_model_params* params) {
  return Guard("ingot_model_params_init", INGOT_ERROR_INTERNAL, [&] {
    Require(params, "params");
    *params = ingot_model_params{};
    params->struct_size = sizeof(ingot_model_params);
    params->prepare_int8 = 1;
  });
}

int32_t ingot_model_load(const char* path, const ingot_model_params* params, ingot_model** model) {
  return Guard("ingot_model_load", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(path, "path");
    Require(model, "model");
    const ingot::ModelLoadOptions options = LoadOptions(params);
    CheckReadableFile(path);
    if (!options.tokenizer_path.empty()) CheckReadableFile(options.tokenizer_path);
    const double start = Now();
    auto handle = std::make_unique<ingot_model>();
    handle->model = ingot::Model::Load(path, options);
    Loaded(*handle->model, Now() - start);
    *model = handle.release();
  });
}

int32_t ingot_model_load_from_memory(const void* data, size_t size, const char* name, const ingot_model_params* params,
                                     ingot_model** model) {
  return Guard("ingot_model_load_from_memory", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(data, "data");
    Require(model, "model");
    const ingot::ModelLoadOptions options = LoadOptions(params);
    const double start = Now();
    auto handle = std::make_unique<ingot_model>();
    handle->model = ingot::Model::LoadFromMemory(data, size, name != nullptr ? name : "memory", options);
    Loaded(*handle->model, Now() - start);
    *model = handle.release();
  });
}

int32_t ingot_model_get_info(const ingot_model* model, ingot_model_info* info) {
  return Guard("ingot_model_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(model, "model");
    Require(info, "info");
    RequireSize(info, "info");
    const ingot::Model& m = *model->model;
    const ingot::ModelConfig& c = m.config();
    info->architecture = c.arch.c_str();
    info->format = m.format().c_str();
    info->isa = m.isa_name();
    info->n_vocab = c.n_vocab;
    info->n_layers = c.n_layers;
    info->d_model = c.d_model;
    info->n_heads = c.n_heads;
    info->n_kv_heads = c.n_kv_heads;
    info->d_ffn = c.d_ffn;
    info->n_ctx_train = c.n_ctx_train;
    info->bos_id = m.tokenizer().bos_id();
    info->eos_id = m.tokenizer().eos_id();
    info->add_bos = m.tokenizer().add_bos() ? 1 : 0;
    info->has_int8 = m.int8() != nullptr ? 1 : 0;
    info->has_fp32 = m.has_float_weights() ? 1 : 0;
    info->weight_bytes = m.weight_bytes();
  });
}

int32_t ingot_model_free(ingot_model* model) {
  return Guard("ingot_model_free", INGOT_ERROR_INTERNAL, [&] {
    if (model == nullptr) return;
    const int32_t sessions = model->sessions.load();
    if (sessions > 0) {
      Fail(INGOT_ERROR_BUSY, "the model still has " + std::to_string(sessions) + " session(s): free them first");
    }
    delete model;
  });
}

int32_t ingot_session_params_init(ingot_session_params* params) {
  return Guard("ingot_session_params_init", INGOT_ERROR_INTERNAL, [&] {
    Require(params, "params");
    const ingot::SamplerParams sampling;
    *params = ingot_session_params{};
    params->struct_size = sizeof(ingot_session_params);
    params->n_ctx = INGOT_N_CTX_MODEL;
    params->mode = INGOT_MODE_INT8;
    params->temperature = sampling.temperature;
    params->top_k = sampling.top_k;
    params->top_p = sampling.top_p;
    params->repeat_penalty = sampling.repeat_penalty;
    params->repeat_last_n = sampling.repeat_last_n;
    params->seed = sampling.seed;
  });
}

int32_t ingot_session_create(ingot_model* model, const ingot_session_params* params, ingot_session** session) {
  return Guard("ingot_session_create", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(model, "model");
    Require(session, "session");
    ingot_session_params p;
    ingot_session_params_init(&p);
    if (params != nullptr) {
      RequireSize(params, "params");
      p = *params;
    }
    const ingot::Model& m = *model->model;
    const int32_t n_ctx_train = m.config().n_ctx_train;
    if (p.n_ctx != INGOT_N_CTX_MODEL && (p.n_ctx < 1 || p.n_ctx > n_ctx_train)) {
      Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_ctx must be 1 to " + std::to_string(n_ctx_train) +
                                             " (the model's training context) or INGOT_N_CTX_MODEL, got " +
                                             std::to_string(p.n_ctx));
    }
    if (p.n_threads < 0 || p.n_threads > kMaxThreads) {
      Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_threads must be 0 (all cores) to " + std::to_string(kMaxThreads) +
                                             ", got " + std::to_string(p.n_threads));
    }
    if (p.mode != INGOT_MODE_INT8 && p.mode != INGOT_MODE_FP32) {
      Fail(INGOT_ERROR_INVALID_ARGUMENT, "mode must be INGOT_MODE_INT8 or INGOT_MODE_FP32, got " + std::to_string(p.mode));
    }
    if (p.mode == INGOT_MODE_INT8 && m.int8() == nullptr) {
      Fail(INGOT_ERROR_UNSUPPORTED, "int8 mode needs the model loaded with prepare_int8 (the default)");
    }
    if (p.mode == INGOT_MODE_FP32 && !m.has_float_weights()) {
      Fail(INGOT_ERROR_UNSUPPORTED, m.path() + " is an int8 model written by quantize; fp32 mode needs the float model");
    }
    ingot::SessionOptions options;
    options.n_ctx = p.n_ctx == INGOT_N_CTX_MODEL ? 0 : p.n_ctx;
    options.n_threads = p.n_threads;
    options.logits_all = p.logits_all != 0;
    options.mode = p.mode == INGOT_MODE_INT8 ? ingot::Mode::kInt8 : ingot::Mode::kFp32;
    options.fp_modules = p.fp_modules != nullptr ? p.fp_modules : "";
    ingot::SamplerParams sampling;
    sampling.temperature = p.temperature;
    sampling.top_k = p.top_k;
    sampling.top_p = p.top_p;
    sampling.repeat_penalty = p.repeat_penalty;
    sampling.repeat_last_n = p.repeat_last_n;
    sampling.seed = p.seed;
    auto handle = std::make_unique<ingot_session>();
    handle->sampler = std::make_unique<ingot::Sampler>(sampling, m.config().n_vocab);
    handle->session = std::make_unique<ingot::Session>(m, options);
    handle->owner = model;
    model->sessions.fetch_add(1);
    *session = handle.release();
  });
}

int32_t ingot_session_free(ingot_session* session) {
  return Guard("ingot_session_free", INGOT_ERROR_INTERNAL, [&] {
    if (session == nullptr) return;
    session->owner->sessions.fetch_sub(1);
    delete session;
  });
}

int32_t ingot_session_tokenize(const ingot_session* session, const char* text, int32_t add_bos, int32_t* tokens,
                               int32_t capacity, int32_t* n_tokens) {
  return Guard("ingot_session_tokenize", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(text, "text");
    Require(n_tokens, "n_tokens");
    if (capacity < 0) Fail(INGOT_ERROR_INVALID_ARGUMENT, "capacity is negative");
    const std::vector<int32_t> ids = session->owner->model->tokenizer().Encode(text, add_bos != 0);
    *n_tokens = static_cast<int32_t>(ids.size());
    if (ids.size() > static_cast<size_t>(capacity)) {
      Fail(INGOT_ERROR_BUFFER_TOO_SMALL, std::to_string(ids.size()) + " tokens do not fit in capacity " +
                                             std::to_string(capacity));
    }
    if (!ids.empty()) Require(tokens, "tokens");
    std::copy(ids.begin(), ids.end(), tokens);
  });
}

int32_t ingot_session_detokenize(const ingot_session* session, const int32_t* tokens, int32_t n_tokens, char* text,
                                 size_t capacity, size_t* length) {
  return Guard("ingot_session_detokenize", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(length, "length");
    if (n_tokens < 0) Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_tokens is negative");
    if (n_tokens > 0) Require(tokens, "tokens");
    const std::string decoded =
        session->owner->model->tokenizer().Decode(std::vector<int32_t>(tokens, tokens + n_tokens));
    *length = decoded.size();
    if (decoded.size() + 1 > capacity) {
      Fail(INGOT_ERROR_BUFFER_TOO_SMALL, std::to_string(decoded.size() + 1) + " bytes (with the NUL) do not fit in capacity " +
                                             std::to_string(capacity));
    }
    Require(text, "text");
    std::memcpy(text, decoded.c_str(), decoded.size() + 1);
  });
}

int32_t ingot_session_eval(ingot_session* session, const int32_t* tokens, int32_t n_tokens) {
  return Guard("ingot_session_eval", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(tokens, "tokens");
    if (n_tokens < 1) Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_tokens must be at least 1, got " + std::to_string(n_tokens));
    const int32_t n_vocab = session->owner->model->config().n_vocab;
    for (int32_t i = 0; i < n_tokens; ++i) {
      if (tokens[i] < 0 || tokens[i] >= n_vocab) {
        Fail(INGOT_ERROR_INVALID_ARGUMENT, "token id " + std::to_string(tokens[i]) + " (at " + std::to_string(i) +
                                               ") is out of range [0, " + std::to_string(n_vocab) + ")");
      }
    }
    Eval(session, tokens, n_tokens, session->session->logits_all());
  });
}

int32_t ingot_session_eval_prompt(ingot_session* session, const char* text) {
  return Guard("ingot_session_eval_prompt", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(text, "text");
    if (*text == '\0') Fail(INGOT_ERROR_INVALID_ARGUMENT, "the prompt is empty");
    const ingot::Tokenizer& tokenizer = session->owner->model->tokenizer();
    const bool bos = session->session->n_past() == 0 && tokenizer.add_bos();
    const std::vector<int32_t> ids = tokenizer.Encode(text, bos);
    if (ids.empty()) Fail(INGOT_ERROR_INVALID_ARGUMENT, "the prompt is empty");
    Eval(session, ids.data(), static_cast<int32_t>(ids.size()), false);
  });
}

int32_t ingot_session_generate(ingot_session* session, int32_t max_tokens, ingot_token_callback callback,
                               void* user_data, int32_t* n_generated) {
  int32_t generated = 0;
  const int32_t status = Guard("ingot_session_generate", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    if (max_tokens < 0) Fail(INGOT_ERROR_INVALID_ARGUMENT, "max_tokens is negative");
    if (session->logit_rows == 0) {
      Fail(INGOT_ERROR_INVALID_STATE, "nothing evaluated yet: evaluate a prompt first");
    }
    const ingot::Tokenizer& tokenizer = session->owner->model->tokenizer();
    ingot::Session& s = *session->session;
    ingot::Utf8Stream stream;
    int32_t token = -1;
    while (generated < max_tokens) {
      if (session->cancel.exchange(false)) Fail(INGOT_ERROR_CANCELLED, "cancelled");
      if (s.n_past() >= s.n_ctx()) {
        Fail(INGOT_ERROR_CONTEXT_FULL, "the context is full (n_ctx " + std::to_string(s.n_ctx()) + ")");
      }
      token = session->sampler->Sample(LastLogits(session), session->history);
      if (token == tokenizer.eos_id()) break;
      Eval(session, &token, 1, false);
      ++generated;
      const std::string piece = stream.Push(tokenizer.TokenToPiece(token));
      if (callback != nullptr && callback(piece.c_str(), piece.size(), token, user_data) != 0) return;
    }
    const std::string rest = stream.Flush();
    if (!rest.empty() && callback != nullptr) callback(rest.c_str(), rest.size(), token, user_data);
  });
  if (n_generated != nullptr) *n_generated = generated;
  return status;
}

int32_t ingot_session_sample(ingot_session* session, int32_t* token) {
  return Guard("ingot_session_sample", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(token, "token");
    if (session->logit_rows == 0) Fail(INGOT_ERROR_INVALID_STATE, "nothing evaluated yet: evaluate a prompt first");
    *token = session->sampler->Sample(LastLogits(session), session->history);
  });
}

int32_t ingot_session_cancel(ingot_session* session) {
  return Guard("ingot_session_cancel", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    session->cancel.store(true);
  });
}

int32_t ingot_session_reset(ingot_session* session) {
  return Guard("ingot_session_reset", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    session->session->Reset();
    session->history.clear();
    session->logit_rows = 0;
    session->cancel.store(false);
  });
}

int32_t ingot_session_get_info(const ingot_session* session, ingot_session_info* info) {
  return Guard("ingot_session_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    Require(info, "info");
    RequireSize(info, "info");
    const ingot::Session& s = *session->session;
    info->n_ctx = s.n_ctx();
    info->n_past = s.n_past();
    info->n_threads = s.n_threads();
    info->mode = s.mode() == ingot::Mode::kInt8 ? INGOT_MODE_INT8 : INGOT_MODE_FP32;
    info->kv_cache_bytes = s.kv_cache_bytes();
  });
}

int32_t ingot_session_get_logits(const ingot_session* session, const float** logits, int32_t* n_rows, int32_t* n_vocab) {
  return Guard("ingot_session_get_logits", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    Require(logits, "logits");
    if (session->logit_rows == 0) Fail(INGOT_ERROR_INVALID_STATE, "nothing evaluated yet");
    *logits = session->session->logits();
    if (n_rows != nullptr) *n_rows = session->logit_rows;
    if (n_vocab != nullptr) *n_vocab = session->owner->model->config().n_vocab;
  });
}

int32_t ingot_session_get_logits_int32(const ingot_session* session, const int32_t** logits, int32_t* frac_bits,
                                       int32_t* n_rows, int32_t* n_vocab) {
  return Guard("ingot_session_get_logits_int32", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    Require(logits, "logits");
    if (session->session->mode() != ingot::Mode::kInt8) {
      Fail(INGOT_ERROR_UNSUPPORTED, "integer logits exist in int8 mode only (this session is fp32)");
    }
    if (session->logit_rows == 0) Fail(INGOT_ERROR_INVALID_STATE, "nothing evaluated yet");
    *logits = session->session->logits_q16();
    if (frac_bits != nullptr) *frac_bits = ingot::kLogitFracBits;
    if (n_rows != nullptr) *n_rows = session->logit_rows;
    if (n_vocab != nullptr) *n_vocab = session->owner->model->config().n_vocab;
  });
}

}  // extern "C"
