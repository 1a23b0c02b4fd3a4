// The C API's sessions (ingot_session_*): each one is an ingot::Generator
// (engine/session/generator.h), which evaluates, samples, generates and checks; these
// functions check the C arguments, call it and copy its results out.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/api/guard.h"
#include "engine/api/handles.h"
#include "engine/forward/forward_int8.h"  // kLogitFracBits
#include "engine/session/generator.h"
#include "ingot/ingot.h"

struct ingot_session {
  ingot_model* owner = nullptr;
  std::unique_ptr<ingot::Generator> generator;
};

namespace ingot::api {
namespace {

// The C parameters as the engine's, which checks the values it knows the limits of (n_ctx
// against the model, the mode against its weights, the sampling parameters).
SessionOptions ToSessionOptions(const ingot_session_params& p, int32_t n_ctx_train) {
  // The C API's "the model's" is INGOT_N_CTX_MODEL, the engine's is 0: a 0 here is no size.
  if (p.n_ctx != INGOT_N_CTX_MODEL && p.n_ctx < 1) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_ctx must be 1 to " + std::to_string(n_ctx_train) +
                                           " (the model's training context) or INGOT_N_CTX_MODEL, got " +
                                           std::to_string(p.n_ctx));
  }
  RequireThreads(p.n_threads);
  if (p.mode != INGOT_MODE_INT8 && p.mode != INGOT_MODE_FP32) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "mode must be INGOT_MODE_INT8 or INGOT_MODE_FP32, got " + std::to_string(p.mode));
  }
  SessionOptions options;
  options.n_ctx = p.n_ctx == INGOT_N_CTX_MODEL ? 0 : p.n_ctx;
  options.n_threads = p.n_threads;
  options.logits_all = p.logits_all != 0;
  options.mode = p.mode == INGOT_MODE_INT8 ? Mode::kInt8 : Mode::kFp32;
  options.fp_modules = p.fp_modules != nullptr ? p.fp_modules : "";
  options.max_memory = p.max_memory;
  return options;
}

// The sampling fields of the C parameters and of the engine's, paired once for both directions.
template <typename F>
void ForEachSamplingField(F&& field) {
  field(&ingot_session_params::temperature, &SamplerParams::temperature);
  field(&ingot_session_params::top_k, &SamplerParams::top_k);
  field(&ingot_session_params::top_p, &SamplerParams::top_p);
  field(&ingot_session_params::repeat_penalty, &SamplerParams::repeat_penalty);
  field(&ingot_session_params::repeat_last_n, &SamplerParams::repeat_last_n);
  field(&ingot_session_params::seed, &SamplerParams::seed);
}

SamplerParams ToSamplerParams(const ingot_session_params& p) {
  SamplerParams sampling;
  ForEachSamplingField([&](auto c, auto engine) { sampling.*engine = p.*c; });
  return sampling;
}

// The engine's defaults into the C parameters.
void SetSamplingDefaults(ingot_session_params& p) {
  const SamplerParams defaults;
  ForEachSamplingField([&](auto c, auto engine) { p.*c = defaults.*engine; });
}

}  // namespace
}  // namespace ingot::api


extern "C" {

int32_t ingot_session_params_init(ingot_session_params* params) {
  return Guard("ingot_session_params_init", INGOT_ERROR_INTERNAL, [&] {
    ResetParams(params);
    params->n_ctx = INGOT_N_CTX_MODEL;
    params->mode = INGOT_MODE_INT8;
    ingot::api::SetSamplingDefaults(*params);
  });
}

int32_t ingot_session_create(ingot_model* model, const ingot_session_params* params, ingot_session** session) {
  return Guard("ingot_session_create", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(model, "model");
    Require(session, "session");
    const ingot_session_params p = ParamsOrDefaults(params, ingot_session_params_init);
    const ingot::Model& m = *model->model;
    auto handle = std::make_unique<ingot_session>();
    handle->generator = std::make_unique<ingot::Generator>(m, ingot::api::ToSessionOptions(p, m.config().n_ctx_train),
                                                           ingot::api::ToSamplerParams(p));
    handle->owner = model;
    model->sessions.fetch_add(1);
    *session = handle.release();
  });
}

int32_t ingot_session_free(ingot_session* session) {
  return Guard("ingot_session_free", INGOT_ERROR_INTERNAL, [&] {
    if (session == nullptr) return;
    if (!session->generator->ClaimForDestruction()) Fail(INGOT_ERROR_BUSY, "the session is busy: another call on it is running");
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
    CopyTokens(session->generator->model().tokenizer().Encode(text, add_bos != 0), tokens, capacity, n_tokens);
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
        session->generator->model().tokenizer().Decode(std::vector<int32_t>(tokens, tokens + n_tokens));
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
    session->generator->Eval(tokens, n_tokens);
  });
}

int32_t ingot_session_eval_prompt(ingot_session* session, const char* text) {
  return Guard("ingot_session_eval_prompt", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(text, "text");
    session->generator->EvalPrompt(text);
  });
}

int32_t ingot_session_generate(ingot_session* session, int32_t max_tokens, ingot_token_callback callback,
                               void* user_data, int32_t* n_generated) {
  int32_t generated = 0;
  const int32_t status = Guard("ingot_session_generate", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    ingot::Generator::OnPiece on_piece;
    if (callback != nullptr) {
      on_piece = [&](const std::string& piece, int32_t token) {
        return callback(piece.c_str(), piece.size(), token, user_data) == 0;
      };
    }
    session->generator->Generate(max_tokens, on_piece, &generated);
  });
  if (n_generated != nullptr) *n_generated = generated;
  return status;
}

int32_t ingot_session_sample(ingot_session* session, int32_t* token) {
  return Guard("ingot_session_sample", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    Require(token, "token");
    *token = session->generator->Sample();
  });
}

int32_t ingot_session_cancel(ingot_session* session) {
  return Guard("ingot_session_cancel", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    session->generator->Cancel();
  });
}

int32_t ingot_session_add_stop_token(ingot_session* session, int32_t token) {
  return Guard("ingot_session_add_stop_token", INGOT_ERROR_INVALID_ARGUMENT, [&] {
    Require(session, "session");
    session->generator->AddStopToken(token);
  });
}

int32_t ingot_session_reset(ingot_session* session) {
  return Guard("ingot_session_reset", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    session->generator->Reset();
  });
}

int32_t ingot_session_get_info(const ingot_session* session, ingot_session_info* info) {
  return Guard("ingot_session_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    RequireSize(info, "info");
    const ingot::Session& s = session->generator->session();
    info->n_ctx = s.n_ctx();
    info->n_past = session->generator->n_past();
    info->n_threads = s.n_threads();
    info->mode = s.mode() == ingot::Mode::kInt8 ? INGOT_MODE_INT8 : INGOT_MODE_FP32;
    info->kv_cache_bytes = s.kv_cache_bytes();
    info->weight_bytes = s.model().WeightBytes(s.mode());
    info->weight_bytes_per_token = s.model().WeightBytesPerToken(s.mode());
  });
}

int32_t ingot_session_get_logits(const ingot_session* session, const float** logits, int32_t* n_rows, int32_t* n_vocab) {
  return Guard("ingot_session_get_logits", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    Require(logits, "logits");
    const ingot::Generator& g = *session->generator;
    *logits = g.Logits(n_rows);
    if (n_vocab != nullptr) *n_vocab = g.model().config().n_vocab;
  });
}

int32_t ingot_session_get_logits_int32(const ingot_session* session, const int32_t** logits, int32_t* frac_bits,
                                       int32_t* n_rows, int32_t* n_vocab) {
  return Guard("ingot_session_get_logits_int32", INGOT_ERROR_INTERNAL, [&] {
    Require(session, "session");
    Require(logits, "logits");
    const ingot::Generator& g = *session->generator;
    *logits = g.LogitsQ16(n_rows);
    if (frac_bits != nullptr) *frac_bits = ingot::kLogitFracBits;
    if (n_vocab != nullptr) *n_vocab = g.model().config().n_vocab;
  });
}

}  // extern "C"
