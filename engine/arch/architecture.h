// Each architecture, described once, as data: its kinds (norm, feed-forward, positions, biases)
// and its tensors (name, shape from the config, matrix or vector, when present). Binding float
// weights, quantizing, reading and writing the ingot GGUF (VisitTensors), sizing the int8
// weights and inspect's tensor use all walk these tables; the configuration's metadata keys are
// in arch/config.h. Adding an
// architecture means an entry here plus forward code only where its math really differs.
//
// A tensor's file name is "<name>.weight" or "<name>.bias", with "blk.<layer>." in front for a
// layer's tensors (llama.cpp's names).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model_types.h"

namespace ingot {

struct Int8Matrix;
struct Int8Norm;
struct Int8Layer;
struct Int8Weights;

struct Architecture {
  const char* name;  // general.architecture
  ArchKinds kinds;   // model_types.h
};

// nullptr for an architecture ingot does not run.
const Architecture* FindArchitecture(std::string_view name);
std::string SupportedArchitectures();  // "llama, gpt2, ..."

// A tensor dimension, read from the config.
enum class Dim : uint8_t { kOne, kDModel, kQDim, kKvDim, kDFfn, kNVocab, kNCtxTrain, kHeadDim, kRopePairs };
int64_t DimSize(const ModelConfig& config, Dim dim);

// When a matrix exists in a model.
enum class Presence : uint8_t {
  kAlways,
  kGatedFfn,          // SwiGLU and GeGLU only
  kLearnedPositions,  // learned absolute positions only
  kTiedWhenAbsent,    // may be absent from a file, and then the token embedding serves (output)
  kQkNorm,            // qk_norm only
  kPostNorms,         // post_norms only
  kOptionalRope,      // RoPE models only, and optional: the visitor looks for it (rope_freqs)
};

// A matrix: its float view and its int8 twin, and, for a layer matrix of an architecture with
// linear biases, the bias of both.
template <typename FloatOwner, typename Int8Owner>
struct MatrixSpec {
  const char* name;  // "attn_q"
  Dim rows, cols;
  Presence presence;
  Weight FloatOwner::*weight;
  Int8Matrix Int8Owner::*int8;
  std::vector<float> FloatOwner::*bias = nullptr;  // nullptr: never a bias
  std::vector<int32_t> Int8Owner::*bias_q16 = nullptr;
};

// A norm: its float weight and (LayerNorm) bias, [d_model] each, and its int8 form.
template <typename FloatOwner, typename Int8Owner>
struct NormSpec {
  const char* name;  // "attn_norm"
  std::vector<float> FloatOwner::*weight;
  std::vector<float> FloatOwner::*bias;
  Int8Norm Int8Owner::*int8;
};

// A float vector that is not a block's norm: a per-head norm weight (with its int8 form), or
// RoPE's frequency factors (int8 nullptr: they become the integer RoPE tables).
template <typename FloatOwner, typename Int8Owner>
struct VectorSpec {
  const char* name;  // "attn_q_norm"
  Dim size;
  Presence presence;
  std::vector<float> FloatOwner::*weight;
  Int8Norm Int8Owner::*int8 = nullptr;
};

using GlobalMatrix = MatrixSpec<FloatWeights, Int8Weights>;
using LayerMatrix = MatrixSpec<LayerWeights, Int8Layer>;
using GlobalNorm = NormSpec<FloatWeights, Int8Weights>;
using LayerNorm = NormSpec<LayerWeights, Int8Layer>;
using GlobalVector = VectorSpec<FloatWeights, Int8Weights>;
using LayerVector = VectorSpec<LayerWeights, Int8Layer>;

// A sublayer in file order: its norm, its other vectors, its matrices, then their biases.
struct Sublayer {
  LayerNorm norm;
  std::span<const LayerVector> vectors;
  std::span<const LayerMatrix> matrices;
};

// Matrices that a float file may hold as one, their rows stacked in order: attn_qkv (gpt2's
// and phi3's files), used when the file has it; and ffn_up holding [ffn_gate; ffn_up] (phi3),
// used when the architecture says so (fused_gate_up).
struct FusedMatrix {
  const char* name;  // "attn_qkv"
  std::span<const LayerMatrix* const> parts;
  bool gate_up = false;  // fused by the architecture (ModelConfig::fused_gate_up), not by the file
};

struct TensorTable {
  std::span<const GlobalMatrix> inputs;  // token_embd, position_embd
  std::span<const GlobalVector> vectors;  // rope_freqs
  std::span<const Sublayer> sublayers;   // of every layer: attention, feed-forward
  GlobalNorm output_norm;
  GlobalMatrix output;
  std::span<const FusedMatrix> fused;
};
const TensorTable& Tensors();

inline constexpr char kWeightSuffix[] = ".weight";
inline constexpr char kBiasSuffix[] = ".bias";
// "token_embd.weight" (layer < 0) or "blk.3.attn_q.bias".
std::string TensorName(int32_t layer, const char* name, const char* suffix);

bool IsPresent(Presence presence, const ModelConfig& config);
// The values a file's RoPE frequency factors (kOptionalRope, rope_freqs) must hold: each at
// least 1 (llama.cpp's converters write >= 1; a smaller one would push a frequency past the
// base's, and 0 would divide by zero). Error naming the file, the tensor and the value.
void CheckRopeFactors(const std::string& path, const std::string& name, const std::vector<float>& factors);
inline bool HasNormBias(const ModelConfig& c) { return c.norm == NormKind::kLayer; }
// Whether m is one of attn_q, attn_k, attn_v (the parts of attn_qkv).
bool IsQkvPart(const LayerMatrix& m);
inline bool HasBias(const LayerMatrix& m, const ModelConfig& c) {
  return m.bias != nullptr && (c.linear_bias || (c.qkv_bias && IsQkvPart(m)));
}

// Calls, in file order, for the tensors of a model with this config:
//   v.Global(const GlobalMatrix&)             token_embd, position_embd (when present)
//   v.Vector(const GlobalVector&)             rope_freqs (RoPE models; kOptionalRope: the visitor decides)
//   v.Norm(layer, const LayerNorm&)           each sublayer's norm
//   v.Vector(layer, const LayerVector&)       its per-head norms (qk_norm)
//   v.Matrix(layer, const LayerMatrix&)       each present matrix of the sublayer
//   v.Bias(layer, const LayerMatrix&)         then each of their biases (HasBias)
//   v.Norm(const GlobalNorm&)                 output_norm
//   v.Global(const GlobalMatrix&)             output (kTiedWhenAbsent: the visitor decides)
template <typename Visitor>
void VisitTensors(const ModelConfig& c, Visitor&& v) {
  const TensorTable& t = Tensors();
  for (const GlobalMatrix& m : t.inputs) {
    if (IsPresent(m.presence, c)) v.Global(m);
  }
  for (const GlobalVector& g : t.vectors) {
    if (IsPresent(g.presence, c)) v.Vector(g);
  }
  for (int32_t layer = 0; layer < c.n_layers; ++layer) {
    for (const Sublayer& s : t.sublayers) {
      v.Norm(layer, s.norm);
      for (const LayerVector& lv : s.vectors) {
        if (IsPresent(lv.presence, c)) v.Vector(layer, lv);
      }
      for (const LayerMatrix& m : s.matrices) {
        if (IsPresent(m.presence, c)) v.Matrix(layer, m);
      }
      for (const LayerMatrix& m : s.matrices) {
        if (IsPresent(m.presence, c) && HasBias(m, c)) v.Bias(layer, m);
      }
    }
  }
  v.Norm(t.output_norm);
  v.Global(t.output);
}

}  // namespace ingot
