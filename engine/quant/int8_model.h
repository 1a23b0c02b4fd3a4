// The integer model: every matrix as per-channel int8 + dyadic scales (packed for the kernels),
// norm weights as int32 with a shift and a dyadic scale, and the model's float constants
// (epsilon, 1/sqrt(head_dim), RoPE frequencies) turned into integers once. Building it is model
// preparation and may use float; the integer forward pass (forward_int8.cpp) sees only this.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model/model_types.h"
#include "engine/quant/int8_matrix.h"
#include "engine/quant/weight_format.h"
#include "kernels/dyadic.h"

namespace ingot {

// out[i] = z[i] * gamma[i] / 2^gamma_shift (+ beta[i]) for the Q16 normalized z; real scale of
// out: out_scale. beta (LayerNorm only) is already in out_scale's units: the normalized row's
// scale does not depend on the input's, so beta can be quantized once, at load.
struct Int8Norm {
  std::vector<int32_t> gamma;  // [d_model]
  std::vector<int32_t> beta;   // [d_model] LayerNorm with bias; empty for RMSNorm
  int32_t gamma_shift = 15;
  kernels::Dyadic out_scale;   // gamma's scale * 2^(gamma_shift - 16)
};

struct Int8Layer {
  Int8Norm attn_norm;
  Int8Norm attn_q_norm, attn_k_norm;  // [head_dim] each, qk_norm only
  Int8Matrix attn_q, attn_k, attn_v, attn_output;
  Int8Norm attn_post_norm;  // post_norms only
  Int8Norm ffn_norm;
  Int8Norm ffn_post_norm;   // post_norms only
  Int8Matrix ffn_gate, ffn_up, ffn_down;  // ffn_gate empty for a GELU feed-forward (gpt2)
  // Biases (gpt2; empty for llama), Q16 int32 (round(b * 2^16)): q, k, v and up are added to the
  // Q16 matmul outputs; attn_output and ffn_down are brought to the residual's per-token scale.
  std::vector<int32_t> attn_q_bias, attn_k_bias, attn_v_bias, attn_output_bias, ffn_up_bias, ffn_down_bias;
  // q, k, v and gate, up stacked by rows, each part a view into these (FuseInt8Layers): one
  // matmul instead of three or two. Empty (packed.data null) when a part's rows are not a
  // multiple of kernels::kPackRows.
  Int8Matrix attn_qkv, ffn_gate_up;
};

// The integer model. Its tensors are the architecture's (arch/architecture.h), whose table
// names each member here next to its float twin.
struct Int8Weights {
  Int8Matrix token_embd;                 // [n_vocab, d_model]
  Int8Matrix position_embd;              // [n_ctx_train, d_model]; learned positions only (gpt2)
  std::vector<Int8Layer> layers;
  Int8Norm output_norm;
  Int8Matrix output_storage;             // empty when tied
  const Int8Matrix* output = nullptr;    // &output_storage or &token_embd
  kernels::Dyadic norm_eps;              // real epsilon
  kernels::Dyadic inv_sqrt_head_dim;     // 1 / sqrt(head_dim)
  std::vector<uint64_t> rope_freq_turns_q64;  // [rope_dims / 2]: 2^64 * theta_i / (2 pi), factors applied
  std::vector<uint64_t> rope_local_turns_q64;  // the same for sliding-window layers (empty: none)
  kernels::Dyadic embed_scale;           // sqrt(d_model) (embed_scale), else 1

  uint64_t weight_bytes() const;  // packed int8 data + scales + row sums
  // Points output at output_storage, or at token_embd when the model has no output matrix of
  // its own (tied: the table's kTiedWhenAbsent).
  void SetOutput() { output = output_storage.rows() > 0 ? &output_storage : &token_embd; }
};

// The model's matrices with their file names, in the architecture's order (the output only
// when it is not token_embd).
std::vector<std::pair<std::string, const Int8Matrix*>> Int8Matrices(const ModelConfig& config, const Int8Weights& w);

// Builds every layer's attn_qkv and ffn_gate_up (the parts' storage moves into them).
void FuseInt8Layers(Int8Weights& w);

// Quantizes a float model in memory (for --mode int8 on a float file): every matrix in the form
// `formats` gives it (per-channel int8 with QuantizeWeight, codes with QuantizeWeightCodes),
// norms and biases with SetInt8NormsAndBiases.
std::unique_ptr<Int8Weights> QuantizeModel(const ModelConfig& config, const FloatWeights& weights,
                                           const WeightFormats& formats, int32_t n_threads);

// Converts a float norm weight vector (and a LayerNorm's bias, when not empty) to Int8Norm
// (15-bit gamma, beta in the output's units).
Int8Norm MakeInt8Norm(const std::vector<float>& gamma, const std::vector<float>& beta = {});

// A float bias vector as Q16 int32 (round(b * 2^16), saturated); empty stays empty.
std::vector<int32_t> MakeQ16Bias(const std::vector<float>& bias);
// Every norm (MakeInt8Norm) and layer bias (MakeQ16Bias) of the model from its float vectors.
void SetInt8NormsAndBiases(const ModelConfig& config, const FloatWeights& src, Int8Weights& dst);

// The model constants every Int8Weights carries (epsilon, 1/sqrt(head_dim), RoPE frequencies,
// divided by the model's frequency factors when it has them).
void SetInt8Constants(const ModelConfig& config, const FloatWeights& vectors, Int8Weights& weights);

}  // namespace ingot
