// The FP escape hatch: float versions of the integer path's modules, switched on per module at
// run time (--fp-modules) to trade speed for accuracy or to measure what each integer
// approximation costs (perplexity --sensitivity). The integer forward pass calls these through
// integer-only signatures; all float stays in fp_modules.cpp and the FP32 forward pass
// (forward_fp32.h), whose layer, attention and RoPE tables `layer:N`, `kv` and `rope` run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "kernels/dyadic.h"

namespace ingot {

// Which modules run in float. `norm` RMSNorm; `rope` RoPE; `act` SiLU(gate) * up (Gemma: the GELU
// of gelu(gate) * up); `softmax` the
// attention core (scores, softmax, P.V) on the int8 q, k, v; `kv` q, k, v kept at full precision
// instead of int8 (so the attention core is float too); `lm_head` the final norm and the output
// matmul (float weights); `layer:N` the whole layer N with float weights. A gpt2 model names its
// norm and act modules `layernorm` (LayerNorm with bias) and `gelu` (GELU), and has no `rope`.
struct FpModuleSet {
  bool norm = false, rope = false, act = false, softmax = false, kv = false, lm_head = false;
  std::vector<bool> layers;  // [n_layers]
  bool gpt2_names = false;   // norm, act are spelled layernorm, gelu (ToString)

  bool any() const;
  bool any_layer() const;  // some layer:N
  // kv or a float layer: the modules keep a float KV cache (for one sequence).
  bool float_kv_cache() const { return kv || any_layer(); }
  std::string ToString() const;
};

// "norm,softmax,layer:3" -> the set; "" -> none. Throws ingot::Error for an unknown name or a
// layer out of range.
FpModuleSet ParseFpModules(const std::string& list, int32_t n_layers);
// The same with the module names of the model's architecture: for gpt2 `layernorm` and `gelu`
// stand for norm and act, and `norm`, `act`, `rope` are unknown.
FpModuleSet ParseFpModules(const std::string& list, const ModelConfig& config);
// The module kinds of an architecture, in the order perplexity --sensitivity lists them.
std::vector<std::string> FpModuleKinds(const ModelConfig& config);

class Fp32Forward;
class RopeTables;

// Which norm of the model: attention (layer), FFN (layer), or the final one.
enum class NormSite { kAttention, kFfn, kOutput };

class FpModules {
 public:
  // n_ctx sizes the float KV caches of float layers and of the `kv` module.
  FpModules(const Model& model, const FpModuleSet& set, int32_t n_ctx);
  ~FpModules();
  // What those modules' float state (the one-token FP32 pass, or the RoPE tables) takes, before
  // it is made.
  static uint64_t BytesFor(const ModelConfig& c, const FpModuleSet& set, int32_t n_ctx);
  const FpModuleSet& set() const { return set_; }

  // The model's norm (RMSNorm or LayerNorm) of one residual row (real = x * x_scale) -> int8 row
  // + its scale; with q_low, two planes as kernels::ref::QuantizeRowS32ToS8Pair makes them
  // (real ~= (kPairRadix * q + q_low) * q_scale).
  void NormQuantize(NormSite site, int32_t layer, const int32_t* x, kernels::Dyadic x_scale, int8_t* q,
                    int8_t* q_low, kernels::Dyadic* q_scale) const;
  // RoPE on n_heads Q16 head rows at position pos, in place (a sliding-window layer's when local).
  void Rope(int32_t* x_q16, int32_t n_heads, int32_t pos, bool local) const;
  // gate = silu(gate) * up, Q16, in place.
  void SwiGlu(int32_t* gate_q16, const int32_t* up_q16, int64_t count) const;
  // x = gelu(x) (tanh form, as the FP32 path), Q16, in place.
  void Gelu(int32_t* x_q16, int64_t count) const;
  // The attention core on the integer cache: dots [n] = q . k[p] = 255 high[p] + low[p], or
  // high[p] when low is null (exact int32 dots of the int8 q with the key's planes, scales
  // q_scale and k_scale [n]), values
  // [n, head_dim] interleaved by 4 rows (kernels/ref/weighted_sum.h) with scales [n]: out
  // [head_dim] in Q16.
  // The first n_masked positions are outside a sliding window: they take no part.
  void AttendInt8(const int32_t* high, const int32_t* low, kernels::Dyadic q_scale, const kernels::Dyadic* k_scale,
                  const int8_t* values, const kernels::Dyadic* v_scale, int32_t n, int32_t n_masked,
                  int32_t* out_q16) const;
  // `kv`: store one position's k, v (Q16, [kv_dim]) in the float cache of a layer, and attend
  // with a Q16 query head over positions 0..pos.
  void StoreKv(int32_t layer, int32_t pos, const int32_t* k_q16, const int32_t* v_q16);
  void AttendFloatKv(int32_t layer, int32_t head, int32_t pos, const int32_t* q_q16, int32_t* out_q16) const;
  // `lm_head`: the final norm and the output matmul in float, from a residual row (real =
  // x * x_scale) to logits [n_vocab] in Q16.
  void LmHead(const int32_t* x, kernels::Dyadic x_scale, int32_t* logits_q16) const;
  // `layer:N`: runs layer `layer` in float on one residual row at position pos; the row comes
  // back as int32 with a new scale.
  void Layer(int32_t layer, int32_t pos, int32_t* x, kernels::Dyadic* x_scale);

 private:
  const Model& model_;
  FpModuleSet set_;
  // `kv` and `layer:N`: the FP32 forward pass for one token, with its own float KV cache
  // [n_layers, n_ctx, kv_dim] (a layer is either float or `kv`, never both).
  std::unique_ptr<Fp32Forward> fp32_;
  std::unique_ptr<RopeTables> own_rope_;  // `rope` without fp32_
  const RopeTables* rope_ = nullptr;      // fp32_'s tables, or own_rope_
  std::vector<float> kv_;                 // [2, kv_dim] one position's k, v for StoreKv
};

}  // namespace ingot
