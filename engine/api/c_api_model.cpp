// The C API's models (ingot_model_*): load, describe, free.
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include "engine/api/guard.h"
#include "engine/api/handles.h"
#include "engine/forward/fp_modules.h"
#include "engine/quant/int8_model.h"
#include "engine/session/chat.h"
#include "ingot/ingot.h"
#include "model_io/error.h"
#include "model_io/gguf.h"

namespace ingot::api {
namespace {

// API 1.1's ingot_model_params: the fields before weight_bits.
constexpr size_t kModelParamsSize11 = offsetof(ingot_model_params, weight_bits);

ModelLoadOptions LoadOptions(const ingot_model_params* params) {
  ingot_model_params p;
  ingot_model_params_init(&p);
  if (params != nullptr && params->struct_size == kModelParamsSize11) {
    std::memcpy(static_cast<void*>(&p), params, kModelParamsSize11);  // the newer fields keep their defaults
    p.struct_size = sizeof(p);
  } else {
    p = ParamsOrDefaults(params, ingot_model_params_init);
  }
  RequireThreads(p.n_threads);
  ModelLoadOptions options;
  options.tokenizer_path = p.tokenizer_path != nullptr ? p.tokenizer_path : "";
  options.isa = p.isa != nullptr ? p.isa : "";
  options.prepare_int8 = p.prepare_int8 != 0;
  options.n_threads = p.n_threads;
  if (p.weight_asym < -1 || p.weight_asym > 1) {
    throw ingot::Error("weight_asym is " + std::to_string(p.weight_asym) + "; it must be -1, 0 or 1",
                       ingot::ErrorKind::kInvalidArgument);
  }
  options.formats = WeightFormats::Parse(p.weight_bits != nullptr ? p.weight_bits : "", p.weight_group, p.weight_asym);
  return options;
}

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Loads with load(), logs what was loaded and how long it took, and gives the handle.
template <typename F>
ingot_model* NewModel(F&& load) {
  const double start = Now();
  auto handle = std::make_unique<ingot_model>();
  handle->model = load();
  const Model& m = *handle->model;
  for (const std::string& kind : FpModuleKinds(m.config())) {
    handle->fp_modules += (handle->fp_modules.empty() ? "" : ",") + kind;
  }
  handle->chat_template = ChatTemplateText(m);
  if (m.int8() != nullptr) {
    for (const auto& [name, matrix] : Int8Matrices(m.config(), *m.int8())) {
      const std::string format =
          matrix->has_codes() ? CodeFormat{matrix->codes.bits, matrix->codes.group, matrix->codes.zeros != nullptr}.Name()
                              : "int8";
      handle->matrices.push_back({name, format, matrix});
    }
  }
  const ModelConfig& c = m.config();
  Emit(INGOT_LOG_INFO, "loaded " + m.path() + " (" + m.format() + ", " + c.arch + ", " + std::to_string(c.n_layers) +
                           " layers, vocab " + std::to_string(c.n_vocab) + ") in " + std::to_string(Now() - start) +
                           " s; kernels " + m.isa_name() + (m.int8() != nullptr ? ", int8 weights ready" : ""));
  return handle.release();
}

}  // namespace

}  // namespace ingot::api


extern "C" {

int32_t ingot_model_params_init(ingot_model_params* params) {
  return Guard("ingot_model_params_init", INGOT_ERROR_INTERNAL, [&] {
    ResetParams(params);
    params->prepare_int8 = 1;
    params->weight_asym = -1;
  });
}

int32_t ingot_model_load(const char* path, const ingot_model_params* params, ingot_model** model) {
  return Guard("ingot_model_load", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(path, "path");
    Require(model, "model");
    const ingot::ModelLoadOptions options = ingot::api::LoadOptions(params);
    *model = ingot::api::NewModel([&] { return ingot::Model::Load(path, options); });
  });
}

int32_t ingot_model_load_from_memory(const void* data, size_t size, const char* name, const ingot_model_params* params,
                                     ingot_model** model) {
  return Guard("ingot_model_load_from_memory", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(data, "data");
    Require(model, "model");
    const ingot::ModelLoadOptions options = ingot::api::LoadOptions(params);
    *model = ingot::api::NewModel(
        [&] { return ingot::Model::LoadFromMemory(data, size, name != nullptr ? name : "memory", options); });
  });
}

int32_t ingot_model_get_info(const ingot_model* model, ingot_model_info* caller) {
  return Guard("ingot_model_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(model, "model");
    Require(caller, "info");
    // API 1.0's struct ended before rope_style: a program built against it gets those fields.
    constexpr size_t kSize10 = offsetof(ingot_model_info, rope_style);
    const size_t size = caller->struct_size;
    if (size != sizeof(ingot_model_info) && size != kSize10) {
      Fail(INGOT_ERROR_STRUCT_SIZE, "info->struct_size is " + std::to_string(size) + ", this library expects " +
                                        std::to_string(sizeof(ingot_model_info)) + " (or " + std::to_string(kSize10) +
                                        ", API 1.0's; set it to sizeof)");
    }
    ingot_model_info full{};  // filled whole, then copied up to the caller's size
    ingot_model_info* info = &full;
    const ingot::Model& m = *model->model;
    const ingot::ModelConfig& c = m.config();
    info->architecture = c.arch.c_str();
    info->format = m.format().c_str();
    info->isa = m.isa_name();
    info->n_vocab = c.n_vocab;
    info->n_layers = c.n_layers;
    info->d_model = c.d_model;
    info->n_heads = c.n_heads;
    info->n_kv_heads = c.n_kv_heads;
    info->d_ffn = c.d_ffn;
    info->n_ctx_train = c.n_ctx_train;
    info->bos_id = m.tokenizer().bos_id();
    info->eos_id = m.tokenizer().eos_id();
    info->add_bos = m.tokenizer().add_bos() ? 1 : 0;
    info->has_int8 = m.int8() != nullptr ? 1 : 0;
    info->has_fp32 = m.has_float_weights() ? 1 : 0;
    info->weight_bytes = m.weight_bytes();
    info->head_dim = c.head_dim;
    info->rope_dims = c.rope_dims;
    info->rope_base = c.rope_base;
    info->norm_eps = c.norm_eps;
    info->norm = c.norm == ingot::NormKind::kLayer ? "LayerNorm" : "RMSNorm";
    info->ffn = c.ffn == ingot::FfnKind::kGelu ? "GELU" : c.ffn == ingot::FfnKind::kGeGlu ? "GeGLU" : "SwiGLU";
    info->tied_output = m.tied_output() ? 1 : 0;
    info->n_params = m.n_params();
    info->tokenizer = m.tokenizer_source().c_str();
    info->fp_modules = model->fp_modules.c_str();
    info->rope_style = c.rope_dims == 0 ? "none" : c.rope_neox ? "NeoX halves" : "adjacent pairs";
    info->rope_freq_factors = m.rope_freqs.empty() ? 0 : 1;
    info->qkv_bias = c.qkv_bias ? 1 : 0;
    info->qk_norm = c.qk_norm ? 1 : 0;
    info->chat_template = model->chat_template.c_str();
    info->sliding_window = c.sliding_window;
    info->global_every = c.swa_pattern;
    info->rope_base_local = c.rope_base_local;
    info->rope_scale = c.rope_scale;
    info->embed_scaled = c.embed_scale ? 1 : 0;
    info->post_norms = c.post_norms ? 1 : 0;
    full.struct_size = size;
    std::memcpy(caller, &full, size);
  });
}

int32_t ingot_model_tensor_used(const ingot_model* model, int64_t index, int32_t* used) {
  return Guard("ingot_model_tensor_used", INGOT_ERROR_INTERNAL, [&] {
    Require(model, "model");
    Require(used, "used");
    *used = model->model->tensor_used(RequireIndex(index, model->model->tensors().size())) ? 1 : 0;
  });
}

int32_t ingot_model_n_matrices(const ingot_model* model, int64_t* n) {
  return Guard("ingot_model_n_matrices", INGOT_ERROR_INTERNAL, [&] {
    Require(model, "model");
    Require(n, "n");
    *n = static_cast<int64_t>(model->matrices.size());
  });
}

int32_t ingot_model_get_matrix(const ingot_model* model, int64_t index, ingot_matrix_info* info) {
  return Guard("ingot_model_get_matrix", INGOT_ERROR_INTERNAL, [&] {
    Require(model, "model");
    RequireSize(info, "info");
    const ingot_model::Matrix& m = model->matrices[RequireIndex(index, model->matrices.size())];
    info->name = m.name.c_str();
    info->format = m.format.c_str();
    info->bits = m.matrix->has_codes() ? m.matrix->codes.bits : 8;
    info->group = m.matrix->has_codes() ? m.matrix->codes.group : 0;
    info->rows = m.matrix->rows();
    info->cols = m.matrix->cols();
    info->bytes = m.matrix->bytes();
  });
}

int32_t ingot_model_free(ingot_model* model) {
  return Guard("ingot_model_free", INGOT_ERROR_INTERNAL, [&] {
    if (model == nullptr) return;
    const int32_t sessions = model->sessions.load();
    if (sessions > 0) {
      Fail(INGOT_ERROR_BUSY, "the model still has " + std::to_string(sessions) + " session(s): free them first");
    }
    delete model;
  });
}

}  // extern "C"
