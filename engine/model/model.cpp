#include "engine/model/model.h"

#include <filesystem>

#include "engine/quant/ingot_gguf.h"
#include "engine/quant/int8_model.h"
#include "kernels/dispatch.h"
#include "kernels/parallel.h"
#include "model_io/error.h"
#include "model_io/llama2c.h"

namespace fs = std::filesystem;

namespace ingot {

namespace {

int32_t CheckedDim(const std::string& path, const std::string& key, int64_t value, int64_t max = 1 << 24) {
  if (value <= 0 || value > max) {
    throw Error(path + ": metadata '" + key + "' = " + std::to_string(value) + " is out of range");
  }
  return static_cast<int32_t>(value);
}

void ValidateConfig(const std::string& path, const ModelConfig& c) {
  auto fail = [&](const std::string& what) { throw Error(path + ": invalid model configuration: " + what); };
  if (c.n_heads % c.n_kv_heads != 0) fail("head_count " + std::to_string(c.n_heads) + " is not a multiple of head_count_kv " + std::to_string(c.n_kv_heads));
  if (c.rope_dims > 0 && c.head_dim % 2 != 0) fail("head dimension " + std::to_string(c.head_dim) + " is odd");
  if (c.rope_dims % 2 != 0 || c.rope_dims > c.head_dim) fail("rope.dimension_count " + std::to_string(c.rope_dims) + " does not fit head dimension " + std::to_string(c.head_dim));
  if (!(c.norm_eps > 0.0f) || !(c.norm_eps < 1.0f)) fail("norm epsilon " + std::to_string(c.norm_eps) + " is out of range");
  if (!(c.rope_base > 1.0f)) fail("rope.freq_base " + std::to_string(c.rope_base) + " is out of range");
}

const GgufTensorInfo* FindByName(const std::vector<GgufTensorInfo>& tensors, const std::string& name) {
  for (const GgufTensorInfo& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace

const char* ModeName(Mode mode) { return mode == Mode::kInt8 ? "int8" : "fp32"; }

bool ParseMode(const std::string& name, Mode* mode) {
  if (name == "fp32") *mode = Mode::kFp32;
  else if (name == "int8") *mode = Mode::kInt8;
  else return false;
  return true;
}

Model::Model() = default;
Model::~Model() = default;

const char* Model::isa_name() const { return kernel_table_->name; }

const std::vector<GgufTensorInfo>& Model::tensors() const {
  return gguf_ ? gguf_->tensors() : llama2c_->tensors();
}

std::unique_ptr<Model> Model::Load(const std::string& path, const ModelLoadOptions& options) {
  std::unique_ptr<Model> model(new Model());
  model->path_ = path;
  if (ReadFileMagic(path) == "GGUF") {
    model->LoadGguf(GgufFile::Open(path), options);
  } else {
    model->LoadLlama2c(options);
  }
  model->Finish(options);
  return model;
}

std::unique_ptr<Model> Model::LoadFromMemory(const void* data, size_t size, const std::string& name,
                                             const ModelLoadOptions& options) {
  std::unique_ptr<Model> model(new Model());
  model->path_ = name;
  model->LoadGguf(GgufFile::FromMemory(data, size, name), options);
  model->Finish(options);
  return model;
}

// What every format shares once its weights are bound: the tokenizer check, the kernels, and
// the int8 weights when asked for.
void Model::Finish(const ModelLoadOptions& options) {
  if (tokenizer_->n_vocab() != config_.n_vocab) {
    throw Error(path_ + ": the tokenizer (" + tokenizer_source_ + ") has " + std::to_string(tokenizer_->n_vocab()) +
                " tokens but the model has " + std::to_string(config_.n_vocab));
  }
  const kernels::KernelSelection selection = kernels::SelectKernels(options.isa.empty() ? nullptr : options.isa.c_str());
  if (selection.table == nullptr) throw Error(std::string("kernel selection: ") + selection.error);
  kernel_table_ = selection.table;
  if (options.prepare_int8 && int8_ == nullptr) {
    const int32_t threads = options.n_threads > 0 ? options.n_threads : kernels::DefaultThreadCount();
    int8_ = QuantizeModel(*this, threads);
  }
}

void Model::LoadGguf(std::unique_ptr<GgufFile> file, const ModelLoadOptions& options) {
  gguf_ = std::move(file);
  const GgufFile& g = *gguf_;
  format_ = "GGUF v" + std::to_string(g.version());
  // An int8 file written by quantize is verified (hashes) before any of its keys is trusted.
  const bool ingot_file = IsIngotGguf(g);
  if (ingot_file) VerifyIngotGguf(g, options.n_threads > 0 ? options.n_threads : kernels::DefaultThreadCount());
  const std::string arch = g.RequireString("general.architecture");
  if (arch != "llama" && arch != "gpt2") {
    throw Error(path_ + ": unknown architecture '" + arch + "' (supported: llama, gpt2)");
  }
  ModelConfig& c = config_;
  c.arch = arch;
  const bool gpt2 = arch == "gpt2";
  const std::string p = arch + ".";
  c.d_model = CheckedDim(path_, p + "embedding_length", g.RequireInt(p + "embedding_length"));
  c.n_layers = CheckedDim(path_, p + "block_count", g.RequireInt(p + "block_count"), 4096);
  c.n_heads = CheckedDim(path_, p + "attention.head_count", g.RequireInt(p + "attention.head_count"), 4096);
  c.n_kv_heads = CheckedDim(path_, p + "attention.head_count_kv",
                            g.GetInt(p + "attention.head_count_kv").value_or(c.n_heads), 4096);
  c.d_ffn = CheckedDim(path_, p + "feed_forward_length", g.RequireInt(p + "feed_forward_length"));
  c.n_ctx_train = CheckedDim(path_, p + "context_length", g.RequireInt(p + "context_length"));
  if (c.d_model % c.n_heads != 0) {
    throw Error(path_ + ": invalid model configuration: embedding_length " + std::to_string(c.d_model) +
                " is not a multiple of head_count " + std::to_string(c.n_heads));
  }
  c.head_dim = CheckedDim(path_, p + "attention.key_length",
                          g.GetInt(p + "attention.key_length").value_or(c.d_model / c.n_heads), 1 << 16);
  if (gpt2) {
    // GPT-2 (llama.cpp's LLM_ARCH_GPT2): LayerNorm with bias, a bias on every block matrix,
    // learned absolute positions instead of RoPE, and a GELU feed-forward without a gate.
    c.norm = NormKind::kLayer;
    c.ffn = FfnKind::kGelu;
    c.learned_positions = true;
    c.linear_bias = true;
    c.norm_eps = static_cast<float>(g.GetFloat(p + "attention.layer_norm_epsilon").value_or(1e-5));
    c.rope_dims = 0;
  } else {
    c.norm_eps = static_cast<float>(g.GetFloat(p + "attention.layer_norm_rms_epsilon").value_or(1e-5));
    c.rope_base = static_cast<float>(g.GetFloat(p + "rope.freq_base").value_or(10000.0));
    c.rope_dims = CheckedDim(path_, p + "rope.dimension_count", g.GetInt(p + "rope.dimension_count").value_or(c.head_dim), 1 << 16);
  }
  if (ingot_file) {
    LoadIngotGguf();
    return;
  }
  const GgufTensorInfo& embd = g.RequireTensor("token_embd.weight");
  if (embd.dims.size() != 2) throw Error(path_ + ": tensor 'token_embd.weight' is not a matrix");
  c.n_vocab = CheckedDim(path_, "token_embd.weight rows", static_cast<int64_t>(embd.dims[1]));
  ValidateConfig(path_, c);
  BindWeights(g.tensors(), [&g](const GgufTensorInfo& t) { return g.TensorData(t); });
  (void)options;
  tokenizer_ = Tokenizer::FromGguf(g);
  tokenizer_source_ = "GGUF metadata";
}

// An int8 file written by quantize (already verified): no float matrices to bind; the int8
// weights are views into the mapped file (prepare_int8 is implied).
void Model::LoadIngotGguf() {
  ModelConfig& c = config_;
  const std::string vocab_key = c.arch + ".vocab_size";
  c.n_vocab = CheckedDim(path_, vocab_key, gguf_->RequireInt(vocab_key));
  ValidateConfig(path_, c);
  int8_ = LoadIngotWeights(*gguf_, c, layers, output_norm, output_norm_bias);
  for (const GgufTensorInfo& t : gguf_->tensors()) weight_bytes_ += t.n_bytes;
  tokenizer_ = LoadIngotTokenizer(*gguf_);
  tokenizer_source_ = gguf_->Find(kIngotSpmModelKey) ? "GGUF metadata (sentencepiece model)" : "GGUF metadata";
}

void Model::LoadLlama2c(const ModelLoadOptions& options) {
  llama2c_ = OpenNonGgufModel(path_);
  const Llama2cConfig& l = llama2c_->config();
  format_ = "llama2.c";
  ModelConfig& c = config_;
  c.arch = "llama";
  c.d_model = l.dim;
  c.n_layers = l.n_layers;
  c.n_heads = l.n_heads;
  c.n_kv_heads = l.n_kv_heads;
  c.head_dim = l.dim / l.n_heads;
  c.d_ffn = l.hidden_dim;
  c.n_vocab = l.vocab_size;
  c.n_ctx_train = l.seq_len;
  c.norm_eps = 1e-5f;  // llama2.c's run.c
  c.rope_base = 10000.0f;
  c.rope_dims = c.head_dim;
  ValidateConfig(path_, c);
  BindWeights(llama2c_->tensors(), [this](const GgufTensorInfo& t) { return llama2c_->TensorData(t); });

  std::string tokenizer_path = options.tokenizer_path;
  if (tokenizer_path.empty()) tokenizer_path = FindTokenizerNextTo(path_, c.n_vocab);
  if (tokenizer_path.empty()) {
    throw Error(path_ + ": a llama2.c checkpoint has no vocabulary and no tokenizer was found next to it "
                "(looked for tokenizer.model and tok" + std::to_string(c.n_vocab) +
                ".model in its folder); pass --tokenizer PATH");
  }
  tokenizer_ = Tokenizer::FromFile(tokenizer_path);
  tokenizer_source_ = tokenizer_path;
}

std::string FindTokenizerNextTo(const std::string& model_path, int32_t n_vocab) {
  const fs::path dir = fs::path(model_path).parent_path();
  for (const std::string& name : {std::string("tokenizer.model"), "tok" + std::to_string(n_vocab) + ".model"}) {
    const fs::path candidate = dir / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return "";
}

void Model::BindWeights(const std::vector<GgufTensorInfo>& tensors, const TensorDataFn& data_of) {
  const ModelConfig& c = config_;
  auto shape_string = [](int64_t rows, int64_t cols) {
    return "[" + std::to_string(cols) + ", " + std::to_string(rows) + "]";
  };
  auto find = [&](const std::string& name, bool required) -> const GgufTensorInfo* {
    const GgufTensorInfo* info = FindByName(tensors, name);
    if (info == nullptr && required) throw Error(path_ + ": missing tensor '" + name + "'");
    return info;
  };
  auto check = [&](const GgufTensorInfo& info, int64_t rows, int64_t cols) {
    const bool is_vector = rows == 1;
    const bool ok = is_vector ? (info.dims.size() == 1 && info.dims[0] == static_cast<uint64_t>(cols))
                              : (info.dims.size() == 2 && info.dims[0] == static_cast<uint64_t>(cols) &&
                                 info.dims[1] == static_cast<uint64_t>(rows));
    if (!ok) {
      std::string got = "[";
      for (size_t i = 0; i < info.dims.size(); ++i) got += (i ? ", " : "") + std::to_string(info.dims[i]);
      throw Error(path_ + ": tensor '" + info.name + "' has shape " + got + "], expected " +
                  (is_vector ? "[" + std::to_string(cols) + "]" : shape_string(rows, cols)));
    }
    if (!IsFloatDequantizable(info.type)) {
      throw Error(path_ + ": tensor '" + info.name + "' has type " + GgmlTypeName(info.type) +
                  ", which is not supported (supported: F32, F16, BF16, Q8_0)");
    }
  };
  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols) {
    const GgufTensorInfo& info = *find(name, true);
    check(info, rows, cols);
    Weight w;
    w.info = &info;
    w.type = info.type;
    w.rows = rows;
    w.cols = cols;
    w.row_bytes = RowBytes(info.type, static_cast<uint64_t>(cols));
    w.data = data_of(info);
    weight_bytes_ += info.n_bytes;
    return w;
  };
  auto vector = [&](const std::string& name, int64_t n) {
    const Weight w = matrix(name, 1, n);
    std::vector<float> values(static_cast<size_t>(n));
    DequantizeRow(w.type, w.data, values.data(), n);
    return values;
  };

  // The bias of a block matrix or a LayerNorm; empty when the architecture has none.
  auto bias = [&](const std::string& name, int64_t n, bool present) {
    return present ? vector(name, n) : std::vector<float>();
  };
  const bool layer_norm = c.norm == NormKind::kLayer;

  token_embd = matrix("token_embd.weight", c.n_vocab, c.d_model);
  if (c.learned_positions) position_embd = matrix("position_embd.weight", c.n_ctx_train, c.d_model);
  layers.resize(static_cast<size_t>(c.n_layers));
  for (int32_t l = 0; l < c.n_layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights& lw = layers[static_cast<size_t>(l)];
    lw.attn_norm = vector(p + "attn_norm.weight", c.d_model);
    lw.attn_norm_bias = bias(p + "attn_norm.bias", c.d_model, layer_norm);
    if (FindByName(tensors, p + "attn_qkv.weight") != nullptr) {
      // One fused matrix, rows q then k then v (as llama.cpp's converter writes gpt2).
      const int64_t qkv_rows = c.q_dim() + 2 * static_cast<int64_t>(c.kv_dim());
      const Weight qkv = matrix(p + "attn_qkv.weight", qkv_rows, c.d_model);
      lw.attn_q = qkv.RowRange(0, c.q_dim());
      lw.attn_k = qkv.RowRange(c.q_dim(), c.kv_dim());
      lw.attn_v = qkv.RowRange(c.q_dim() + c.kv_dim(), c.kv_dim());
      if (c.linear_bias) {
        const std::vector<float> qkv_bias = vector(p + "attn_qkv.bias", qkv_rows);
        const auto q_end = qkv_bias.begin() + c.q_dim();
        const auto k_end = q_end + c.kv_dim();
        lw.attn_q_bias.assign(qkv_bias.begin(), q_end);
        lw.attn_k_bias.assign(q_end, k_end);
        lw.attn_v_bias.assign(k_end, qkv_bias.end());
      }
    } else {
      lw.attn_q = matrix(p + "attn_q.weight", c.q_dim(), c.d_model);
      lw.attn_k = matrix(p + "attn_k.weight", c.kv_dim(), c.d_model);
      lw.attn_v = matrix(p + "attn_v.weight", c.kv_dim(), c.d_model);
      lw.attn_q_bias = bias(p + "attn_q.bias", c.q_dim(), c.linear_bias);
      lw.attn_k_bias = bias(p + "attn_k.bias", c.kv_dim(), c.linear_bias);
      lw.attn_v_bias = bias(p + "attn_v.bias", c.kv_dim(), c.linear_bias);
    }
    lw.attn_output = matrix(p + "attn_output.weight", c.d_model, c.q_dim());
    lw.attn_output_bias = bias(p + "attn_output.bias", c.d_model, c.linear_bias);
    lw.ffn_norm = vector(p + "ffn_norm.weight", c.d_model);
    lw.ffn_norm_bias = bias(p + "ffn_norm.bias", c.d_model, layer_norm);
    if (c.ffn == FfnKind::kSwiGlu) lw.ffn_gate = matrix(p + "ffn_gate.weight", c.d_ffn, c.d_model);
    lw.ffn_up = matrix(p + "ffn_up.weight", c.d_ffn, c.d_model);
    lw.ffn_up_bias = bias(p + "ffn_up.bias", c.d_ffn, c.linear_bias);
    lw.ffn_down = matrix(p + "ffn_down.weight", c.d_model, c.d_ffn);
    lw.ffn_down_bias = bias(p + "ffn_down.bias", c.d_model, c.linear_bias);
  }
  output_norm = vector("output_norm.weight", c.d_model);
  output_norm_bias = bias("output_norm.bias", c.d_model, layer_norm);
  output = find("output.weight", false) ? matrix("output.weight", c.n_vocab, c.d_model) : token_embd;
}

}  // namespace ingot
