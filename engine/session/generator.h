// Generation over one Session: the tokens in the context (the repetition penalty's history),
// the sampler, the logit rows the last evaluation left, and a cancel flag that any thread may
// set. What the C API's session does, in C++ where it can be tested.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"

namespace ingot {

// One thread at a time: every method but Cancel claims the generator for its call, and a call
// from another thread meanwhile (or from on_piece, inside Generate) fails at once with kBusy.
class Generator {
 public:
  // Called with each piece of generated text (whole UTF-8 characters only, so it may be
  // empty) and the token just sampled; returns false to stop generating.
  using OnPiece = std::function<bool(const std::string& piece, int32_t token)>;

  // Throws ingot::Error for options the Session or the Sampler refuses.
  Generator(const Model& model, const SessionOptions& session, const SamplerParams& sampling);

  // Appends tokens to the context and runs them; the logits of the last one (of every one,
  // with SessionOptions::logits_all) are then available. Errors (ingot::Error's kind):
  // kInvalidArgument (no tokens, an id out of range) and kContextFull (they do not fit)
  // change nothing, a pending cancel included; kCancelled when a cancel was pending or arrived between two batches, and
  // any other error, leave the context as before the call and no logits.
  void Eval(const int32_t* tokens, int32_t n_tokens);

  // Tokenizes text (with BOS when the context is empty and the tokenizer asks for it) and
  // evaluates it as Eval does, keeping only the last token's logits. Empty text:
  // kInvalidArgument.
  void EvalPrompt(std::string_view text);

  // Samples up to max_tokens tokens from the current logits, evaluating each and streaming
  // its text to on_piece (may be empty). Ends at the end-of-text token or a stop token (not
  // passed on, not evaluated), after
  // max_tokens, or when on_piece returns false; throws kContextFull when the context fills up
  // first and kCancelled after Cancel(), the tokens so far kept. Unless on_piece asked to
  // stop, the bytes of an unfinished character reach it last, as U+FFFD. *n_generated counts
  // the tokens generated, however the call ends. Needs a prior evaluation (kInvalidState).
  void Generate(int32_t max_tokens, const OnPiece& on_piece, int32_t* n_generated);

  // One token sampled from the current logits (no evaluation); kInvalidState before any.
  int32_t Sample();

  // Generate also ends at token (a chat template's end of turn, say); an id out of the
  // vocabulary is kInvalidArgument.
  void AddStopToken(int32_t token);

  // Asks the running (or next) Eval, EvalPrompt or Generate to stop with kCancelled before it
  // evaluates another token. Safe from any thread, at any time.
  void Cancel() { cancel_.store(true); }

  // Empties the context and clears a pending cancel; the sampler's random state continues.
  void Reset();

  // The last evaluation's logits [*rows, n_vocab] (rows may be null): kInvalidState before any.
  const float* Logits(int32_t* rows = nullptr) const;
  // The integer logits (real value * 2^kLogitFracBits), laid out as Logits(); kUnsupported
  // in fp32 mode, then kInvalidState before any evaluation.
  const int32_t* LogitsQ16(int32_t* rows = nullptr) const;
  // The positions in the context.
  int32_t n_past() const;
  // Unclaimed reads, for the thread that is using the generator.
  int32_t logit_rows() const { return logit_rows_; }

  // Claims the generator for good before it is destroyed: false when a call is under way.
  bool ClaimForDestruction() { return !busy_.exchange(true); }

  const Session& session() const { return session_; }
  const Model& model() const { return session_.model(); }

 private:
  class Claim;
  void StopIfCancelled();
  void RequireLogits() const;
  void Run(const int32_t* tokens, int32_t n_tokens, bool all_logits);
  const float* LastLogits() const;

  Sampler sampler_;  // first: bad sampling parameters are refused before the KV cache is allocated
  Session session_;
  std::vector<int32_t> history_;  // the tokens in the context, for the repetition penalty
  std::vector<int32_t> stop_tokens_;  // besides EOS
  int32_t logit_rows_ = 0;        // rows of logits the last evaluation left (0: none)
  std::atomic<bool> cancel_{false};
  mutable std::atomic<bool> busy_{false};  // a call holds the generator
};

}  // namespace ingot
