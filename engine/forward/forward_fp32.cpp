#include "engine/forward/forward_fp32.h"

#include <algorithm>
#include <cmath>

#include "engine/forward/fp32_ops.h"
#include "kernels/parallel.h"

namespace ingot {

namespace {

// Below this many score multiply-adds attention runs on the calling thread: waking a team costs more.
constexpr int64_t kMinParallelAttention = int64_t{1} << 16;

// Elements of one table (cos or sin): [n_ctx, rope_dims / 2].
size_t RopeTableElements(const ModelConfig& c, int32_t n_ctx) {
  return static_cast<size_t>(n_ctx) * static_cast<size_t>(c.rope_dims / 2);
}

// Elements of the key (or value) cache: [n_seq, n_layers, n_ctx, kv_dim].
size_t KvCacheElements(const ModelConfig& c, int32_t n_seq, int32_t n_ctx) {
  return static_cast<size_t>(n_seq) * static_cast<size_t>(c.n_layers) * static_cast<size_t>(n_ctx) *
         static_cast<size_t>(c.kv_dim());
}

}  // namespace

uint64_t RopeTables::BytesFor(const ModelConfig& c, int32_t n_ctx) {
  return (c.sliding_window > 0 ? 4 : 2) * static_cast<uint64_t>(RopeTableElements(c, n_ctx)) * sizeof(float);
}

RopeTables::RopeTables(const Model& model, int32_t n_ctx)
    : n_pairs_(model.config().rope_dims / 2), head_dim_(model.config().head_dim), neox_(model.config().rope_neox) {
  const size_t n_pairs = static_cast<size_t>(n_pairs_);
  const auto build = [&](bool local, std::vector<float>& cos, std::vector<float>& sin) {
    cos.resize(RopeTableElements(model.config(), n_ctx));
    sin.resize(cos.size());
    for (size_t i = 0; i < n_pairs; ++i) {
      const double freq = fp32::RopeTheta(model.config(), model.rope_freqs, static_cast<int32_t>(i), local);
      for (int32_t pos = 0; pos < n_ctx; ++pos) {
        const double angle = pos * freq;
        cos[static_cast<size_t>(pos) * n_pairs + i] = static_cast<float>(std::cos(angle));
        sin[static_cast<size_t>(pos) * n_pairs + i] = static_cast<float>(std::sin(angle));
      }
    }
  };
  build(false, cos_, sin_);
  if (model.config().sliding_window > 0) build(true, local_cos_, local_sin_);
}

void RopeTables::Rotate(float* heads, int32_t n_heads, int32_t pos, bool local) const {
  if (n_pairs_ == 0) return;
  const float* cos = (local ? local_cos_ : cos_).data() + static_cast<size_t>(pos) * static_cast<size_t>(n_pairs_);
  const float* sin = (local ? local_sin_ : sin_).data() + static_cast<size_t>(pos) * static_cast<size_t>(n_pairs_);
  for (int32_t h = 0; h < n_heads; ++h) {
    fp32::Rope(heads + static_cast<size_t>(h) * static_cast<size_t>(head_dim_), n_pairs_, cos, sin, neox_);
  }
}

template <typename F>
void Fp32Forward::ForEachBuffer(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch,
                                int32_t n_threads, F&& f) {
  const size_t batch = static_cast<size_t>(n_batch);
  f(&Fp32Forward::key_cache_, KvCacheElements(c, n_seq, n_ctx));
  f(&Fp32Forward::value_cache_, KvCacheElements(c, n_seq, n_ctx));
  f(&Fp32Forward::x_, batch * static_cast<size_t>(c.d_model));
  f(&Fp32Forward::xb_, batch * static_cast<size_t>(c.d_model));
  f(&Fp32Forward::branch_, batch * static_cast<size_t>(c.d_model));
  f(&Fp32Forward::q_, batch * static_cast<size_t>(c.q_dim()));
  f(&Fp32Forward::attn_, batch * static_cast<size_t>(c.q_dim()));
  f(&Fp32Forward::k_, batch * static_cast<size_t>(c.kv_dim()));
  f(&Fp32Forward::v_, batch * static_cast<size_t>(c.kv_dim()));
  f(&Fp32Forward::up_, batch * static_cast<size_t>(c.d_ffn));
  f(&Fp32Forward::gate_, c.gated_ffn() ? batch * static_cast<size_t>(c.d_ffn) : 0);
  f(&Fp32Forward::scores_, static_cast<size_t>(n_threads) * static_cast<size_t>(n_ctx));
}

uint64_t Fp32Forward::BytesFor(const ModelConfig& c, int32_t n_seq, int32_t n_ctx, int32_t n_batch,
                               int32_t n_threads) {
  uint64_t bytes = RopeTables::BytesFor(c, n_ctx);
  ForEachBuffer(c, n_seq, n_ctx, n_batch, n_threads, [&bytes](auto, size_t n) { bytes += static_cast<uint64_t>(n) * sizeof(float); });
  return bytes;
}

Fp32Forward::Fp32Forward(const Model& model, int32_t n_seq, int32_t n_ctx, int32_t n_batch, int32_t n_threads)
    : model_(model),
      c_(model.config()),
      n_ctx_(n_ctx),
      n_threads_(n_threads),
      inv_sqrt_head_dim_(1.0f / std::sqrt(static_cast<float>(c_.head_dim))),
      rope_(model, n_ctx) {
  // resize value-initializes: the KV cache starts at zero.
  ForEachBuffer(c_, n_seq, n_ctx_, n_batch, n_threads_, [this](auto buffer, size_t n) { (this->*buffer).resize(n); });
}

uint64_t Fp32Forward::kv_cache_bytes() const { return (key_cache_.size() + value_cache_.size()) * sizeof(float); }

uint64_t Fp32Forward::KvCacheBytesFor(const ModelConfig& c, int32_t n_seq, int32_t n_ctx) {
  return 2 * static_cast<uint64_t>(KvCacheElements(c, n_seq, n_ctx)) * sizeof(float);
}

// x_ rows = token embeddings (+ learned position rows).
void Fp32Forward::Embed(const int32_t* tokens, const TokenPlace* places, int32_t n) {
  const int64_t d = c_.d_model;
  for (int32_t t = 0; t < n; ++t) fp32::DequantizeWeightRow(model_.token_embd, tokens[t], x_.data() + t * d);
  if (c_.embed_scale) {
    const float scale = std::sqrt(static_cast<float>(d));
    for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] *= scale;
  }
  if (!c_.learned_positions) return;
  for (int32_t t = 0; t < n; ++t) {
    float* position = xb_.data() + t * d;  // [d_model] scratch
    fp32::DequantizeWeightRow(model_.position_embd, places[t].pos, position);
    for (int64_t i = 0; i < d; ++i) x_[static_cast<size_t>(t * d + i)] += position[i];
  }
}

void Fp32Forward::Forward(const int32_t* tokens, const TokenPlace* places, int32_t n, LogitRows wanted,
                          float* logits) {
  Embed(tokens, places, n);
  for (int32_t l = 0; l < c_.n_layers; ++l) Layer(l, places, n);
  if (logits == nullptr || wanted.count == 0) return;

  // Only the rows whose logits are wanted go through the final norm and the output matrix,
  // moved to the front (ascending: row r comes from row >= r, not yet overwritten).
  const int64_t d = c_.d_model;
  for (int32_t r = 0; r < wanted.count; ++r) {
    if (wanted.rows[r] != r) std::copy_n(x_.data() + wanted.rows[r] * d, d, x_.data() + r * d);
  }
  OutputLogits(model_, x_.data(), wanted.count, xb_.data(), logits, n_threads_);
  if (observer_ != nullptr) observer_->Observe(-1, MatrixInput::kOutput, xb_.data(), wanted.count);
}

void OutputLogits(const Model& model, const float* x, int32_t rows, float* normed, float* logits, int32_t n_threads) {
  const ModelConfig& c = model.config();
  for (int32_t t = 0; t < rows; ++t) {
    fp32::Norm(c, x + int64_t{t} * c.d_model, model.output_norm, model.output_norm_bias, normed + int64_t{t} * c.d_model);
  }
  fp32::MatMul(model.output, normed, rows, logits, n_threads);
}

void Fp32Forward::Layer(int32_t layer, const TokenPlace* places, int32_t n) {
  const LayerWeights& w = model_.layers[static_cast<size_t>(layer)];
  const int64_t d = c_.d_model;
  const int64_t n_ffn = static_cast<int64_t>(n) * c_.d_ffn;
  for (int32_t t = 0; t < n; ++t) fp32::Norm(c_, x_.data() + t * d, w.attn_norm, w.attn_norm_bias, xb_.data() + t * d);
  if (observer_ != nullptr) observer_->Observe(layer, MatrixInput::kAttn, xb_.data(), n);
  fp32::MatMul(w.attn_q, xb_.data(), n, q_.data(), n_threads_);
  fp32::MatMul(w.attn_k, xb_.data(), n, k_.data(), n_threads_);
  fp32::MatMul(w.attn_v, xb_.data(), n, v_.data(), n_threads_);
  fp32::AddBias(w.attn_q_bias, n, q_.data());
  fp32::AddBias(w.attn_k_bias, n, k_.data());
  fp32::AddBias(w.attn_v_bias, n, v_.data());
  if (c_.qk_norm) {
    fp32::RmsNormRows(q_.data(), n * c_.n_heads, c_.head_dim, w.attn_q_norm, c_.norm_eps);
    fp32::RmsNormRows(k_.data(), n * c_.n_kv_heads, c_.head_dim, w.attn_k_norm, c_.norm_eps);
  }
  Attention(layer, places, n);
  if (observer_ != nullptr) observer_->Observe(layer, MatrixInput::kAttnOutput, attn_.data(), n);
  fp32::MatMul(w.attn_output, attn_.data(), n, branch_.data(), n_threads_);
  fp32::AddBias(w.attn_output_bias, n, branch_.data());
  if (c_.post_norms) fp32::RmsNormRows(branch_.data(), n, c_.d_model, w.attn_post_norm, c_.norm_eps);
  for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += branch_[static_cast<size_t>(i)];

  for (int32_t t = 0; t < n; ++t) fp32::Norm(c_, x_.data() + t * d, w.ffn_norm, w.ffn_norm_bias, xb_.data() + t * d);
  if (observer_ != nullptr) observer_->Observe(layer, MatrixInput::kFfn, xb_.data(), n);
  fp32::MatMul(w.ffn_up, xb_.data(), n, up_.data(), n_threads_);
  fp32::AddBias(w.ffn_up_bias, n, up_.data());
  if (c_.ffn == FfnKind::kSwiGlu) {
    fp32::MatMul(w.ffn_gate, xb_.data(), n, gate_.data(), n_threads_);
    for (int64_t i = 0; i < n_ffn; ++i) up_[static_cast<size_t>(i)] *= fp32::Silu(gate_[static_cast<size_t>(i)]);
  } else if (c_.ffn == FfnKind::kGeGlu) {
    fp32::MatMul(w.ffn_gate, xb_.data(), n, gate_.data(), n_threads_);
    for (int64_t i = 0; i < n_ffn; ++i) up_[static_cast<size_t>(i)] *= fp32::Gelu(gate_[static_cast<size_t>(i)]);
  } else {
    for (int64_t i = 0; i < n_ffn; ++i) up_[static_cast<size_t>(i)] = fp32::Gelu(up_[static_cast<size_t>(i)]);
  }
  if (observer_ != nullptr) observer_->Observe(layer, MatrixInput::kFfnDown, up_.data(), n);
  fp32::MatMul(w.ffn_down, up_.data(), n, branch_.data(), n_threads_);
  fp32::AddBias(w.ffn_down_bias, n, branch_.data());
  if (c_.post_norms) fp32::RmsNormRows(branch_.data(), n, c_.d_model, w.ffn_post_norm, c_.norm_eps);
  for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += branch_[static_cast<size_t>(i)];
}

size_t Fp32Forward::KvOffset(int32_t layer, TokenPlace place) const {
  const size_t cache_layer = static_cast<size_t>(place.seq) * static_cast<size_t>(c_.n_layers) + static_cast<size_t>(layer);
  return (cache_layer * static_cast<size_t>(n_ctx_) + static_cast<size_t>(place.pos)) * static_cast<size_t>(c_.kv_dim());
}

void Fp32Forward::StoreKv(int32_t layer, TokenPlace place, const float* k, const float* v) {
  const size_t kv_dim = static_cast<size_t>(c_.kv_dim());
  const size_t at = KvOffset(layer, place);
  std::copy_n(k, kv_dim, key_cache_.data() + at);
  std::copy_n(v, kv_dim, value_cache_.data() + at);
}

void Fp32Forward::Attend(int32_t layer, int32_t head, TokenPlace place, const float* q, float* scores,
                         float* out) const {
  const int32_t hd = c_.head_dim;
  const int32_t pos = place.pos;
  const size_t kv_dim = static_cast<size_t>(c_.kv_dim());
  const size_t layer_offset = KvOffset(layer, TokenPlace{place.seq, 0});
  const size_t kv_offset = static_cast<size_t>(head / (c_.n_heads / c_.n_kv_heads)) * static_cast<size_t>(hd);
  const float* keys = key_cache_.data() + layer_offset + kv_offset;      // [n_ctx] rows, kv_dim apart
  const float* values = value_cache_.data() + layer_offset + kv_offset;  // [n_ctx] rows, kv_dim apart
  const int32_t first = c_.first_visible(layer, pos);
  for (int32_t p = first; p <= pos; ++p) {
    scores[p] = fp32::Dot(q, keys + static_cast<size_t>(p) * kv_dim, hd) * inv_sqrt_head_dim_;
  }
  fp32::Softmax(scores + first, pos + 1 - first);
  std::fill_n(out, hd, 0.0f);
  for (int32_t p = first; p <= pos; ++p) {
    const float* v = values + static_cast<size_t>(p) * kv_dim;
    const float a = scores[p];
    for (int32_t i = 0; i < hd; ++i) out[i] += a * v[i];
  }
}

// Causal grouped-query attention for the batch: q_, k_, v_ -> attn_. RoPE on q and k, then k, v
// go into the cache at their positions first, so a token attends to itself and its past.
void Fp32Forward::Attention(int32_t layer, const TokenPlace* places, int32_t n) {
  const int32_t hd = c_.head_dim;
  const int32_t q_dim = c_.q_dim();
  const int32_t kv_dim = c_.kv_dim();
  for (int32_t t = 0; t < n; ++t) {
    rope_.Rotate(q_.data() + t * q_dim, c_.n_heads, places[t].pos, c_.local_layer(layer));
    rope_.Rotate(k_.data() + t * kv_dim, c_.n_kv_heads, places[t].pos, c_.local_layer(layer));
    StoreKv(layer, places[t], k_.data() + t * kv_dim, v_.data() + t * kv_dim);
  }
  // Tasks (token, head) go to the workers round-robin (later tokens attend to more positions);
  // a worker owns one row of scores_. Every task's bits are independent of who runs it.
  const int32_t n_tasks = n * c_.n_heads;
  const bool parallel = AttendedPositions(places, n) * c_.n_heads * hd >= kMinParallelAttention;
  const int32_t workers = parallel ? std::min(n_threads_, n_tasks) : 1;
  kernels::ParallelFor(workers, 1, workers, [&](int32_t begin, int32_t end) {
    for (int32_t worker = begin; worker < end; ++worker) {
      float* scores = scores_.data() + static_cast<size_t>(worker) * static_cast<size_t>(n_ctx_);  // [n_ctx]
      for (int32_t task = worker; task < n_tasks; task += workers) {
        const int32_t t = task / c_.n_heads;
        const int32_t h = task % c_.n_heads;
        const size_t at = static_cast<size_t>(t) * static_cast<size_t>(q_dim) + static_cast<size_t>(h) * static_cast<size_t>(hd);
        Attend(layer, h, places[t], q_.data() + at, scores, attn_.data() + at);
      }
    }
  });
}

}  // namespace ingot
