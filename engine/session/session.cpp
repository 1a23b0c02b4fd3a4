#include "engine/session/session.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "engine/forward/forward_int8.h"
#include "engine/forward/fp32_ops.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

Session::Session(const Model& model, const SessionOptions& options) : model_(model) {
  const ModelConfig& c = model.config();
  if (options.n_ctx < 0) {
    throw Error("n_ctx must be positive, got " + std::to_string(options.n_ctx), ErrorKind::kInvalidArgument);
  }
  if (options.n_ctx > c.n_ctx_train) {
    throw Error(model.path() + ": n_ctx " + std::to_string(options.n_ctx) + " is larger than the model allows (" +
                std::to_string(c.n_ctx_train) + " tokens)", ErrorKind::kInvalidArgument);
  }
  n_ctx_ = options.n_ctx > 0 ? options.n_ctx : std::min(c.n_ctx_train, kDefaultMaxContext);
  n_threads_ = options.n_threads > 0 ? options.n_threads : kernels::DefaultThreadCount();
  n_batch_ = std::clamp(options.n_batch, 1, n_ctx_);

  logits_all_ = options.logits_all;
  mode_ = options.mode;
  const size_t logit_rows = static_cast<size_t>(logits_all_ ? n_ctx_ : 1);
  logits_.resize(logit_rows * static_cast<size_t>(c.n_vocab));
  if (mode_ == Mode::kFp32 && !options.fp_modules.empty()) {
    throw Error("--fp-modules goes with --mode int8 (in fp32 mode every module is already float)",
                ErrorKind::kInvalidArgument);
  }
  if (mode_ == Mode::kInt8) {
    if (model.int8() == nullptr) {
      throw Error("int8 mode needs the model loaded with prepare_int8 (the C API's default)", ErrorKind::kUnsupported);
    }
    const FpModuleSet set = ParseFpModules(options.fp_modules, c);
    if (set.any()) fp_modules_ = std::make_unique<FpModules>(model, set, n_ctx_);
    int8_ = std::make_unique<Int8Forward>(c, *model.int8(), model.kernel_table(), n_ctx_, n_batch_, n_threads_,
                                          logits_all_, fp_modules_.get());
    logits_q16_.resize(logits_.size());
    return;  // the FP32 buffers below are not needed
  }
  if (!model.has_float_weights()) {
    throw Error(model.path() + " is an int8 model written by quantize; fp32 mode needs the float model",
                ErrorKind::kUnsupported);
  }
  const size_t n_pairs = static_cast<size_t>(c.rope_dims / 2);
  rope_cos_.resize(static_cast<size_t>(n_ctx_) * n_pairs);
  rope_sin_.resize(rope_cos_.size());
  std::vector<double> freq(n_pairs);
  for (size_t i = 0; i < n_pairs; ++i) {
    freq[i] = std::pow(static_cast<double>(c.rope_base), -2.0 * static_cast<double>(i) / c.rope_dims);
  }
  for (int32_t pos = 0; pos < n_ctx_; ++pos) {
    for (size_t i = 0; i < n_pairs; ++i) {
      const double angle = pos * freq[i];
      rope_cos_[static_cast<size_t>(pos) * n_pairs + i] = static_cast<float>(std::cos(angle));
      rope_sin_[static_cast<size_t>(pos) * n_pairs + i] = static_cast<float>(std::sin(angle));
    }
  }
  const size_t batch = static_cast<size_t>(n_batch_);
  const size_t cache = static_cast<size_t>(c.n_layers) * static_cast<size_t>(n_ctx_) * static_cast<size_t>(c.kv_dim());
  key_cache_.assign(cache, 0.0f);
  value_cache_.assign(cache, 0.0f);
  x_.resize(batch * static_cast<size_t>(c.d_model));
  xb_.resize(x_.size());
  branch_.resize(x_.size());
  q_.resize(batch * static_cast<size_t>(c.q_dim()));
  attn_.resize(q_.size());
  k_.resize(batch * static_cast<size_t>(c.kv_dim()));
  v_.resize(k_.size());
  up_.resize(batch * static_cast<size_t>(c.d_ffn));
  if (c.ffn == FfnKind::kSwiGlu) gate_.resize(up_.size());
  scores_.resize(static_cast<size_t>(n_threads_) * static_cast<size_t>(n_ctx_));
}

Session::~Session() = default;

uint64_t Session::kv_cache_bytes() const {
  return int8_ ? int8_->kv_cache_bytes() : (key_cache_.size() + value_cache_.size()) * sizeof(float);
}

bool Session::Eval(const int32_t* tokens, int32_t n_tokens, bool all_logits, std::atomic<bool>* cancel) {
  if (n_tokens <= 0) return true;
  if (all_logits && !logits_all_) {
    throw Error("Eval with all_logits needs a session created with logits_all", ErrorKind::kInvalidArgument);
  }
  if (n_tokens > n_ctx_ - n_past_) {
    throw Error(std::to_string(n_tokens) + " tokens do not fit (context is full: " + std::to_string(n_past_) + " + " +
                std::to_string(n_tokens) + " tokens exceed n_ctx " + std::to_string(n_ctx_) + ")", ErrorKind::kContextFull);
  }
  const int32_t n_vocab = model_.config().n_vocab;
  for (int32_t i = 0; i < n_tokens; ++i) {
    if (tokens[i] < 0 || tokens[i] >= n_vocab) {
      throw Error("token id " + std::to_string(tokens[i]) + (n_tokens > 1 ? " (at " + std::to_string(i) + ")" : "") +
                  " is out of range [0, " + std::to_string(n_vocab) + ")", ErrorKind::kInvalidArgument);
    }
  }
  const int32_t start = n_past_;
  for (int32_t done = 0; done < n_tokens; done += n_batch_) {
    if (done > 0 && cancel != nullptr && cancel->exchange(false)) {
      Rewind(start);
      return false;
    }
    const int32_t n = std::min(n_batch_, n_tokens - done);
    const bool last_batch = done + n == n_tokens;
    if (!all_logits && !last_batch) {
      Forward(tokens + done, n, false, nullptr);
    } else {
      const size_t row = all_logits ? static_cast<size_t>(done) : 0;
      Forward(tokens + done, n, all_logits, logits_.data() + row * static_cast<size_t>(n_vocab));
    }
  }
  return true;
}

// One batch through the network. x_ rows are tokens; positions n_past_ .. n_past_ + n - 1.
void Session::Forward(const int32_t* tokens, int32_t n, bool all_logits, float* logits) {
  const ModelConfig& c = model_.config();
  if (int8_) {
    const size_t offset = logits ? static_cast<size_t>(logits - logits_.data()) : 0;
    int32_t* logits_q16 = logits ? logits_q16_.data() + offset : nullptr;
    int8_->Forward(tokens, n, n_past_, all_logits, logits_q16);
    n_past_ += n;
    if (logits) {
      const size_t count = static_cast<size_t>(all_logits ? n : 1) * static_cast<size_t>(c.n_vocab);
      constexpr float kInvQ16 = 1.0f / static_cast<float>(1 << kLogitFracBits);
      for (size_t i = 0; i < count; ++i) logits[i] = static_cast<float>(logits_q16[i]) * kInvQ16;
    }
    return;
  }
  const int64_t d = c.d_model;
  const int64_t n_ffn = static_cast<int64_t>(n) * c.d_ffn;
  for (int32_t t = 0; t < n; ++t) fp32::DequantizeWeightRow(model_.token_embd, tokens[t], x_.data() + t * d);
  if (c.learned_positions) {
    for (int32_t t = 0; t < n; ++t) {
      float* position = xb_.data() + t * d;  // [d_model] scratch
      fp32::DequantizeWeightRow(model_.position_embd, n_past_ + t, position);
      for (int64_t i = 0; i < d; ++i) x_[static_cast<size_t>(t * d + i)] += position[i];
    }
  }

  for (int32_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = model_.layers[static_cast<size_t>(l)];
    for (int32_t t = 0; t < n; ++t) fp32::Norm(c, x_.data() + t * d, w.attn_norm, w.attn_norm_bias, xb_.data() + t * d);
    fp32::MatMul(w.attn_q, xb_.data(), n, q_.data(), n_threads_);
    fp32::MatMul(w.attn_k, xb_.data(), n, k_.data(), n_threads_);
    fp32::MatMul(w.attn_v, xb_.data(), n, v_.data(), n_threads_);
    fp32::AddBias(w.attn_q_bias, n, q_.data());
    fp32::AddBias(w.attn_k_bias, n, k_.data());
    fp32::AddBias(w.attn_v_bias, n, v_.data());
    Attention(l, n);
    fp32::MatMul(w.attn_output, attn_.data(), n, branch_.data(), n_threads_);
    fp32::AddBias(w.attn_output_bias, n, branch_.data());
    for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += branch_[static_cast<size_t>(i)];

    for (int32_t t = 0; t < n; ++t) fp32::Norm(c, x_.data() + t * d, w.ffn_norm, w.ffn_norm_bias, xb_.data() + t * d);
    fp32::MatMul(w.ffn_up, xb_.data(), n, up_.data(), n_threads_);
    fp32::AddBias(w.ffn_up_bias, n, up_.data());
    if (c.ffn == FfnKind::kSwiGlu) {
      fp32::MatMul(w.ffn_gate, xb_.data(), n, gate_.data(), n_threads_);
      for (int64_t i = 0; i < n_ffn; ++i) {
        up_[static_cast<size_t>(i)] *= fp32::Silu(gate_[static_cast<size_t>(i)]);
      }
    } else {
      for (int64_t i = 0; i < n_ffn; ++i) up_[static_cast<size_t>(i)] = fp32::Gelu(up_[static_cast<size_t>(i)]);
    }
    fp32::MatMul(w.ffn_down, up_.data(), n, branch_.data(), n_threads_);
    fp32::AddBias(w.ffn_down_bias, n, branch_.data());
    for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += branch_[static_cast<size_t>(i)];
  }
  n_past_ += n;
  if (logits == nullptr) return;

  // Only the rows whose logits are wanted go through the final norm and the output matrix.
  const int32_t first = all_logits ? 0 : n - 1;
  const int32_t rows = n - first;
  for (int32_t t = first; t < n; ++t) {
    fp32::Norm(c, x_.data() + t * d, model_.output_norm, model_.output_norm_bias, xb_.data() + (t - first) * d);
  }
  fp32::MatMul(model_.output, xb_.data(), rows, logits, n_threads_);
}

// Causal grouped-query attention for the batch: q_, k_, v_ -> attn_. Writes k_, v_ (after RoPE
// on k, when the model has RoPE) into the cache at their positions first, so a token attends to itself and its past.
void Session::Attention(int32_t layer, int32_t n) {
  const ModelConfig& c = model_.config();
  const int32_t hd = c.head_dim;
  const int32_t kv_dim = c.kv_dim();
  const int32_t n_pairs = c.rope_dims / 2;
  const size_t layer_offset = static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) * static_cast<size_t>(kv_dim);
  float* key_cache = key_cache_.data() + layer_offset;      // [n_ctx, kv_dim]
  float* value_cache = value_cache_.data() + layer_offset;  // [n_ctx, kv_dim]

  for (int32_t t = 0; t < n; ++t) {
    const int32_t pos = n_past_ + t;
    const float* cos = rope_cos_.data() + static_cast<size_t>(pos) * static_cast<size_t>(n_pairs);
    const float* sin = rope_sin_.data() + static_cast<size_t>(pos) * static_cast<size_t>(n_pairs);
    if (n_pairs > 0) {
      for (int32_t h = 0; h < c.n_heads; ++h) fp32::Rope(q_.data() + t * c.q_dim() + h * hd, n_pairs, cos, sin);
      for (int32_t h = 0; h < c.n_kv_heads; ++h) fp32::Rope(k_.data() + t * kv_dim + h * hd, n_pairs, cos, sin);
    }
    std::copy_n(k_.data() + t * kv_dim, kv_dim, key_cache + static_cast<size_t>(pos) * static_cast<size_t>(kv_dim));
    std::copy_n(v_.data() + t * kv_dim, kv_dim, value_cache + static_cast<size_t>(pos) * static_cast<size_t>(kv_dim));
  }

  const int32_t group = c.n_heads / c.n_kv_heads;
  const float inv_sqrt_hd = 1.0f / std::sqrt(static_cast<float>(hd));
  const int32_t n_tasks = n * c.n_heads;
  const bool parallel = static_cast<int64_t>(n_tasks) * (n_past_ + n) * hd >= (1 << 16);
#pragma omp parallel for schedule(dynamic) num_threads(n_threads_) if (parallel)
  for (int32_t task = 0; task < n_tasks; ++task) {
    const int32_t t = task / c.n_heads;
    const int32_t h = task % c.n_heads;
    const int32_t pos = n_past_ + t;
    const float* q = q_.data() + t * c.q_dim() + h * hd;
    const int32_t kv_offset = (h / group) * hd;
    float* scores = scores_.data() + static_cast<size_t>(omp_get_thread_num()) * static_cast<size_t>(n_ctx_);
    for (int32_t p = 0; p <= pos; ++p) {
      scores[p] = fp32::Dot(q, key_cache + static_cast<size_t>(p) * static_cast<size_t>(kv_dim) + kv_offset, hd) * inv_sqrt_hd;
    }
    fp32::Softmax(scores, pos + 1);
    float* out = attn_.data() + t * c.q_dim() + h * hd;
    std::fill_n(out, hd, 0.0f);
    for (int32_t p = 0; p <= pos; ++p) {
      const float* v = value_cache + static_cast<size_t>(p) * static_cast<size_t>(kv_dim) + kv_offset;
      const float a = scores[p];
      for (int32_t i = 0; i < hd; ++i) out[i] += a * v[i];
    }
  }
}

}  // namespace ingot
