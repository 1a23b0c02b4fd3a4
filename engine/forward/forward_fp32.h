// The FP32 reference forward pass (Llama family and gpt2), the twin of Int8Forward. It is the
// oracle every accuracy figure is measured against, so it exists once: Session runs it in fp32
// mode, and the escape hatch's `layer:N` and `kv` (fp_modules.h) call its per-layer and
// attention steps rather than keeping a copy. Every dot product goes through fp32::Dot, so a
// value has the same bits whatever the batch size or thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/forward/token_place.h"
#include "engine/model/model.h"

namespace ingot {

// RoPE's angles for positions 0 .. n_ctx - 1: frequencies and angles in double, stored as float.
// Fp32Forward and the escape hatch's `rope` rotate with these tables.
class RopeTables {
 public:
  RopeTables(const Model& model, int32_t n_ctx);
  // What the tables of n_ctx positions take, before they are made.
  static uint64_t BytesFor(const ModelConfig& c, int32_t n_ctx);
  // Rotates n_heads head rows [n_heads, head_dim] in place by the angles of position pos (of
  // a sliding-window layer's RoPE when local). Nothing without RoPE (rope_dims 0, e.g. gpt2).
  void Rotate(float* heads, int32_t n_heads, int32_t pos, bool local = false) const;

 private:
  int32_t n_pairs_, head_dim_;
  bool neox_;
  std::vector<float> cos_, sin_;  // [n_ctx, rope_dims / 2]; empty without RoPE
  std::vector<float> local_cos_, local_sin_;  // the same for sliding-window layers; empty without
};

// The head of the FP32 pass: the final norm of residual rows x [rows, d_model] into normed
// [rows, d_model], then the output matmul to logits [rows, n_vocab].
// The inputs of a layer's matrices (and of the output matrix), for calibration: what the FP32
// pass shows an observer.
enum class MatrixInput : int32_t {
  kAttn = 0,     // attn_q, attn_k, attn_v: the normed residual
  kAttnOutput,   // attn_output: the attention heads
  kFfn,          // ffn_gate, ffn_up: the normed residual
  kFfnDown,      // ffn_down: the activation (e.g. silu(gate) * up)
  kOutput,       // output (or a tied token_embd): the final normed residual (layer -1)
};
inline constexpr int32_t kMatrixInputCount = 5;

class MatrixInputObserver {
 public:
  virtual ~MatrixInputObserver() = default;
  // n rows of the input [n, its width] of `input` in `layer`.
  virtual void Observe(int32_t layer, MatrixInput input, const float* x, int32_t n) = 0;
};

void OutputLogits(const Model& model, const float* x, int32_t rows, float* normed, float* logits, int32_t n_threads);

class Fp32Forward {
 public:
  // Buffers for up to n_batch tokens per call and a KV cache of n_ctx positions for each of
  // n_seq sequences, sized here. Needs the model's float weights only when a layer or the
  // logits are computed.
  Fp32Forward(const Model& model, int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads);

  // Runs n tokens, each at its place (sequence, position), storing their keys and values there
  // (Int8Forward::Forward's contract). Writes logits [wanted.count, n_vocab] of the wanted
  // rows; logits may be null.
  void Forward(const int32_t* tokens, const TokenPlace* places, int32_t n, LogitRows wanted, float* logits);

  // The steps of Forward, for the escape hatch:
  // residual rows [n_batch, d_model], which Layer reads and updates.
  float* residual() { return x_.data(); }
  // Layer `layer` on residual rows 0 .. n - 1 at their places.
  void Layer(int32_t layer, const TokenPlace* places, int32_t n);
  // Stores one position's key and value [kv_dim] (k after RoPE) in the layer's cache.
  void StoreKv(int32_t layer, TokenPlace place, const float* k, const float* v);
  // Query head `head` q [head_dim] (after RoPE) against the layer's cached positions 0 .. pos
  // of its sequence: out [head_dim] = softmax(q.k / sqrt(head_dim)) . v. scores is the
  // caller's scratch [pos + 1], so calls for different heads may run concurrently.
  void Attend(int32_t layer, int32_t head, TokenPlace place, const float* q, float* scores, float* out) const;
  const RopeTables& rope() const { return rope_; }
  // Shows every matrix input of later Forward calls to observer (nullptr: none). The output
  // matrix's input is shown for the wanted rows only.
  void set_observer(MatrixInputObserver* observer) { observer_ = observer; }

  uint64_t kv_cache_bytes() const;
  // What the float KV caches of n_seq sequences of n_ctx positions take, and what the whole pass
  // takes (KV caches, RoPE tables, buffers), before they are made: the same list the
  // constructor sizes them from.
  static uint64_t KvCacheBytesFor(const ModelConfig& c, int32_t n_seq, int32_t n_ctx);
  static uint64_t BytesFor(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads);

 private:
  // Calls f(&Fp32Forward::buffer_, elements) for every buffer: the one list of their sizes.
  template <typename F>
  static void ForEachBuffer(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads,
                            F&& f);

  void Embed(const int32_t* tokens, const TokenPlace* places, int32_t n);
  void Attention(int32_t layer, const TokenPlace* places, int32_t n);
  // Offset of a place's row in key_cache_ / value_cache_ (a layer's first position with pos 0).
  size_t KvOffset(int32_t layer, TokenPlace place) const;

  const Model& model_;
  const ModelConfig& c_;
  MatrixInputObserver* observer_ = nullptr;
  int32_t n_ctx_, n_threads_;
  float inv_sqrt_head_dim_;
  RopeTables rope_;

  std::vector<float> key_cache_;    // [n_seq, n_layers, n_ctx, kv_dim]
  std::vector<float> value_cache_;  // [n_seq, n_layers, n_ctx, kv_dim]
  std::vector<float> x_;            // [n_batch, d_model] residual stream
  std::vector<float> xb_;           // [n_batch, d_model] normed input of a sublayer
  std::vector<float> q_;            // [n_batch, q_dim]
  std::vector<float> k_;            // [n_batch, kv_dim]
  std::vector<float> v_;            // [n_batch, kv_dim]
  std::vector<float> attn_;         // [n_batch, q_dim] attention output before attn_output
  std::vector<float> branch_;       // [n_batch, d_model] sublayer output
  std::vector<float> gate_;         // [n_batch, d_ffn] SwiGLU only
  std::vector<float> up_;           // [n_batch, d_ffn] up, then the activated hidden layer
  std::vector<float> scores_;       // [n_threads, n_ctx] attention scores, one row per worker
};

}  // namespace ingot
