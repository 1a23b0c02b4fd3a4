// The integer-only forward pass (Llama family and gpt2). Integers only: this file and forward_int8.cpp
// hold no float or double (a test disassembles the object and checks).
//
// Scales travel as dyadics (kernels/dyadic.h), per token:
//   residual stream   int32 [T, d_model] with a dyadic scale per token (rescaled by a shift
//                     when it grows past 2^29, so adds never overflow)
//   matmul inputs     int8 in [-127, 127] with a dyadic scale per token (dynamic quantization)
//   matmul outputs    int32; real = acc * s_x[t] * s_w[n], brought to Q16 (real * 2^16) or to
//                     the residual's scale by one requantization (row and column multipliers)
//   q, k, v           Q16 -> RoPE (Q30 tables) -> int8 per (token, head) with a dyadic scale
//                     (keys of heads up to 16 wide: ~15 bits as two int8 planes, int8_kv_cache.h)
//   attention         int32 scores -> Q16 -> softmax (cubic exp) -> u16 probabilities -> P.V
//   logits            int32, Q16 (real logit * 2^16)
// gpt2 (config data, not a separate pass): token + position rows aligned on the larger of the
// two scales at embedding; LayerNorm with beta in the output's units; Q16 biases added to q, k,
// v and up, and brought to the residual's scale for attn_output and ffn_down; GELU (tanh form,
// integer sigmoid) on Q16; no RoPE.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "engine/forward/fp_modules.h"
#include "engine/forward/int8_kv_cache.h"
#include "engine/forward/token_place.h"
#include "engine/quant/int8_model.h"
#include "kernels/kernel_table.h"

namespace ingot {

inline constexpr int32_t kLogitFracBits = 16;  // int8-mode logits are real * 2^16
// The longest context the integer attention is proven for: its P.V weights sum to at most
// 65535 + n, which times 127 stays below 2^31 up to n = 2^24 (forward_int8.cpp), and the
// softmax's sum of exponentials fits 64 bits up to there (kernels/ref/softmax.h).
inline constexpr int32_t kMaxInt8Context = 1 << 24;

class Int8Forward {
 public:
  // KV caches for n_seq sequences of n_ctx positions each; logits for up to n_batch rows with
  // logits_all, else up to n_seq (one per sequence of a decode step). fp: the escape hatch's
  // float modules, or nullptr; its float layers and KV cache hold one sequence (n_seq 1).
  Int8Forward(const ModelConfig& config, const Int8Weights& weights, const kernels::KernelTable& table,
              int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads, bool logits_all, FpModules* fp);

  // Runs n tokens (at most n_batch), each at its place (its sequence's KV cache, its position),
  // storing their keys and values there. A token sees its sequence's positions up to its own,
  // those of earlier tokens of the call included: each row's bits do not depend on what else is
  // in the call. Writes Q16 logits [wanted.count, n_vocab] of the wanted rows (at most n_batch
  // with logits_all, else n_seq); logits may be null.
  void Forward(const int32_t* tokens, const TokenPlace* places, int32_t n, LogitRows wanted, int32_t* logits);

  uint64_t kv_cache_bytes() const { return kv_.bytes(); }
  // What the buffers of a pass with these sizes take besides the KV cache, before they are made:
  // the same list the constructor sizes them from (ForEachBuffer).
  static uint64_t BufferBytesFor(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch,
                                 int32_t n_threads, bool logits_all);

 private:
  // Calls f(&Int8Forward::buffer_, elements) for every buffer: the one list of their sizes.
  template <typename F>
  static void ForEachBuffer(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads,
                            bool logits_all, F&& f);

  void Embed(const int32_t* tokens, const TokenPlace* places, int32_t n);
  void NormQuantize(const Int8Norm& norm, NormSite site, int32_t layer, int32_t n);
  void Normalize(const Int8Norm& norm, int32_t t, int32_t* out);
  void Logits(int32_t rows, int32_t* logits);
  kernels::Dyadic QuantizeHead(const int32_t* x, int8_t* high, int8_t* low);
  // What act_ holds: per-token int8 rows, or grouped rows (kernels/grouped_s8.h: a power-of-two
  // sub-scale per 32 inputs, with act_shifts_ and act_sums_), which only ffn_down reads.
  enum class ActLayout { kPerToken, kGrouped };
  void MatMul(const Int8Matrix& w, int32_t n, int32_t* acc, ActLayout layout = ActLayout::kPerToken);
  kernels::CodeInput CodeRows(const kernels::PackedCodes& w, int32_t n, bool grouped);
  void ToQ16(const int32_t* acc, int64_t ld_acc, const Int8Matrix& w, int32_t n, int32_t* out);
  void MatMulQ16(const Int8Matrix& fused, std::initializer_list<std::pair<const Int8Matrix*, int32_t*>> parts, int32_t n);
  void AddBiasQ16(const std::vector<int32_t>& bias, int32_t n, int32_t* out);
  void AddToResidual(const Int8Matrix& w, const std::vector<int32_t>& bias, int32_t n, ActLayout layout,
                     const Int8Norm* post_norm = nullptr);
  void RmsNormQ16(const Int8Norm& norm, int32_t* x, int32_t n, kernels::Dyadic unit, int32_t* scratch);
  void HeadNorm(const Int8Norm& norm, int32_t* heads, int32_t n_heads);
  void Attention(const Int8Layer& weights, int32_t layer, const TokenPlace* places, int32_t n);
  void AttendGroup(int32_t layer, int32_t t, int32_t g, TokenPlace place, int32_t worker, int32_t* out_q16);
  int32_t ThreadsFor(int64_t work) const;  // n_threads_, or 1 when the work is too small to share
  void QuantizeRows(const int32_t* x, int32_t n, int32_t cols, kernels::Dyadic frac_scale);
  void QuantizeRowsGrouped(const int32_t* x, int32_t n, int32_t cols, kernels::Dyadic frac_scale);

  const ModelConfig& c_;
  const Int8Weights& w_;
  const kernels::KernelTable& kt_;
  int32_t n_ctx_, n_batch_, n_threads_;
  FpModules* fp_;  // the modules switched to float, or nullptr (all integer)

  std::vector<int32_t> rope_cos_, rope_sin_;  // [n_ctx, rope_dims / 2] Q30
  std::vector<int32_t> rope_local_cos_, rope_local_sin_;  // the same for sliding-window layers
  Int8KvCache kv_;                 // [n_seq, n_layers, n_kv_heads] heads of n_ctx positions
  kernels::Dyadic eps_q16_;        // the norms' epsilon in (2^-16)^2 units: for Q16 rows
  std::vector<int8_t> k8_, k8_low_, v8_;  // [head_dim] one KV head's key planes and value before they are stored
  std::vector<int32_t> head_;             // [head_dim] a head's normalized row (qk_norm)

  std::vector<int32_t> residual_;           // [n_batch, d_model]
  std::vector<kernels::Dyadic> res_scale_;  // [n_batch]
  std::vector<int32_t> wide_;               // [n_batch, max(d_model, d_ffn, q_dim)] normed row / Q16 values
  std::vector<int8_t> act_;                 // [n_batch, max(...)] int8 matmul input
  std::vector<int8_t> pos8_;                // [d_model] one position row (learned positions)
  std::vector<kernels::Dyadic> act_scale_;  // [n_batch]
  std::vector<uint8_t> act_shifts_;         // [n_batch, ActGroupCount(d_ffn)] grouped rows' shifts
  std::vector<int32_t> act_sums_;           // [n_batch] grouped rows' sums
  std::vector<int32_t> act_group_sums_;     // [n_batch (2 kLogitChunk for the logits), ActGroupCount(widest)] sums of 32 inputs
  std::vector<int32_t> act_group_pairs_;    // [as act_group_sums_, CodePairCount(widest, 32)] their pairs (CodeGroupPairs)
  std::vector<int32_t> acc_;                // matmul accumulators: [n_batch, widest] or [logit rows, n_vocab]
  std::vector<int32_t> q16_, k16_, v16_;    // [n_batch, q_dim / kv_dim] Q16
  std::vector<int8_t> q8_, q8_low_;         // [n_batch, n_heads, head_dim]; q8_low_ for small heads only
  std::vector<kernels::Dyadic> q8_scale_;   // [n_batch, n_heads]
  std::vector<int32_t> gate_, up_;          // [n_batch, d_ffn] Q16 (gate_ unused by GELU)
  std::vector<kernels::Dyadic> row_mult_;   // [n_batch] per-row requantization multipliers
  // Per-worker attention scratch: [group, n_ctx] scores (then P.V weights), the dots with the
  // keys' low plane, the dots of the queries' low plane (small heads), u16 probabilities;
  // [n_ctx] value-scale factors.
  std::vector<int32_t> scores_, scores_low_, scores_q_low_;
  std::vector<uint16_t> probs_;
  std::vector<kernels::Dyadic> factors_;
};

}  // namespace ingot
