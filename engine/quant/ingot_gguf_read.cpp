// Reading an ingot GGUF (already verified): the int8 weights by the architecture's tensor table,
// and the tokenizer.
#include <cstring>
#include <optional>
#include <type_traits>

#include "engine/arch/architecture.h"
#include "engine/quant/ingot_gguf.h"
#include "model_io/error.h"

namespace ingot {

// The scale tensors are Dyadic arrays read in place from the mapped file.
static_assert(sizeof(kernels::Dyadic) == 2 * sizeof(int32_t) && std::is_standard_layout_v<kernels::Dyadic>);

namespace {

// Tensor `name`, checked for type, shape and alignment, and marked in used.
const GgufTensorInfo& RequireShaped(const GgufFile& g, const std::string& name, GgmlType type,
                                    const std::vector<uint64_t>& dims, std::vector<bool>& used) {
  const GgufTensorInfo& t = g.RequireTensor(name);
  used[static_cast<size_t>(&t - g.tensors().data())] = true;
  if (t.type != type || t.dims != dims) {
    throw Error(g.path() + ": tensor '" + name + "' is " + GgmlTypeName(t.type) + " " + ShapeText(t.dims) + ", expected " +
                GgmlTypeName(type) + " " + ShapeText(dims));
  }
  const uint8_t* data = g.TensorData(t);
  if (reinterpret_cast<uintptr_t>(data) % kernels::kPackAlignment != 0) {
    throw Error(g.path() + ": tensor '" + name + "' is not " + std::to_string(kernels::kPackAlignment) +
                "-byte aligned (general.alignment " + std::to_string(g.alignment()) + ")");
  }
  return t;
}

// The row scales of matrix `name`, read in place. The forward pass assumes normalized scales
// (DyadicFromDouble's output); say so here rather than compute garbage from a file that was
// edited and re-hashed.
const kernels::Dyadic* RowScales(const GgufFile& g, const std::string& name, int32_t n, std::vector<bool>& used) {
  const GgufTensorInfo& scale = RequireShaped(g, name + kScaleSuffix, GgmlType::kI32, {2, static_cast<uint64_t>(n)}, used);
  const auto* scales = reinterpret_cast<const kernels::Dyadic*>(g.TensorData(scale));
  for (int32_t r = 0; r < n; ++r) {
    const kernels::Dyadic d = scales[r];
    if (!(d.m == 0 && d.e == 0) && d.m < kernels::kDyadicOne) {
      throw Error(g.path() + ": tensor '" + name + kScaleSuffix + "' row " + std::to_string(r) + " holds (" +
                  std::to_string(d.m) + ", " + std::to_string(d.e) + "), not a normalized dyadic");
    }
  }
  return scales;
}

// Code matrix `name` [n, k] of the width and group its ingot.codes key gives: the codes copied
// into a huge-page WeightBuffer, group scales and zeros read in place, then checked: zero points
// within the width, and every row within the kernels' int32 bound.
Int8Matrix CodeMatrixView(const GgufFile& g, const std::string& name, const std::vector<int64_t>& format, int32_t n,
                          int32_t k, std::vector<bool>& used) {
  const std::string key = kIngotCodesKeyPrefix + name;
  if (format.size() != 2 || !kernels::ValidCodeBits(static_cast<int32_t>(format[0])) ||
      !kernels::ValidCodeGroup(static_cast<int32_t>(format[1]))) {
    throw Error(g.path() + ": key '" + key + "' must be {bits, group} with bits 2, 4 or 8 and group 32, 64, 128 or 256");
  }
  const auto bits = static_cast<int32_t>(format[0]);
  const auto group = static_cast<int32_t>(format[1]);
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const int64_t n_pad = kernels::PackedS8RowSumCount(n);
  const int64_t groups = kernels::PackedCodeGroupBytes(n, k, group) / n_pad;
  const int64_t data_bytes = kernels::PackedCodeDataBytes(n, k, bits, group);
  const GgufTensorInfo& data = RequireShaped(g, name, GgmlType::kI8, {u(data_bytes / n_pad), u(n_pad)}, used);
  const GgufTensorInfo& scales = RequireShaped(g, name + kGroupScalesSuffix, GgmlType::kI8, {u(groups), u(n_pad)}, used);
  const GgufTensorInfo* zeros = nullptr;
  if (g.FindTensor(name + kGroupZerosSuffix) != nullptr) {
    zeros = &RequireShaped(g, name + kGroupZerosSuffix, GgmlType::kI8, {u(groups), u(n_pad)}, used);
  }
  Int8Matrix m;
  m.packed_storage = WeightBuffer(data.n_bytes);
  std::memcpy(m.packed_storage.data(), g.TensorData(data), data.n_bytes);
  g.ReleaseTensorPages(data);
  m.codes.data = reinterpret_cast<const uint8_t*>(m.packed_storage.data());
  m.codes.scales = g.TensorData(scales);
  m.codes.zeros = zeros != nullptr ? g.TensorData(*zeros) : nullptr;
  m.codes.bits = bits;
  m.codes.group = group;
  m.codes.n = n;
  m.codes.k = k;
  m.codes.n_pad = static_cast<int32_t>(n_pad);
  m.codes.k_pad = static_cast<int32_t>(groups * group);
  m.scale = RowScales(g, name, n, used);
  if (zeros != nullptr) {
    for (uint64_t i = 0; i < zeros->n_bytes; ++i) {
      if (m.codes.zeros[i] >> bits != 0) {
        throw Error(g.path() + ": tensor '" + name + kGroupZerosSuffix + "' holds a zero point of " +
                    std::to_string(m.codes.zeros[i]) + ", more than " + std::to_string(bits) + " bits");
      }
    }
  }
  if (!kernels::CodesFitInt32(m.codes)) {
    throw Error(g.path() + ": tensor '" + name + "' has rows whose codes and scales exceed the kernels' int32 bound");
  }
  return m;
}

// Matrix `name` [n, k]: the packed data copied into a huge-page WeightBuffer (the mapping's
// pages are released as it goes), row sums and scales read in place. A code matrix when the
// file says so (ingot.codes.<name>).
Int8Matrix MatrixView(const GgufFile& g, const std::string& name, int32_t n, int32_t k, std::vector<bool>& used) {
  if (k > kernels::kMaxK) {
    throw Error(g.path() + ": tensor '" + name + "' has " + std::to_string(k) +
                " columns, more than the int8 kernels take (" + std::to_string(kernels::kMaxK) + ")");
  }
  if (const std::optional<std::vector<int64_t>> format = g.GetIntArray(kIngotCodesKeyPrefix + name)) {
    return CodeMatrixView(g, name, *format, n, k, used);
  }
  const int64_t n_pad = kernels::PackedS8RowSumCount(n);
  const int64_t k_pad = kernels::PackedS8DataBytes(n, k) / n_pad;
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const GgufTensorInfo& data = RequireShaped(g, name, GgmlType::kI8, {u(k_pad), u(n_pad)}, used);
  const GgufTensorInfo& sums = RequireShaped(g, name + kRowSumsSuffix, GgmlType::kI32, {u(n_pad)}, used);
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
  m.scale = RowScales(g, name, n, used);
  return m;
}

std::vector<float> NormVector(const GgufFile& g, const std::string& name, int32_t n, std::vector<bool>& used) {
  const GgufTensorInfo& t = RequireShaped(g, name, GgmlType::kF32, {static_cast<uint64_t>(n)}, used);
  return DequantizeFiniteVector(g.path(), name, GgmlType::kF32, g.TensorData(t), n);
}

// Walks the architecture's tensors (VisitTensors): matrices from the file into dst, norm
// weights and biases into the float vectors.
struct Reader {
  const GgufFile& g;
  const ModelConfig& c;
  Int8Weights& dst;
  FloatWeights& vectors;
  std::vector<bool>& used;

  void Global(const GlobalMatrix& m) {
    const std::string name = TensorName(-1, m.name, kWeightSuffix);
    if (m.presence == Presence::kTiedWhenAbsent && g.FindTensor(name) == nullptr) return;  // tied output
    dst.*m.int8 = MatrixView(g, name, Dim32(m.rows), Dim32(m.cols), used);
  }
  void Matrix(int32_t layer, const LayerMatrix& m) {
    dst.layers[static_cast<size_t>(layer)].*m.int8 =
        MatrixView(g, TensorName(layer, m.name, kWeightSuffix), Dim32(m.rows), Dim32(m.cols), used);
  }
  void Bias(int32_t layer, const LayerMatrix& m) {
    vectors.layers[static_cast<size_t>(layer)].*m.bias = NormVector(g, TensorName(layer, m.name, kBiasSuffix), Dim32(m.rows), used);
  }
  void Vector(const GlobalVector& v) { ReadVector(-1, v, vectors); }
  void Vector(int32_t layer, const LayerVector& v) { ReadVector(layer, v, vectors.layers[static_cast<size_t>(layer)]); }
  void Norm(const GlobalNorm& n) { ReadNorm(-1, n, vectors); }
  void Norm(int32_t layer, const LayerNorm& n) { ReadNorm(layer, n, vectors.layers[static_cast<size_t>(layer)]); }

  template <typename Owner, typename Spec>
  void ReadNorm(int32_t layer, const Spec& n, Owner& owner) {
    owner.*n.weight = NormVector(g, TensorName(layer, n.name, kWeightSuffix), c.d_model, used);
    if (HasNormBias(c)) owner.*n.bias = NormVector(g, TensorName(layer, n.name, kBiasSuffix), c.d_model, used);
  }
  template <typename Owner, typename Spec>
  void ReadVector(int32_t layer, const Spec& v, Owner& owner) {
    const std::string name = TensorName(layer, v.name, kWeightSuffix);
    if (v.presence == Presence::kOptionalRope && g.FindTensor(name) == nullptr) return;
    owner.*v.weight = NormVector(g, name, Dim32(v.size), used);
    if (v.presence == Presence::kOptionalRope) CheckRopeFactors(g.path(), name, owner.*v.weight);
  }
  int32_t Dim32(Dim d) const { return static_cast<int32_t>(DimSize(c, d)); }
};

}  // namespace

std::unique_ptr<Int8Weights> LoadIngotWeights(const GgufFile& g, const ModelConfig& c, FloatWeights& vectors,
                                              std::vector<bool>& used) {
  auto w = std::make_unique<Int8Weights>();
  w->layers.resize(static_cast<size_t>(c.n_layers));
  vectors.layers.assign(static_cast<size_t>(c.n_layers), LayerWeights{});
  VisitTensors(c, Reader{g, c, *w, vectors, used});
  w->SetOutput();
  // Converted as in-memory quantization converts them.
  SetInt8NormsAndBiases(c, vectors, *w);
  SetInt8Constants(c, vectors, *w);
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

}  // namespace ingot
