// A session: one conversation over a shared, read-only Model (or several, n_seq, each with its
// own KV cache and position: the server's slots, whose next tokens go through the weights in one
// batched step). It owns the logits and one of the two forward passes (engine/forward/: FP32 or
// integer), which owns the KV caches and every buffer it needs, all sized at creation, so
// evaluation allocates nothing.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include <memory>
#include <string>

#include "engine/forward/fp_modules.h"
#include "engine/forward/token_place.h"
#include "engine/model/model.h"

namespace ingot {

// The default context when none is asked for: a 128k-context model would otherwise reserve a
// KV cache of tens of GB up front.
inline constexpr int32_t kDefaultMaxContext = 4096;
// A session whose context comes from the model (n_ctx 0) and whose caller set no max_memory may
// take no more than the model's weights, and at least this: a file's numbers alone (a 1 MB file
// with 4096-wide heads) must not be able to ask for gigabytes.
inline constexpr uint64_t kDefaultSessionFloor = uint64_t{256} << 20;

struct SessionOptions {
  int32_t n_ctx = 0;      // 0: the model's training context, at most kDefaultMaxContext
  int32_t n_threads = 0;  // 0: every core OpenMP sees
  int32_t n_batch = 512;  // tokens per forward call (prompts are split into batches)
  int32_t n_seq = 1;      // sequences, each with a KV cache of n_ctx positions
  bool logits_all = false;  // keep logits for every evaluated token (perplexity), not just the last
  Mode mode = Mode::kFp32;  // kInt8 needs a model loaded with prepare_int8
  std::string fp_modules;   // int8 mode: modules to run in float ("norm,softmax,layer:2"; see fp_modules.h)
  // Bytes the session may take (SessionMemory); 0: the memory available when it is created,
  // and with n_ctx 0 also no more than the larger of the model's weights and kDefaultSessionFloor.
  uint64_t max_memory = 0;
};

// What a session takes besides the model, known before anything is allocated: the KV cache, the
// logits and the other buffers (activations, RoPE tables, attention rows, the escape hatch's
// float state), each counted from the list its pass sizes them from.
struct SessionMemory {
  uint64_t kv_cache = 0;
  uint64_t logits = 0;
  uint64_t buffers = 0;
  uint64_t total() const { return kv_cache + logits + buffers; }
};

class Fp32Forward;
class Int8Forward;

class Session {
 public:
  // Throws ingot::Error when n_ctx exceeds what the model allows, and (kOutOfMemory, before
  // allocating) when it would take more than its limit (SessionOptions::max_memory).
  Session(const Model& model, const SessionOptions& options);
  ~Session();

  // Runs tokens at positions n_past() .. n_past() + n - 1 and appends them to the KV cache.
  // With all_logits, logits() then holds one row per token, else only the last token's row.
  // all_logits needs SessionOptions::logits_all. Throws ingot::Error when the tokens do not
  // fit in the context or an id is out of range. With cancel, a true flag found between two
  // batches (and cleared) stops the call: it returns false with the context as before it
  // (the logits of a logits_all session are then partly overwritten).
  // seq picks the sequence (0 .. n_seq - 1) whose context the tokens extend.
  bool Eval(const int32_t* tokens, int32_t n_tokens, bool all_logits, std::atomic<bool>* cancel = nullptr,
            int32_t seq = 0);
  // One forward pass over tokens of several sequences, at most n_batch: token i extends
  // sequence seqs[i], a sequence's tokens taken in call order at its next positions (a decode
  // step is one token of each; a prompt's batch may ride along). logits() then holds the rows
  // of the wanted tokens (ascending indexes, at most n_seq of them, n_batch with logits_all),
  // in that order, each with the bits Eval would give it. Throws ingot::Error, with nothing
  // run, for a sequence or id out of range, too many tokens or rows, or a sequence whose
  // context cannot take its tokens.
  void EvalBatch(const int32_t* tokens, const int32_t* seqs, int32_t n, LogitRows wanted);
  // What Eval refuses before it computes anything: an id out of range (kInvalidArgument), then
  // tokens that do not fit in the context (kContextFull).
  void CheckTokens(const int32_t* tokens, int32_t n_tokens, int32_t seq = 0) const;
  // kContextFull unless n_tokens more fit in sequence seq's context.
  void CheckFits(int64_t n_tokens, int32_t seq = 0) const;

  // [n_rows, n_vocab] as float (in int8 mode, the Q16 integer logits / 2^16).
  const float* logits() const { return logits_.data(); }
  // int8 mode only: the integer logits, real value * 2^16 [n_rows, n_vocab].
  const int32_t* logits_q16() const { return logits_q16_.data(); }
  Mode mode() const { return mode_; }
  bool logits_all() const { return logits_all_; }
  int32_t n_past(int32_t seq = 0) const { return n_past_[static_cast<size_t>(seq)]; }
  int32_t n_ctx() const { return n_ctx_; }
  int32_t n_seq() const { return static_cast<int32_t>(n_past_.size()); }
  int32_t n_threads() const { return n_threads_; }
  int32_t n_batch() const { return n_batch_; }
  const Model& model() const { return model_; }
  // Forgets every conversation (the KV caches are simply overwritten from position 0).
  void Reset() { std::fill(n_past_.begin(), n_past_.end(), 0); }
  // Forgets every token of sequence seq after the first n (0 <= n <= n_past(seq)).
  void Rewind(int32_t n, int32_t seq = 0) {
    int32_t& past = n_past_[static_cast<size_t>(seq)];
    past = n < 0 ? 0 : (n < past ? n : past);
  }
  // Bytes of the KV cache.
  uint64_t kv_cache_bytes() const;
  // What a session with these options takes, before it is made: n_ctx, n_batch and n_threads
  // as resolved (non-zero).
  static SessionMemory MemoryFor(const ModelConfig& c, const SessionOptions& resolved, const FpModuleSet& fp_modules);

 private:
  // One batch through the network, each token at its place; then the logits' float copy.
  void Forward(const int32_t* tokens, const TokenPlace* places, int32_t n, LogitRows wanted, float* logits);

  const Model& model_;
  int32_t n_ctx_;
  int32_t n_threads_;
  int32_t n_batch_;
  std::vector<int32_t> n_past_;       // [n_seq]
  std::vector<TokenPlace> places_;    // [n_batch] the places of a forward call's tokens
  std::vector<int32_t> rows_;         // 0 .. n_batch - 1: Eval's wanted rows
  std::vector<int32_t> seq_tokens_;   // [n_seq] EvalBatch's tokens per sequence
  bool logits_all_;
  Mode mode_;
  // One of the two forward passes runs, by mode_; each owns its KV cache and scratch.
  std::unique_ptr<Fp32Forward> fp32_;
  std::unique_ptr<FpModules> fp_modules_;  // int8 mode: the modules switched to float, or none
  std::unique_ptr<Int8Forward> int8_;
  std::vector<float> logits_;        // [max(logits_all ? n_ctx : 1, n_seq), n_vocab]
  std::vector<int32_t> logits_q16_;  // int8 mode: the same
};

}  // namespace ingot
