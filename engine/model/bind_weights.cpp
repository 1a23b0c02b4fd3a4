#include "engine/model/bind_weights.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include "engine/arch/architecture.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

namespace {

class Binder {
 public:
  Binder(const ModelConfig& c, const ModelFile& file, FloatWeights& w, std::vector<bool>& used, int32_t n_threads)
      : c_(c), file_(file), w_(w), used_(used), n_threads_(n_threads) {}
  uint64_t bytes() const { return bytes_; }

  void Global(const GlobalMatrix& m) {
    const std::string name = TensorName(-1, m.name, kWeightSuffix);
    if (m.presence == Presence::kTiedWhenAbsent && Find(name) == nullptr) {
      w_.*m.weight = w_.token_embd;  // the output matrix is tied to the embedding
      return;
    }
    w_.*m.weight = Matrix(name, DimSize(c_, m.rows), DimSize(c_, m.cols));
  }
  void Vector(const GlobalVector& v) {
    const std::string name = TensorName(-1, v.name, kWeightSuffix);
    if (v.presence == Presence::kOptionalRope && Find(name) == nullptr) return;
    w_.*v.weight = Vector(name, DimSize(c_, v.size));
    if (v.presence == Presence::kOptionalRope) CheckRopeFactors(file_.path(), name, w_.*v.weight);
  }
  void Vector(int32_t layer, const LayerVector& v) {
    Layer(layer).*v.weight = Vector(TensorName(layer, v.name, kWeightSuffix), DimSize(c_, v.size));
  }
  void Norm(const GlobalNorm& n) { BindNorm(-1, n, w_); }
  void Norm(int32_t layer, const LayerNorm& n) { BindNorm(layer, n, Layer(layer)); }
  void Matrix(int32_t layer, const LayerMatrix& m) {
    const int64_t rows = DimSize(c_, m.rows);
    if (const auto [bound, first] = FusedFirstRow(layer, m); bound != nullptr) {
      Layer(layer).*m.weight = bound->weight.RowRange(first, rows);
      return;
    }
    Layer(layer).*m.weight = Matrix(TensorName(layer, m.name, kWeightSuffix), rows, DimSize(c_, m.cols));
  }
  void Bias(int32_t layer, const LayerMatrix& m) {
    const int64_t rows = DimSize(c_, m.rows);
    std::vector<float>& bias = Layer(layer).*m.bias;
    if (const auto [bound, first] = FusedFirstRow(layer, m); bound != nullptr) {
      if (bound->bias.empty()) bound->bias = Vector(TensorName(layer, bound->spec->name, kBiasSuffix), bound->weight.rows);
      bias.assign(bound->bias.begin() + first, bound->bias.begin() + first + rows);
      return;
    }
    bias = Vector(TensorName(layer, m.name, kBiasSuffix), rows);
  }

 private:
  LayerWeights& Layer(int32_t layer) { return w_.layers[static_cast<size_t>(layer)]; }

  template <typename Owner, typename Spec>
  void BindNorm(int32_t layer, const Spec& n, Owner& owner) {
    owner.*n.weight = Vector(TensorName(layer, n.name, kWeightSuffix), c_.d_model);
    if (HasNormBias(c_)) owner.*n.bias = Vector(TensorName(layer, n.name, kBiasSuffix), c_.d_model);
  }

  // A layer's fused matrix, bound on first use.
  struct Fused {
    const FusedMatrix* spec = nullptr;
    int32_t layer = -1;
    Weight weight;             // data null: the file has the parts as tensors of their own
    std::vector<float> bias;   // once read
  };

  // The fused matrix m is bound from in this layer and m's first row in it; {nullptr, 0} when
  // m is a tensor of its own. attn_qkv is used when the file has it; phi3's [gate; up] ffn_up
  // whenever the architecture fuses them (then it must be there, with its stacked shape).
  std::pair<Fused*, int64_t> FusedFirstRow(int32_t layer, const LayerMatrix& m) {
    const std::span<const FusedMatrix> all = Tensors().fused;
    for (size_t f = 0; f < all.size(); ++f) {
      const FusedMatrix& spec = all[f];
      if (spec.gate_up && !c_.fused_gate_up) continue;
      int64_t first = -1, rows = 0;
      for (const LayerMatrix* part : spec.parts) {
        if (part == &m) first = rows;
        rows += DimSize(c_, part->rows);
      }
      if (first < 0) continue;
      Fused& fused = fused_[f];
      if (fused.layer != layer) {
        fused = Fused{&spec, layer, Weight{}, {}};
        const std::string name = TensorName(layer, spec.name, kWeightSuffix);
        if (spec.gate_up || Find(name) != nullptr) fused.weight = Matrix(name, rows, DimSize(c_, m.cols));  // the parts share cols
      }
      return fused.weight.data != nullptr ? std::pair{&fused, first} : std::pair<Fused*, int64_t>{nullptr, 0};
    }
    return {nullptr, 0};
  }

  const GgufTensorInfo* Find(const std::string& name) const {
    for (const GgufTensorInfo& t : file_.tensors()) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  // Tensor `name` as a [rows, cols] weight (a vector when rows == 1), checked.
  Weight Matrix(const std::string& name, int64_t rows, int64_t cols) {
    const GgufTensorInfo* info = Find(name);
    if (info == nullptr) throw Error(file_.path() + ": missing tensor '" + name + "'");
    used_[static_cast<size_t>(info - file_.tensors().data())] = true;
    const bool is_vector = rows == 1;
    const std::vector<uint64_t> expected = is_vector ? std::vector<uint64_t>{static_cast<uint64_t>(cols)}
                                                     : std::vector<uint64_t>{static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)};
    if (info->dims != expected) {
      throw Error(file_.path() + ": tensor '" + name + "' has shape " + ShapeText(info->dims) + ", expected " +
                  ShapeText(expected));
    }
    if (!IsFloatDequantizable(info->type)) {
      throw Error(file_.path() + ": tensor '" + name + "' has type " + GgmlTypeName(info->type) +
                  ", which is not supported (supported: F32, F16, BF16, Q8_0)");
    }
    Weight w;
    w.info = info;
    w.type = info->type;
    w.rows = rows;
    w.cols = cols;
    w.row_bytes = RowBytes(info->type, static_cast<uint64_t>(cols));
    w.data = file_.TensorData(*info);
    bytes_ += info->n_bytes;
    if (!is_vector) RequireFinite(name, w);  // vectors are checked as they are dequantized
    return w;
  }

  // Every value of matrix w finite (bit tests, rows split over the threads); the first bad one
  // is named.
  void RequireFinite(const std::string& name, const Weight& w) const {
    constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
    std::atomic<int64_t> first_bad{kNone};
    kernels::ParallelFor(static_cast<int32_t>(w.rows), 64, n_threads_, [&](int32_t begin, int32_t end) {
      const int64_t at = FindNonFinite(w.type, w.Row(begin), int64_t{end - begin} * w.cols);
      if (at < 0) return;
      int64_t seen = first_bad.load();
      const int64_t element = int64_t{begin} * w.cols + at;
      while (element < seen && !first_bad.compare_exchange_weak(seen, element)) {
      }
    });
    const int64_t bad = first_bad.load();
    if (bad == kNone) return;
    const std::string where = "row " + std::to_string(bad / w.cols) + ", column " + std::to_string(bad % w.cols);
    throw Error(file_.path() + ": tensor '" + name + "' holds a non-finite " +
                    (w.type == GgmlType::kQ8_0 ? "block scale (the block at " + where + ")" : "value (at " + where + ")"),
                ErrorKind::kModelFormat);
  }

  std::vector<float> Vector(const std::string& name, int64_t n) {
    const Weight w = Matrix(name, 1, n);
    return DequantizeFiniteVector(file_.path(), name, w.type, w.data, n);
  }

  const ModelConfig& c_;
  const ModelFile& file_;
  FloatWeights& w_;
  std::vector<bool>& used_;  // [file tensors]
  int32_t n_threads_;
  uint64_t bytes_ = 0;
  std::vector<Fused> fused_ = std::vector<Fused>(Tensors().fused.size());  // [Tensors().fused]
};

}  // namespace

uint64_t BindFloatWeights(const ModelConfig& config, const ModelFile& file, FloatWeights& weights,
                          std::vector<bool>& used, int32_t n_threads) {
  weights.layers.assign(static_cast<size_t>(config.n_layers), LayerWeights{});
  Binder binder(config, file, weights, used, n_threads);
  VisitTensors(config, binder);
  return binder.bytes();
}

}  // namespace ingot
