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
  NormKind norm;
  FfnKind ffn;
  bool learned_positions;  // position_embd instead of RoPE
  bool linear_bias;        // a bias on every layer matrix
};

// nullptr for an architecture ingot does not run.
const Architecture* FindArchitecture(std::string_view name);
std::string SupportedArchitectures();  // "llama, gpt2"

// A tensor dimension, read from the config.
enum class Dim : uint8_t { kOne, kDModel, kQDim, kKvDim, kDFfn, kNVocab, kNCtxTrain };
int64_t DimSize(const ModelConfig& config, Dim dim);

// When a matrix exists in a model.
enum class Presence : uint8_t {
  kAlways,
  kGatedFfn,          // SwiGLU only
  kLearnedPositions,  // learned absolute positions only
  kTiedWhenAbsent,    // may be absent from a file, and then the token embedding serves (output)
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

using GlobalMatrix = MatrixSpec<FloatWeights, Int8Weights>;
using LayerMatrix = MatrixSpec<LayerWeights, Int8Layer>;
using GlobalNorm = NormSpec<FloatWeights, Int8Weights>;
using LayerNorm = NormSpec<LayerWeights, Int8Layer>;

// A sublayer in file order: its norm, its matrices, then their biases.
struct Sublayer {
  LayerNorm norm;
  std::span<const LayerMatrix> matrices;
};

// Matrices that a float file may hold as one, their rows stacked in order (gpt2's attn_qkv).
struct FusedMatrix {
  const char* name;  // "attn_qkv"
  std::span<const LayerMatrix* const> parts;
};

struct TensorTable {
  std::span<const GlobalMatrix> inputs;  // token_embd, position_embd
  std::span<const Sublayer> sublayers;   // of every layer: attention, feed-forward
  GlobalNorm output_norm;
  GlobalMatrix output;
  FusedMatrix fused_qkv;
};
const TensorTable& Tensors();

inline constexpr char kWeightSuffix[] = ".weight";
inline constexpr char kBiasSuffix[] = ".bias";
// "token_embd.weight" (layer < 0) or "blk.3.attn_q.bias".
std::string TensorName(int32_t layer, const char* name, const char* suffix);

bool IsPresent(Presence presence, const ModelConfig& config);
inline bool HasNormBias(const ModelConfig& c) { return c.norm == NormKind::kLayer; }
template <typename M>
bool HasBias(const M& m, const ModelConfig& c) {
  return c.linear_bias && m.bias != nullptr;
}

// Calls, in file order, for the tensors of a model with this config:
//   v.Global(const GlobalMatrix&)             token_embd, position_embd (when present)
//   v.Norm(layer, const LayerNorm&)           each sublayer's norm
//   v.Matrix(layer, const LayerMatrix&)       each present matrix of the sublayer
//   v.Bias(layer, const LayerMatrix&)         then each of their biases (linear biases only)
//   v.Norm(const GlobalNorm&)                 output_norm
//   v.Global(const GlobalMatrix&)             output (kTiedWhenAbsent: the visitor decides)
template <typename Visitor>
void VisitTensors(const ModelConfig& c, Visitor&& v) {
  const TensorTable& t = Tensors();
  for (const GlobalMatrix& m : t.inputs) {
    if (IsPresent(m.presence, c)) v.Global(m);
  }
  for (int32_t layer = 0; layer < c.n_layers; ++layer) {
    for (const Sublayer& s : t.sublayers) {
      v.Norm(layer, s.norm);
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
