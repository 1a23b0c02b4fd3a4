// Writing an ingot GGUF: the float model's matrices quantized with QuantizeWeight (exactly as
// --mode int8 does in memory), in the architecture's tensor order, with their hashes.
#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "engine/arch/architecture.h"
#include "engine/arch/config.h"
#include "engine/model/model.h"
#include "engine/quant/calibration.h"
#include "engine/quant/code_quantizer.h"
#include "engine/quant/ingot_gguf.h"
#include "model_io/error.h"

namespace ingot {

namespace {


// A llama2.c checkpoint's sentencepiece model, stored twice: its bytes verbatim (what ingot
// loads, so tokenization stays exact even where its normalizer differs from llama's, e.g.
// stories260K's tok512.model removes extra whitespace) and as the tokenizer.ggml.* keys
// llama.cpp's llama2.c converter writes (so GGUF tools see the vocabulary).
std::vector<GgufKeyValue> SpmTokenizerKeys(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  sentencepiece::SentencePieceProcessor sp;
  const auto status = sp.LoadFromSerializedProto(bytes);
  if (!file || !status.ok()) throw Error(path + ": cannot load the sentencepiece model: " + status.message());
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int id = 0; id < sp.GetPieceSize(); ++id) {
    tokens.push_back(sp.IdToPiece(id));
    scores.push_back(sp.GetScore(id));
    // llama.cpp token types: 1 normal, 2 unknown, 3 control, 5 unused, 6 byte.
    types.push_back(sp.IsUnknown(id) ? 2 : sp.IsControl(id) ? 3 : sp.IsUnused(id) ? 5 : sp.IsByte(id) ? 6 : 1);
  }
  std::vector<GgufKeyValue> keys;
  keys.push_back({"tokenizer.ggml.model", GgufValue::String("llama")});
  keys.push_back({"tokenizer.ggml.tokens", GgufValue::StringArray(std::move(tokens))});
  keys.push_back({"tokenizer.ggml.scores", GgufValue::F32Array(std::move(scores))});
  keys.push_back({"tokenizer.ggml.token_type", GgufValue::I32Array(std::move(types))});
  const std::pair<const char*, int> ids[] = {{"tokenizer.ggml.bos_token_id", sp.bos_id()},
                                             {"tokenizer.ggml.eos_token_id", sp.eos_id()},
                                             {"tokenizer.ggml.unknown_token_id", sp.unk_id()},
                                             {"tokenizer.ggml.padding_token_id", sp.pad_id()}};
  for (const auto& [key, id] : ids) {
    if (id >= 0) keys.push_back({key, GgufValue::U32(static_cast<uint32_t>(id))});
  }
  keys.push_back({"tokenizer.ggml.add_bos_token", GgufValue::Bool(true)});  // as Tokenizer::FromFile
  GgufValue model_bytes;
  model_bytes.type = GgufValueType::kArray;
  model_bytes.elem_type = GgufValueType::kU8;
  model_bytes.ints.assign(bytes.begin(), bytes.end());
  for (int64_t& b : model_bytes.ints) b &= 0xff;  // char may be signed
  keys.push_back({kIngotSpmModelKey, std::move(model_bytes)});
  return keys;
}

// One tensor of the output file in the table's order: a float matrix to quantize, or a float
// vector (a norm weight or bias) written as F32.
struct Entry {
  std::string name;
  const Weight* matrix = nullptr;
  const std::vector<float>* vector = nullptr;
};

// Walks the architecture's tensors (VisitTensors) into the list of entries.
struct Lister {
  const Model& model;
  std::vector<Entry>& entries;

  void Global(const GlobalMatrix& m) {
    if (m.presence == Presence::kTiedWhenAbsent && model.tied_output()) return;  // the output matrix
    entries.push_back({TensorName(-1, m.name, kWeightSuffix), &(model.*m.weight)});
  }
  void Matrix(int32_t layer, const LayerMatrix& m) {
    entries.push_back({TensorName(layer, m.name, kWeightSuffix), &(Layer(layer).*m.weight)});
  }
  void Bias(int32_t layer, const LayerMatrix& m) {
    entries.push_back({TensorName(layer, m.name, kBiasSuffix), nullptr, &(Layer(layer).*m.bias)});
  }
  void Vector(const GlobalVector& v) { AddVector(-1, v, model); }
  void Vector(int32_t layer, const LayerVector& v) { AddVector(layer, v, Layer(layer)); }
  void Norm(const GlobalNorm& n) { AddNorm(-1, n, model); }
  void Norm(int32_t layer, const LayerNorm& n) { AddNorm(layer, n, Layer(layer)); }

  const LayerWeights& Layer(int32_t layer) const { return model.layers[static_cast<size_t>(layer)]; }
  template <typename Owner, typename Spec>
  void AddVector(int32_t layer, const Spec& v, const Owner& owner) {
    const std::vector<float>& values = owner.*v.weight;
    if (!values.empty()) entries.push_back({TensorName(layer, v.name, kWeightSuffix), nullptr, &values});  // optional: absent stays absent
  }
  template <typename Owner, typename Spec>
  void AddNorm(int32_t layer, const Spec& n, const Owner& owner) {
    entries.push_back({TensorName(layer, n.name, kWeightSuffix), nullptr, &(owner.*n.weight)});
    if (HasNormBias(model.config())) entries.push_back({TensorName(layer, n.name, kBiasSuffix), nullptr, &(owner.*n.bias)});
  }
};

struct Tensor {
  GgufTensorInfo info;
  const void* data;
};

void AddTensor(std::vector<Tensor>& tensors, std::string name, GgmlType type, std::vector<uint64_t> dims,
               const void* data, uint64_t n_bytes) {
  Tensor t{{}, data};
  t.info.name = std::move(name);
  t.info.type = type;
  t.info.dims = std::move(dims);
  t.info.n_bytes = n_bytes;
  tensors.push_back(std::move(t));
}

// An int8 matrix as its three tensors: packed data, row sums, (m, e) scales.
void AddInt8Matrix(std::vector<Tensor>& tensors, const std::string& name, const Int8Matrix& m) {
  const auto n_pad = static_cast<uint64_t>(m.packed.n_pad);
  const auto k_pad = static_cast<uint64_t>(m.packed.k_pad);
  const auto n = static_cast<uint64_t>(m.packed.n);
  AddTensor(tensors, name, GgmlType::kI8, {k_pad, n_pad}, m.packed.data, k_pad * n_pad);
  AddTensor(tensors, name + kRowSumsSuffix, GgmlType::kI32, {n_pad}, m.packed.row_sums, n_pad * sizeof(int32_t));
  AddTensor(tensors, name + kScaleSuffix, GgmlType::kI32, {2, n}, m.scale, n * sizeof(kernels::Dyadic));
}

// A code matrix as its tensors (group zeros only when asymmetric) and its ingot.codes key.
void AddCodeMatrix(std::vector<Tensor>& tensors, std::vector<GgufKeyValue>& metadata, const std::string& name,
                   const Int8Matrix& m) {
  const kernels::PackedCodes& c = m.codes;
  const auto n_pad = static_cast<uint64_t>(c.n_pad);
  const auto row_bytes = static_cast<uint64_t>(c.k_pad) * static_cast<uint64_t>(c.bits) / 8;
  const auto groups = static_cast<uint64_t>(c.groups());
  const auto n = static_cast<uint64_t>(c.n);
  AddTensor(tensors, name, GgmlType::kI8, {row_bytes, n_pad}, c.data, row_bytes * n_pad);
  AddTensor(tensors, name + kGroupScalesSuffix, GgmlType::kI8, {groups, n_pad}, c.scales, groups * n_pad);
  if (c.zeros != nullptr) AddTensor(tensors, name + kGroupZerosSuffix, GgmlType::kI8, {groups, n_pad}, c.zeros, groups * n_pad);
  AddTensor(tensors, name + kScaleSuffix, GgmlType::kI32, {2, n}, m.scale, n * sizeof(kernels::Dyadic));
  GgufValue format;
  format.type = GgufValueType::kArray;
  format.elem_type = GgufValueType::kU32;
  format.ints = {c.bits, c.group};
  metadata.push_back({kIngotCodesKeyPrefix + name, std::move(format)});
}

}  // namespace

QuantizeSummary WriteIngotGguf(const Model& model, const std::string& out_path, const WeightFormats& formats,
                               const InputMoments* moments, int32_t n_threads,
                               const std::function<void(const QuantizeProgress&)>& progress) {
  const ModelConfig& c = model.config();
  if (model.gguf() != nullptr && IsIngotGguf(*model.gguf())) {
    throw Error(model.path() + ": already an int8 model written by quantize");
  }
  if (!model.has_float_weights()) throw Error(model.path() + ": the model has no float weights to quantize");

  // Metadata first (the tokenizer may fail); the hashes are appended once the data exists.
  std::vector<GgufKeyValue> metadata = {{"general.architecture", GgufValue::String(c.arch)}};
  if (const GgufFile* src = model.gguf()) {
    // The input's descriptive general.* keys (name, license, ...).
    for (const GgufKeyValue& kv : src->metadata()) {
      // Not the keys that describe the input's layout or float types.
      const bool general = kv.key.starts_with("general.") && kv.key != "general.architecture" &&
                           kv.key != "general.alignment" && kv.key != "general.file_type" &&
                           kv.key != "general.quantization_version";
      if (general) metadata.push_back(kv);
    }
  }
  metadata.push_back({"general.alignment", GgufValue::U32(static_cast<uint32_t>(kernels::kPackAlignment))});
  for (GgufKeyValue& kv : ConfigKeys(c)) metadata.push_back(std::move(kv));
  if (const GgufFile* src = model.gguf()) {
    for (const GgufKeyValue& kv : src->metadata()) {
      if (kv.key.starts_with("tokenizer.")) metadata.push_back(kv);
    }
  } else {
    for (GgufKeyValue& kv : SpmTokenizerKeys(model.tokenizer_source())) metadata.push_back(std::move(kv));
  }
  metadata.push_back({kIngotFormatVersionKey, GgufValue::U32(formats.all_int8() ? kFormatVersion : kFormatVersionCodes)});
  metadata.push_back({kIngotWeightLayoutKey, GgufValue::String(kWeightLayout)});
  const std::string what = formats.all_int8() ? "int8 symmetric per-output-channel weights, dyadic scales"
                                              : "weights: " + formats.Describe() + " (codes in groups, dyadic row scales)";
  metadata.push_back({"ingot.quantization", GgufValue::String(what)});
  metadata.push_back({"ingot.source", GgufValue::String(std::filesystem::path(model.path()).filename().string())});

  // The tensors in the table's order; the output matrix only when it is not tied to
  // token_embd. A fused attn_qkv (gpt2) is written as its three parts, which are quantized per
  // row anyway.
  std::vector<Entry> entries;
  VisitTensors(c, Lister{model, entries});
  int32_t n_matrices = 0;
  for (const Entry& e : entries) n_matrices += e.matrix != nullptr ? 1 : 0;

  // Quantize everything first: the tensor hashes go into the header, which precedes the data.
  std::vector<Int8Matrix> quantized;
  quantized.reserve(static_cast<size_t>(n_matrices));
  std::vector<Tensor> tensors;
  for (const Entry& e : entries) {
    if (e.vector != nullptr) {
      const std::vector<float>& v = *e.vector;
      AddTensor(tensors, e.name, GgmlType::kF32, {v.size()}, v.data(), v.size() * sizeof(float));
      continue;
    }
    const int32_t index = static_cast<int32_t>(quantized.size()) + 1;
    if (progress) progress({index, n_matrices, e.name, e.matrix->rows, e.matrix->cols});
    const CodeFormat f = formats.For(e.name);
    if (f.per_channel()) {
      quantized.push_back(QuantizeWeight(*e.matrix, n_threads));
      AddInt8Matrix(tensors, e.name, quantized.back());
    } else {
      quantized.push_back(QuantizeWeightCodes(*e.matrix, f, moments != nullptr ? moments->For(e.name) : nullptr, n_threads));
      AddCodeMatrix(tensors, metadata, e.name, quantized.back());
    }
  }

  const std::vector<uint64_t> hashes = HashTensors(static_cast<int64_t>(tensors.size()), n_threads > 0 ? n_threads : 1, [&](int64_t i) {
    const Tensor& t = tensors[static_cast<size_t>(i)];
    return TensorBytes{t.data, t.info.n_bytes};
  });
  metadata.push_back({kIngotTensorHashKey, GgufValue::U64Array(hashes)});
  std::vector<GgufTensorInfo> infos;
  for (const Tensor& t : tensors) infos.push_back(t.info);
  metadata.push_back({kIngotMetadataHashKey, GgufValue::U64(IngotMetadataHash(metadata, infos))});

  if (progress) progress({n_matrices, n_matrices, out_path, 0, 0, true});
  GgufWriter writer(static_cast<uint32_t>(kernels::kPackAlignment));
  for (GgufKeyValue& kv : metadata) writer.Set(std::move(kv.key), std::move(kv.value));
  for (const Tensor& t : tensors) writer.AddTensor(t.info.name, t.info.type, t.info.dims, t.data);
  writer.Write(out_path);

  QuantizeSummary summary;
  summary.n_matrices = n_matrices;
  summary.n_tensors = static_cast<int32_t>(tensors.size());
  for (const Int8Matrix& m : quantized) {
    summary.matrix_bytes += m.bytes();
    summary.matrix_weights += static_cast<uint64_t>(m.rows()) * static_cast<uint64_t>(m.cols());
  }
  summary.bytes_out = std::filesystem::file_size(out_path);
  return summary;
}

}  // namespace ingot
