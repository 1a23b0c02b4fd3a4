// Loading a model: the file by its magic (model_io/model_file.h), the configuration from its
// metadata or header (arch/config.h), then its weights: float views bound by the architecture's
// tensor table (bind_weights.h), or the int8 weights of an ingot GGUF (quant/ingot_gguf.h).
#include <utility>

#include "engine/arch/config.h"
#include "engine/model/bind_weights.h"
#include "engine/model/model.h"
#include "engine/quant/ingot_gguf.h"
#include "engine/quant/int8_model.h"
#include "kernels/dispatch.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot {

namespace {

int32_t ThreadsOrAll(int32_t n_threads) { return n_threads > 0 ? n_threads : kernels::DefaultThreadCount(); }

}  // namespace

std::unique_ptr<Model> Model::Load(const std::string& path, const ModelLoadOptions& options) {
  std::unique_ptr<Model> model(new Model());
  model->path_ = path;
  model->file_ = OpenModelFile(path);
  model->tensor_used_.assign(model->file_.tensors().size(), false);
  if (model->file_.gguf) {
    // A GGUF file has its vocabulary; a tokenizer given anyway must at least exist.
    if (!options.tokenizer_path.empty()) ReadFileMagic(options.tokenizer_path);
    model->LoadGguf(options);
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
  model->file_.gguf = GgufFile::FromMemory(data, size, name);
  model->tensor_used_.assign(model->file_.tensors().size(), false);
  model->LoadGguf(options);
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
  if (selection.table == nullptr) {
    throw Error(std::string("kernel selection: ") + selection.error, ErrorKind::kInvalidArgument);
  }
  kernel_table_ = selection.table;
  if (options.prepare_int8 && int8_ == nullptr) int8_ = QuantizeModel(config_, *this, options.formats, ThreadsOrAll(options.n_threads));
}

void Model::LoadGguf(const ModelLoadOptions& options) {
  const GgufFile& g = *file_.gguf;
  format_ = "GGUF v" + std::to_string(g.version());
  // An int8 file written by quantize is verified (hashes) before any of its keys is trusted.
  if (IsIngotGguf(g)) {
    VerifyIngotGguf(g, ThreadsOrAll(options.n_threads));
    config_ = ReadGgufConfig(g);
    LoadIngotGguf(options);
    return;
  }
  config_ = ReadGgufConfig(g);
  const std::string embd_name = TensorName(-1, Tensors().inputs[0].name, kWeightSuffix);
  const GgufTensorInfo& embd = g.RequireTensor(embd_name);
  if (embd.dims.size() != 2) throw Error(path_ + ": tensor '" + embd_name + "' is not a matrix");
  config_.n_vocab = CheckedDim(path_, embd_name + " rows", static_cast<int64_t>(embd.dims[1]));
  ValidateConfig(path_, config_);
  weight_bytes_ = BindFloatWeights(config_, file_, *this, tensor_used_, ThreadsOrAll(options.n_threads));
  tokenizer_ = Tokenizer::FromGguf(g);
  tokenizer_source_ = "GGUF metadata";
}

// An int8 file written by quantize (already verified): no float matrices to bind; the int8
// weights come from the file (prepare_int8 is implied).
void Model::LoadIngotGguf(const ModelLoadOptions&) {
  const GgufFile& g = *file_.gguf;
  const std::string vocab_key = VocabSizeKey(config_);
  config_.n_vocab = CheckedDim(path_, vocab_key, g.RequireInt(vocab_key));
  ValidateConfig(path_, config_);
  int8_ = LoadIngotWeights(g, config_, *this, tensor_used_);
  for (const GgufTensorInfo& t : g.tensors()) weight_bytes_ += t.n_bytes;
  tokenizer_ = LoadIngotTokenizer(g);
  tokenizer_source_ = g.Find(kIngotSpmModelKey) ? "GGUF metadata (sentencepiece model)" : "GGUF metadata";
}

void Model::LoadLlama2c(const ModelLoadOptions& options) {
  format_ = "llama2.c";
  config_ = Llama2cModelConfig(file_.llama2c->config());
  ValidateConfig(path_, config_);
  weight_bytes_ = BindFloatWeights(config_, file_, *this, tensor_used_, ThreadsOrAll(options.n_threads));

  std::string tokenizer_path = options.tokenizer_path;
  if (tokenizer_path.empty()) tokenizer_path = FindTokenizerNextTo(path_, config_.n_vocab);
  if (tokenizer_path.empty()) {
    throw Error(path_ + ": a llama2.c checkpoint has no vocabulary and no tokenizer was found next to it "
                "(looked for tokenizer.model and tok" + std::to_string(config_.n_vocab) +
                ".model in its folder); pass --tokenizer PATH");
  }
  tokenizer_ = Tokenizer::FromFile(tokenizer_path);
  tokenizer_source_ = tokenizer_path;
}

}  // namespace ingot
