#include "engine/quant/ingot_gguf.h"

#include <sentencepiece_processor.h>
#include <xxhash.h>


#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "engine/quant/int8_matrix.h"
#include "kernels/parallel.h"
#include "model_io/error.h"
#include "model_io/tokenizer.h"

namespace ingot {

// The scale tensors are Dyadic arrays read in place from the mapped file.
static_assert(sizeof(kernels::Dyadic) == 2 * sizeof(int32_t) && std::is_standard_layout_v<kernels::Dyadic>);

namespace {

constexpr uint32_t kFormatVersion = 1;
constexpr char kWeightLayout[] = "block16x4";
constexpr char kQuantization[] = "int8 symmetric per-output-channel weights, dyadic scales";

std::string Hex(uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(v));
  return text;
}

// XXH3-64 fed piece by piece with the GGUF encoding of what it is given.
class HeaderHasher {
 public:
  HeaderHasher() : state_(XXH3_createState()) {
    if (state_ == nullptr) throw Error("cannot allocate an XXH3 state");
    XXH3_64bits_reset(state_);
  }
  ~HeaderHasher() { XXH3_freeState(state_); }
  HeaderHasher(const HeaderHasher&) = delete;
  HeaderHasher& operator=(const HeaderHasher&) = delete;

  void Bytes(const void* data, size_t n) { XXH3_64bits_update(state_, data, n); }
  template <typename T>
  void Scalar(T v) {
    Bytes(&v, sizeof(v));
  }
  void String(const std::string& s) {
    Scalar<uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  void Integer(GgufValueType type, int64_t v) {
    switch (type) {
      case GgufValueType::kU8: case GgufValueType::kBool: Scalar(static_cast<uint8_t>(v)); break;
      case GgufValueType::kI8: Scalar(static_cast<int8_t>(v)); break;
      case GgufValueType::kU16: Scalar(static_cast<uint16_t>(v)); break;
      case GgufValueType::kI16: Scalar(static_cast<int16_t>(v)); break;
      case GgufValueType::kU32: Scalar(static_cast<uint32_t>(v)); break;
      case GgufValueType::kI32: Scalar(static_cast<int32_t>(v)); break;
      default: Scalar(v); break;  // u64 (same bits), i64
    }
  }
  void Float(GgufValueType type, double v) {
    if (type == GgufValueType::kF32) {
      Scalar(static_cast<float>(v));
    } else {
      Scalar(v);
    }
  }
  void ArrayBody(const GgufValue& value) {
    Scalar(static_cast<uint32_t>(value.elem_type));
    Scalar<uint64_t>(value.ArraySize());
    switch (value.elem_type) {
      case GgufValueType::kString:
        for (const std::string& s : value.strings) String(s);
        break;
      case GgufValueType::kArray:
        for (const GgufValue& sub : value.arrays) ArrayBody(sub);
        break;
      case GgufValueType::kF32: case GgufValueType::kF64:
        for (const double v : value.floats) Float(value.elem_type, v);
        break;
      default:
        for (const int64_t v : value.ints) Integer(value.elem_type, v);
        break;
    }
  }
  void KeyValue(const GgufKeyValue& kv) {
    String(kv.key);
    Scalar(static_cast<uint32_t>(kv.value.type));
    switch (kv.value.type) {
      case GgufValueType::kArray: ArrayBody(kv.value); break;
      case GgufValueType::kString: String(kv.value.string_value); break;
      case GgufValueType::kF32: case GgufValueType::kF64: Float(kv.value.type, kv.value.float_value); break;
      default: Integer(kv.value.type, kv.value.int_value); break;
    }
  }
  uint64_t Digest() const { return XXH3_64bits_digest(state_); }

 private:
  XXH3_state_t* state_;
};

// ---- loading ----

const GgufTensorInfo& RequireShaped(const GgufFile& g, const std::string& name, GgmlType type,
                                    const std::vector<uint64_t>& dims) {
  const GgufTensorInfo& t = g.RequireTensor(name);
  if (t.type != type || t.dims != dims) {
    auto shape = [](const std::vector<uint64_t>& d) {
      std::string s = "[";
      for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
      return s + "]";
    };
    throw Error(g.path() + ": tensor '" + name + "' is " + GgmlTypeName(t.type) + " " + shape(t.dims) + ", expected " +
                GgmlTypeName(type) + " " + shape(dims));
  }
  const uint8_t* data = g.TensorData(t);
  if (reinterpret_cast<uintptr_t>(data) % kernels::kPackAlignment != 0) {
    throw Error(g.path() + ": tensor '" + name + "' is not " + std::to_string(kernels::kPackAlignment) +
                "-byte aligned (general.alignment " + std::to_string(g.alignment()) + ")");
  }
  return t;
}

// Matrix `name` [n, k]: the packed data copied into a huge-page WeightBuffer (the mapping's
// pages are released as it goes), row sums and scales read in place.
Int8Matrix MatrixView(const GgufFile& g, const std::string& name, int32_t n, int32_t k) {
  if (k > kernels::kMaxK) {
    throw Error(g.path() + ": tensor '" + name + "' has " + std::to_string(k) +
                " columns, more than the int8 kernels take (" + std::to_string(kernels::kMaxK) + ")");
  }
  const int64_t n_pad = kernels::PackedS8RowSumCount(n);
  const int64_t k_pad = kernels::PackedS8DataBytes(n, k) / n_pad;
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const GgufTensorInfo& data = RequireShaped(g, name, GgmlType::kI8, {u(k_pad), u(n_pad)});
  const GgufTensorInfo& sums = RequireShaped(g, name + ".row_sums", GgmlType::kI32, {u(n_pad)});
  const GgufTensorInfo& scale = RequireShaped(g, name + ".scale", GgmlType::kI32, {2, u(n)});
  Int8Matrix m;
  m.packed_storage = WeightBuffer(data.n_bytes);
  std::memcpy(m.packed_storage.data(), g.TensorData(data), data.n_bytes);
  g.ReleaseTensorPages(data);
  m.packed.data = m.packed_storage.data();
  m.packed.row_sums = reinterpret_cast<const int32_t*>(g.TensorData(sums));
  m.packed.n = n;
  m.packed.k = k;
  m.packed.n_pad = static_cast<int32_t>(n_pad);
  m.packed.k_pad = static_cast<int32_t>(k_pad);
  m.scale = reinterpret_cast<const kernels::Dyadic*>(g.TensorData(scale));
  // The forward pass assumes normalized scales (DyadicFromDouble's output); say so here rather
  // than compute garbage from a file that was edited and re-hashed.
  for (int32_t r = 0; r < n; ++r) {
    const kernels::Dyadic d = m.scale[r];
    if (!(d.m == 0 && d.e == 0) && d.m < kernels::kDyadicOne) {
      throw Error(g.path() + ": tensor '" + name + ".scale' row " + std::to_string(r) + " holds (" +
                  std::to_string(d.m) + ", " + std::to_string(d.e) + "), not a normalized dyadic");
    }
  }
  return m;
}

std::vector<float> NormVector(const GgufFile& g, const std::string& name, int32_t n) {
  const GgufTensorInfo& t = RequireShaped(g, name, GgmlType::kF32, {static_cast<uint64_t>(n)});
  std::vector<float> values(static_cast<size_t>(n));
  DequantizeRow(GgmlType::kF32, g.TensorData(t), values.data(), n);
  return values;
}

// ---- writing ----

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

// The <arch>.* keys llama.cpp writes for the architecture, plus <arch>.vocab_size.
std::vector<GgufKeyValue> ConfigKeys(const ModelConfig& c) {
  const auto u32 = [](int32_t v) { return GgufValue::U32(static_cast<uint32_t>(v)); };
  const std::string a = c.arch + ".";
  std::vector<GgufKeyValue> keys = {
      {a + "vocab_size", u32(c.n_vocab)},
      {a + "context_length", u32(c.n_ctx_train)},
      {a + "embedding_length", u32(c.d_model)},
      {a + "block_count", u32(c.n_layers)},
      {a + "feed_forward_length", u32(c.d_ffn)},
      {a + "attention.head_count", u32(c.n_heads)},
      {a + "attention.head_count_kv", u32(c.n_kv_heads)},
  };
  if (c.norm == NormKind::kLayer) {
    keys.push_back({a + "attention.layer_norm_epsilon", GgufValue::F32(c.norm_eps)});
  } else {
    keys.push_back({a + "attention.layer_norm_rms_epsilon", GgufValue::F32(c.norm_eps)});
  }
  if (c.rope_dims > 0) {
    keys.push_back({a + "rope.freq_base", GgufValue::F32(c.rope_base)});
    keys.push_back({a + "rope.dimension_count", u32(c.rope_dims)});
  }
  if (c.head_dim != c.d_model / c.n_heads) keys.push_back({a + "attention.key_length", u32(c.head_dim)});
  return keys;
}

}  // namespace

bool IsIngotGguf(const GgufFile& gguf) { return gguf.Find(kIngotFormatVersionKey) != nullptr; }

uint64_t IngotMetadataHash(const std::vector<GgufKeyValue>& metadata, const std::vector<GgufTensorInfo>& tensors) {
  HeaderHasher h;
  for (const GgufKeyValue& kv : metadata) {
    if (kv.key != kIngotMetadataHashKey) h.KeyValue(kv);
  }
  for (const GgufTensorInfo& t : tensors) {
    h.String(t.name);
    h.Scalar(static_cast<uint32_t>(t.dims.size()));
    for (const uint64_t d : t.dims) h.Scalar(d);
    h.Scalar(static_cast<uint32_t>(t.type));
  }
  return h.Digest();
}

std::vector<IngotHashCheck> CheckIngotHashes(const GgufFile& gguf, int32_t n_threads) {
  const std::string& path = gguf.path();
  const GgufValue* metadata_hash = gguf.Find(kIngotMetadataHashKey);
  if (metadata_hash == nullptr || metadata_hash->type != GgufValueType::kU64) {
    throw Error(path + ": missing u64 key '" + kIngotMetadataHashKey + "' (not a complete ingot GGUF)");
  }
  const GgufValue* tensor_hashes = gguf.Find(kIngotTensorHashKey);
  const std::vector<GgufTensorInfo>& tensors = gguf.tensors();
  if (tensor_hashes == nullptr || tensor_hashes->type != GgufValueType::kArray ||
      tensor_hashes->elem_type != GgufValueType::kU64 || tensor_hashes->ints.size() != tensors.size()) {
    throw Error(path + ": key '" + kIngotTensorHashKey + "' is missing or is not a u64 array of " +
                std::to_string(tensors.size()) + " hashes, one per tensor");
  }
  std::vector<IngotHashCheck> checks(tensors.size() + 1);
  checks[0] = {"metadata", IngotMetadataHash(gguf.metadata(), tensors), static_cast<uint64_t>(metadata_hash->int_value)};
  const int64_t n = static_cast<int64_t>(tensors.size());
  // One pass over the mapped bytes, no copy; tensors are independent, so threads split them.
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads > 0 ? n_threads : kernels::DefaultThreadCount())
  for (int64_t i = 0; i < n; ++i) {
    const GgufTensorInfo& t = tensors[static_cast<size_t>(i)];
    checks[static_cast<size_t>(i) + 1] = {t.name, XXH3_64bits(gguf.TensorData(t), t.n_bytes),
                                          static_cast<uint64_t>(tensor_hashes->ints[static_cast<size_t>(i)])};
    gguf.ReleaseTensorPages(t);  // hashed once: keep RSS at the weights actually loaded
  }
  return checks;
}

void VerifyIngotGguf(const GgufFile& g, int32_t n_threads) {
  const std::string& path = g.path();
  const std::optional<int64_t> version = g.GetInt(kIngotFormatVersionKey);
  if (version != kFormatVersion) {
    throw Error(path + ": ingot.format_version " + (version ? std::to_string(*version) : "?") +
                " is not supported (this build reads version " + std::to_string(kFormatVersion) + ")");
  }
  for (const IngotHashCheck& check : CheckIngotHashes(g, n_threads)) {
    if (!check.ok()) {
      throw Error(path + ": " + (check.name == "metadata" ? std::string("metadata") : "tensor '" + check.name + "'") +
                  " is corrupted (XXH3-64 " + Hex(check.actual) + " expected " + Hex(check.expected) + ")");
    }
  }
  const std::string layout = g.GetString("ingot.weight_layout").value_or("");
  if (layout != kWeightLayout) {
    throw Error(path + ": ingot.weight_layout '" + layout + "' is not supported (expected '" + kWeightLayout + "')");
  }
}

std::unique_ptr<Int8Weights> LoadIngotWeights(const GgufFile& g, const ModelConfig& c, std::vector<LayerWeights>& layers,
                                              std::vector<float>& output_norm, std::vector<float>& output_norm_bias) {
  // The F32 vectors (norms, biases) go both to the float layers (for the FP escape hatch) and,
  // converted as in-memory quantization converts them, to the integer layers.
  const bool layer_norm = c.norm == NormKind::kLayer;
  auto vector = [&](const std::string& name, int32_t n, bool present) {
    return present ? NormVector(g, name, n) : std::vector<float>();
  };
  auto w = std::make_unique<Int8Weights>();
  w->token_embd = MatrixView(g, "token_embd.weight", c.n_vocab, c.d_model);
  if (c.learned_positions) w->position_embd = MatrixView(g, "position_embd.weight", c.n_ctx_train, c.d_model);
  w->layers.resize(static_cast<size_t>(c.n_layers));
  layers.assign(static_cast<size_t>(c.n_layers), LayerWeights{});
  for (int32_t l = 0; l < c.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    Int8Layer& layer = w->layers[static_cast<size_t>(l)];
    LayerWeights& f = layers[static_cast<size_t>(l)];
    f.attn_norm = NormVector(g, p + "attn_norm.weight", c.d_model);
    f.attn_norm_bias = vector(p + "attn_norm.bias", c.d_model, layer_norm);
    f.ffn_norm = NormVector(g, p + "ffn_norm.weight", c.d_model);
    f.ffn_norm_bias = vector(p + "ffn_norm.bias", c.d_model, layer_norm);
    f.attn_q_bias = vector(p + "attn_q.bias", c.q_dim(), c.linear_bias);
    f.attn_k_bias = vector(p + "attn_k.bias", c.kv_dim(), c.linear_bias);
    f.attn_v_bias = vector(p + "attn_v.bias", c.kv_dim(), c.linear_bias);
    f.attn_output_bias = vector(p + "attn_output.bias", c.d_model, c.linear_bias);
    f.ffn_up_bias = vector(p + "ffn_up.bias", c.d_ffn, c.linear_bias);
    f.ffn_down_bias = vector(p + "ffn_down.bias", c.d_model, c.linear_bias);
    layer.attn_norm = MakeInt8Norm(f.attn_norm, f.attn_norm_bias);
    layer.attn_q = MatrixView(g, p + "attn_q.weight", c.q_dim(), c.d_model);
    layer.attn_k = MatrixView(g, p + "attn_k.weight", c.kv_dim(), c.d_model);
    layer.attn_v = MatrixView(g, p + "attn_v.weight", c.kv_dim(), c.d_model);
    layer.attn_output = MatrixView(g, p + "attn_output.weight", c.d_model, c.q_dim());
    layer.ffn_norm = MakeInt8Norm(f.ffn_norm, f.ffn_norm_bias);
    if (c.ffn == FfnKind::kSwiGlu) layer.ffn_gate = MatrixView(g, p + "ffn_gate.weight", c.d_ffn, c.d_model);
    layer.ffn_up = MatrixView(g, p + "ffn_up.weight", c.d_ffn, c.d_model);
    layer.ffn_down = MatrixView(g, p + "ffn_down.weight", c.d_model, c.d_ffn);
    SetQ16Biases(f, layer);
  }
  output_norm = NormVector(g, "output_norm.weight", c.d_model);
  output_norm_bias = vector("output_norm.bias", c.d_model, layer_norm);
  w->output_norm = MakeInt8Norm(output_norm, output_norm_bias);
  if (g.FindTensor("output.weight") != nullptr) {
    w->output_storage = MatrixView(g, "output.weight", c.n_vocab, c.d_model);
    w->output = &w->output_storage;
  } else {
    w->output = &w->token_embd;
  }
  SetInt8Constants(c, *w);
  FuseInt8Layers(*w);
  return w;
}

std::unique_ptr<Tokenizer> LoadIngotTokenizer(const GgufFile& g) {
  const std::optional<std::vector<int64_t>> model_bytes = g.GetIntArray(kIngotSpmModelKey);
  if (!model_bytes) return Tokenizer::FromGguf(g);
  std::string bytes(model_bytes->size(), '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((*model_bytes)[i]);
  return Tokenizer::FromSerializedModel(bytes, g.path() + ": key '" + kIngotSpmModelKey + "'");
}

QuantizeSummary WriteIngotGguf(const Model& model, const std::string& out_path, int32_t n_threads,
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
  metadata.push_back({kIngotFormatVersionKey, GgufValue::U32(kFormatVersion)});
  metadata.push_back({"ingot.weight_layout", GgufValue::String(kWeightLayout)});
  metadata.push_back({"ingot.quantization", GgufValue::String(kQuantization)});
  metadata.push_back({"ingot.source", GgufValue::String(std::filesystem::path(model.path()).filename().string())});

  // The matrices in file order; the output matrix only when it is not tied to token_embd. A
  // fused attn_qkv (gpt2) is written as its three parts, which are quantized per row anyway.
  std::vector<std::pair<std::string, const Weight*>> matrices = {{"token_embd.weight", &model.token_embd}};
  if (c.learned_positions) matrices.push_back({"position_embd.weight", &model.position_embd});
  for (size_t l = 0; l < model.layers.size(); ++l) {
    const LayerWeights& lw = model.layers[l];
    const std::string p = "blk." + std::to_string(l) + ".";
    matrices.push_back({p + "attn_q.weight", &lw.attn_q});
    matrices.push_back({p + "attn_k.weight", &lw.attn_k});
    matrices.push_back({p + "attn_v.weight", &lw.attn_v});
    matrices.push_back({p + "attn_output.weight", &lw.attn_output});
    if (c.ffn == FfnKind::kSwiGlu) matrices.push_back({p + "ffn_gate.weight", &lw.ffn_gate});
    matrices.push_back({p + "ffn_up.weight", &lw.ffn_up});
    matrices.push_back({p + "ffn_down.weight", &lw.ffn_down});
  }
  const bool tied = model.output.data == model.token_embd.data;
  if (!tied) matrices.push_back({"output.weight", &model.output});

  // Quantize everything first: the tensor hashes go into the header, which precedes the data.
  std::vector<Int8Matrix> quantized;
  quantized.reserve(matrices.size());
  for (size_t i = 0; i < matrices.size(); ++i) {
    const auto& [name, weight] = matrices[i];
    if (progress) progress({static_cast<int32_t>(i + 1), static_cast<int32_t>(matrices.size()), name, weight->rows, weight->cols});
    quantized.push_back(QuantizeWeight(*weight, n_threads));
  }

  struct Tensor {
    GgufTensorInfo info;
    const void* data;
  };
  std::vector<Tensor> tensors;
  auto add = [&](std::string name, GgmlType type, std::vector<uint64_t> dims, const void* data, uint64_t n_bytes) {
    Tensor t{{}, data};
    t.info.name = std::move(name);
    t.info.type = type;
    t.info.dims = std::move(dims);
    t.info.n_bytes = n_bytes;
    tensors.push_back(std::move(t));
  };
  size_t next_matrix = 0;  // matrices are added in the order they were listed
  auto add_matrix = [&]() {
    const size_t index = next_matrix++;
    const std::string& name = matrices[index].first;
    const Int8Matrix& m = quantized[index];
    const auto n_pad = static_cast<uint64_t>(m.packed.n_pad);
    const auto k_pad = static_cast<uint64_t>(m.packed.k_pad);
    const auto n = static_cast<uint64_t>(m.packed.n);
    add(name, GgmlType::kI8, {k_pad, n_pad}, m.packed.data, k_pad * n_pad);
    add(name + ".row_sums", GgmlType::kI32, {n_pad}, m.packed.row_sums, n_pad * sizeof(int32_t));
    add(name + ".scale", GgmlType::kI32, {2, n}, m.scale, n * sizeof(kernels::Dyadic));
  };
  // Norm weights and biases stay F32 vectors (none written when empty).
  auto add_vector = [&](const std::string& name, const std::vector<float>& values) {
    if (!values.empty()) add(name, GgmlType::kF32, {values.size()}, values.data(), values.size() * sizeof(float));
  };
  add_matrix();  // token_embd
  if (c.learned_positions) add_matrix();
  for (size_t l = 0; l < model.layers.size(); ++l) {
    const LayerWeights& lw = model.layers[l];
    const std::string p = "blk." + std::to_string(l) + ".";
    add_vector(p + "attn_norm.weight", lw.attn_norm);
    add_vector(p + "attn_norm.bias", lw.attn_norm_bias);
    for (int i = 0; i < 4; ++i) add_matrix();  // attn_q, attn_k, attn_v, attn_output
    add_vector(p + "attn_q.bias", lw.attn_q_bias);
    add_vector(p + "attn_k.bias", lw.attn_k_bias);
    add_vector(p + "attn_v.bias", lw.attn_v_bias);
    add_vector(p + "attn_output.bias", lw.attn_output_bias);
    add_vector(p + "ffn_norm.weight", lw.ffn_norm);
    add_vector(p + "ffn_norm.bias", lw.ffn_norm_bias);
    for (int i = c.ffn == FfnKind::kSwiGlu ? 0 : 1; i < 3; ++i) add_matrix();  // (ffn_gate,) ffn_up, ffn_down
    add_vector(p + "ffn_up.bias", lw.ffn_up_bias);
    add_vector(p + "ffn_down.bias", lw.ffn_down_bias);
  }
  add_vector("output_norm.weight", model.output_norm);
  add_vector("output_norm.bias", model.output_norm_bias);
  if (!tied) add_matrix();

  std::vector<uint64_t> hashes(tensors.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads > 0 ? n_threads : 1)
  for (size_t i = 0; i < tensors.size(); ++i) hashes[i] = XXH3_64bits(tensors[i].data, tensors[i].info.n_bytes);
  metadata.push_back({kIngotTensorHashKey, GgufValue::U64Array(std::move(hashes))});
  std::vector<GgufTensorInfo> infos;
  for (const Tensor& t : tensors) infos.push_back(t.info);
  metadata.push_back({kIngotMetadataHashKey, GgufValue::U64(IngotMetadataHash(metadata, infos))});

  if (progress) progress({static_cast<int32_t>(matrices.size()), static_cast<int32_t>(matrices.size()), out_path, 0, 0, true});
  GgufWriter writer(static_cast<uint32_t>(kernels::kPackAlignment));
  for (GgufKeyValue& kv : metadata) writer.Set(std::move(kv.key), std::move(kv.value));
  for (const Tensor& t : tensors) writer.AddTensor(t.info.name, t.info.type, t.info.dims, t.data);
  writer.Write(out_path);

  QuantizeSummary summary;
  summary.n_matrices = static_cast<int32_t>(matrices.size());
  summary.n_tensors = static_cast<int32_t>(tensors.size());
  summary.bytes_out = std::filesystem::file_size(out_path);
  return summary;
}

}  // namespace ingot
