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

#include "engine/forward/forward_int8.h"  // kLogitFracBits
#include "engine/forward/fp_modules.h"
#include "engine/quant/ingot_gguf.h"
#include "engine/quant/int8_model.h"
#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/llama2c.h"
#include "model_io/model_file.h"
#include "model_io/unicode.h"

struct ingot_model {
  std::unique_ptr<ingot::Model> model;
  std::string fp_modules;  // FpModuleKinds, comma-separated (ingot_model_info points at it)
  std::atomic<int32_t> sessions{0};
};

struct ingot_file {
  std::unique_ptr<ingot::GgufFile> gguf;
  std::unique_ptr<ingot::Llama2cFile> llama2c;
  struct Entry {
    std::string key, type, value;
  };
  std::vector<Entry> metadata;  // GGUF key/values, or the llama2.c header's fields
  const std::vector<ingot::GgufTensorInfo>* tensors = nullptr;
  uint64_t data_offset = 0;
  std::vector<ingot::IngotHashCheck> checks;  // of the last ingot_file_verify (never empty after one)
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

// A struct passed in or filled in: not NULL, and of this library's size.
template <typename T>
void RequireSize(const T* params, const char* name) {
  Require(params, name);
  if (params->struct_size != sizeof(T)) {
    Fail(INGOT_ERROR_STRUCT_SIZE, std::string(name) + "->struct_size is " + std::to_string(params->struct_size) +
                                      ", this library expects " + std::to_string(sizeof(T)) +
                                      " (set it to sizeof, or use the *_params_init function)");
  }
}

void RequireThreads(int32_t n_threads) {
  if (n_threads < 0 || n_threads > kMaxThreads) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_threads must be 0 (all cores) to " + std::to_string(kMaxThreads) + ", got " +
                                           std::to_string(n_threads));
  }
}

ingot::ModelLoadOptions LoadOptions(const ingot_model_params* params) {
  ingot_model_params p;
  ingot_model_params_init(&p);
  if (params != nullptr) {
    RequireSize(params, "params");
    p = *params;
  }
  RequireThreads(p.n_threads);
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
  if (stat(path.c_str(), &st) != 0) Fail(INGOT_ERROR_IO, path + ": cannot open: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) Fail(INGOT_ERROR_IO, path + ": is a directory, not a file");
  if (!S_ISREG(st.st_mode)) Fail(INGOT_ERROR_IO, path + ": not a regular file");
  if (access(path.c_str(), R_OK) != 0) Fail(INGOT_ERROR_IO, path + ": cannot open: " + std::strerror(errno));
}

void Loaded(const ingot::Model& m, double seconds) {
  const ingot::ModelConfig& c = m.config();
  Emit(INGOT_LOG_INFO, "loaded " + m.path() + " (" + m.format() + ", " + c.arch + ", " + std::to_string(c.n_layers) +
                           " layers, vocab " + std::to_string(c.n_vocab) + ") in " + std::to_string(seconds) +
                           " s; kernels " + m.isa_name() + (m.int8() != nullptr ? ", int8 weights ready" : ""));
}

std::unique_ptr<ingot_model> NewModel(std::unique_ptr<ingot::Model> model) {
  auto handle = std::make_unique<ingot_model>();
  for (const std::string& kind : ingot::FpModuleKinds(model->config())) {
    handle->fp_modules += (handle->fp_modules.empty() ? "" : ",") + kind;
  }
  handle->model = std::move(model);
  return handle;
}

bool TiedOutput(const ingot::Model& m) {
  if (!m.has_float_weights()) return m.int8()->output == &m.int8()->token_embd;
  return m.output.data == m.token_embd.data;
}

// The weights a mode computes with, and what one decode step reads of them: every matrix but
// the embedding table, of which it reads one row (unless the table is also the output).
void WeightBytes(const ingot::Model& m, ingot::Mode mode, uint64_t* total, uint64_t* per_token) {
  const bool int8 = mode == ingot::Mode::kInt8;
  const uint64_t embd = int8 ? m.int8()->token_embd.bytes() : (m.token_embd.info != nullptr ? m.token_embd.info->n_bytes : 0);
  *total = int8 ? m.int8()->weight_bytes() : m.weight_bytes();
  *per_token = *total - (TiedOutput(m) ? 0 : embd);
}

template <typename T>
const T& At(const std::vector<T>& items, int64_t index) {
  if (index < 0 || index >= static_cast<int64_t>(items.size())) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "index " + std::to_string(index) + " is out of range [0, " +
                                           std::to_string(items.size()) + ")");
  }
  return items[static_cast<size_t>(index)];
}

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Evaluates tokens; a cancel that arrives meanwhile stops it between two batches. On a cancel
// or an error the context is as before the call (and the logits are gone).
void Eval(ingot_session* s, const int32_t* tokens, int32_t n_tokens, bool all_logits) {
  ingot::Session& session = *s->session;
  if (n_tokens > session.n_ctx() - session.n_past()) {
    Fail(INGOT_ERROR_CONTEXT_FULL, std::to_string(n_tokens) + " tokens do not fit: " + std::to_string(session.n_past()) +
                                       " of n_ctx " + std::to_string(session.n_ctx()) + " are used");
  }
  const int32_t start = session.n_past();
  bool finished = false;
  try {
    finished = session.Eval(tokens, n_tokens, all_logits, &s->cancel);
  } catch (const ingot::Error& e) {
    session.Rewind(start);
    s->logit_rows = 0;
    Fail(INGOT_ERROR_INVALID_ARGUMENT, e.what());
  }
  if (!finished) {
    s->logit_rows = 0;
    Fail(INGOT_ERROR_CANCELLED, "cancelled");
  }
  s->history.insert(s->history.end(), tokens, tokens + n_tokens);
  s->logit_rows = all_logits ? n_tokens : 1;
}

// A cancel that arrived before a call stops it before it starts.
void StopIfCancelled(ingot_session* s) {
  if (s->cancel.exchange(false)) Fail(INGOT_ERROR_CANCELLED, "cancelled");
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
    auto handle = NewModel(ingot::Model::Load(path, options));
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
    auto handle = NewModel(ingot::Model::LoadFromMemory(data, size, name != nullptr ? name : "memory", options));
    Loaded(*handle->model, Now() - start);
    *model = handle.release();
  });
}

int32_t ingot_model_get_info(const ingot_model* model, ingot_model_info* info) {
  return Guard("ingot_model_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(model, "model");
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
    info->head_dim = c.head_dim;
    info->rope_dims = c.rope_dims;
    info->rope_base = c.rope_base;
    info->norm_eps = c.norm_eps;
    info->norm = c.norm == ingot::NormKind::kLayer ? "LayerNorm" : "RMSNorm";
    info->ffn = c.ffn == ingot::FfnKind::kGelu ? "GELU" : "SwiGLU";
    info->tied_output = TiedOutput(m) ? 1 : 0;
    info->n_params = 0;
    for (const ingot::GgufTensorInfo& t : m.tensors()) info->n_params += t.n_elements;
    info->tokenizer = m.tokenizer_source().c_str();
    info->fp_modules = model->fp_modules.c_str();
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
      const std::string limit = "must be 1 to " + std::to_string(n_ctx_train) + " (the model's training context) or INGOT_N_CTX_MODEL";
      Fail(INGOT_ERROR_INVALID_ARGUMENT, p.n_ctx > n_ctx_train ? "n_ctx " + std::to_string(p.n_ctx) + " is larger than the model allows (" +
                                                                     std::to_string(n_ctx_train) + " tokens): n_ctx " + limit
                                                               : "n_ctx " + limit + ", got " + std::to_string(p.n_ctx));
    }
    RequireThreads(p.n_threads);
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
    StopIfCancelled(session);
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
    StopIfCancelled(session);
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
    int32_t last = -1;  // the last token streamed
    Failure stop{INGOT_OK, ""};
    while (generated < max_tokens) {
      if (session->cancel.exchange(false)) {
        stop = {INGOT_ERROR_CANCELLED, "cancelled"};
        break;
      }
      if (s.n_past() >= s.n_ctx()) {
        stop = {INGOT_ERROR_CONTEXT_FULL, "the context is full (n_ctx " + std::to_string(s.n_ctx()) + ")"};
        break;
      }
      const int32_t token = session->sampler->Sample(LastLogits(session), session->history);
      if (token == tokenizer.eos_id()) break;
      Eval(session, &token, 1, false);
      ++generated;
      last = token;
      const std::string piece = stream.Push(tokenizer.TokenToPiece(token));
      // A caller that asked to stop gets nothing more.
      if (callback != nullptr && callback(piece.c_str(), piece.size(), token, user_data) != 0) return;
    }
    // What the tokens so far leave of an unfinished character (U+FFFD), on every other way out.
    const std::string rest = stream.Flush();
    if (!rest.empty() && callback != nullptr) callback(rest.c_str(), rest.size(), last, user_data);
    if (stop.status != INGOT_OK) throw stop;
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
    RequireSize(info, "info");
    const ingot::Session& s = *session->session;
    info->n_ctx = s.n_ctx();
    info->n_past = s.n_past();
    info->n_threads = s.n_threads();
    info->mode = s.mode() == ingot::Mode::kInt8 ? INGOT_MODE_INT8 : INGOT_MODE_FP32;
    info->kv_cache_bytes = s.kv_cache_bytes();
    WeightBytes(*session->owner->model, s.mode(), &info->weight_bytes, &info->weight_bytes_per_token);
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

int32_t ingot_file_open(const char* path, ingot_file** file) {
  return Guard("ingot_file_open", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(path, "path");
    Require(file, "file");
    CheckReadableFile(path);
    auto f = std::make_unique<ingot_file>();
    ingot::ModelFile opened = ingot::OpenModelFile(path);
    if (opened.gguf) {
      f->gguf = std::move(opened.gguf);
      for (const ingot::GgufKeyValue& kv : f->gguf->metadata()) {
        f->metadata.push_back({kv.key, ingot::GgufValueTypeName(kv.value.type), kv.value.ToString()});
      }
      f->tensors = &f->gguf->tensors();
      f->data_offset = f->gguf->data_offset();
    } else {
      f->llama2c = std::move(opened.llama2c);
      const ingot::Llama2cConfig& c = f->llama2c->config();
      for (const auto& [key, value] : {std::pair<const char*, int32_t>{"dim", c.dim}, {"hidden_dim", c.hidden_dim},
                                       {"n_layers", c.n_layers}, {"n_heads", c.n_heads}, {"n_kv_heads", c.n_kv_heads},
                                       {"vocab_size", c.vocab_size}, {"seq_len", c.seq_len}}) {
        f->metadata.push_back({key, "i32", std::to_string(value)});
      }
      f->metadata.push_back({"shared_classifier", "bool", c.shared_classifier ? "true" : "false"});
      f->tensors = &f->llama2c->tensors();
    }
    *file = f.release();
  });
}

int32_t ingot_file_free(ingot_file* file) {
  delete file;
  return INGOT_OK;
}

int32_t ingot_file_get_info(const ingot_file* file, ingot_file_info* info) {
  return Guard("ingot_file_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(info, "info");
    const ingot::GgufFile* g = file->gguf.get();
    info->format = g != nullptr ? "GGUF" : "llama2.c";
    info->version = g != nullptr ? static_cast<int32_t>(g->version()) : 0;
    info->file_size = g != nullptr ? g->file_size() : file->llama2c->file_size();
    info->alignment = g != nullptr ? g->alignment() : 0;
    info->data_offset = file->data_offset;
    info->n_metadata = static_cast<int64_t>(file->metadata.size());
    info->n_tensors = static_cast<int64_t>(file->tensors->size());
    info->has_hashes = g != nullptr && ingot::IsIngotGguf(*g) ? 1 : 0;
  });
}

int32_t ingot_file_get_metadata(const ingot_file* file, int64_t index, ingot_metadata_entry* entry) {
  return Guard("ingot_file_get_metadata", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(entry, "entry");
    const ingot_file::Entry& e = At(file->metadata, index);
    entry->key = e.key.c_str();
    entry->type = e.type.c_str();
    entry->value = e.value.c_str();
  });
}

int32_t ingot_file_get_tensor(const ingot_file* file, int64_t index, ingot_tensor_info* tensor) {
  return Guard("ingot_file_get_tensor", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(tensor, "tensor");
    const ingot::GgufTensorInfo& t = At(*file->tensors, index);
    if (t.dims.size() > INGOT_MAX_DIMS) Fail(INGOT_ERROR_INTERNAL, "tensor '" + t.name + "' has more than 4 dims");
    tensor->name = t.name.c_str();
    tensor->type = ingot::GgmlTypeName(t.type);
    tensor->n_dims = static_cast<int32_t>(t.dims.size());
    for (size_t d = 0; d < INGOT_MAX_DIMS; ++d) tensor->dims[d] = d < t.dims.size() ? t.dims[d] : 1;
    tensor->n_elements = t.n_elements;
    tensor->offset = file->data_offset + t.offset;
    tensor->n_bytes = t.n_bytes;
  });
}

int32_t ingot_file_verify(ingot_file* file, int32_t n_threads, int64_t* n_checks, int64_t* n_failed) {
  return Guard("ingot_file_verify", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(file, "file");
    RequireThreads(n_threads);
    if (file->gguf == nullptr) {
      Fail(INGOT_ERROR_UNSUPPORTED, file->llama2c->path() + ": a llama2.c checkpoint has no hashes "
                                                           "(only ingot GGUF files written by quantize do)");
    }
    if (!ingot::IsIngotGguf(*file->gguf)) {
      Fail(INGOT_ERROR_UNSUPPORTED, file->gguf->path() + ": not an ingot GGUF (no " +
                                        ingot::kIngotFormatVersionKey + " key): only files written by quantize carry hashes");
    }
    file->checks = ingot::CheckIngotHashes(*file->gguf, n_threads);
    const auto failed = std::count_if(file->checks.begin(), file->checks.end(), [](const auto& c) { return !c.ok(); });
    if (n_checks != nullptr) *n_checks = static_cast<int64_t>(file->checks.size());
    if (n_failed != nullptr) *n_failed = static_cast<int64_t>(failed);
  });
}

int32_t ingot_file_get_hash_check(const ingot_file* file, int64_t index, ingot_hash_check* check) {
  return Guard("ingot_file_get_hash_check", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(check, "check");
    if (file->checks.empty()) Fail(INGOT_ERROR_INVALID_STATE, "no checks yet: call ingot_file_verify first");
    const ingot::IngotHashCheck& c = At(file->checks, index);
    check->name = c.name.c_str();
    check->ok = c.ok() ? 1 : 0;
    check->expected = c.expected;
    check->actual = c.actual;
  });
}

int32_t ingot_utf8_check(const char* text, size_t length, int64_t* invalid_offset) {
  return Guard("ingot_utf8_check", INGOT_ERROR_INTERNAL, [&] {
    if (length > 0) Require(text, "text");
    Require(invalid_offset, "invalid_offset");
    const size_t bad = ingot::FindInvalidUtf8(std::string_view(text != nullptr ? text : "", length));
    *invalid_offset = bad == std::string_view::npos ? -1 : static_cast<int64_t>(bad);
  });
}

}  // extern "C"
