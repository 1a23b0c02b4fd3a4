// The C API's model files (ingot_file_*): a file's structure read without loading the model
// (what `inspect` shows), and the hash check of an ingot GGUF.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/guard.h"
#include "engine/quant/ingot_gguf.h"
#include "ingot/ingot.h"
#include "model_io/model_file.h"

struct ingot_file {
  ingot::ModelFile file;
  struct Entry {
    std::string key, type, value;
  };
  std::vector<Entry> metadata;  // GGUF key/values, or the llama2.c header's fields
  std::vector<ingot::IngotHashCheck> checks;  // of the last ingot_file_verify (never empty after one)
};

namespace {

template <typename T>
const T& At(const std::vector<T>& items, int64_t index) {
  return items[RequireIndex(index, items.size())];
}

// What ingot_file_get_metadata lists: a GGUF file's key/values, or a llama2.c header's fields.
std::vector<ingot_file::Entry> MetadataEntries(const ingot::ModelFile& f) {
  std::vector<ingot_file::Entry> entries;
  if (f.gguf) {
    for (const ingot::GgufKeyValue& kv : f.gguf->metadata()) {
      entries.push_back({kv.key, ingot::GgufValueTypeName(kv.value.type), kv.value.ToString()});
    }
    return entries;
  }
  const ingot::Llama2cConfig& c = f.llama2c->config();
  for (const auto& [key, value] : {std::pair<const char*, int32_t>{"dim", c.dim}, {"hidden_dim", c.hidden_dim},
                                   {"n_layers", c.n_layers}, {"n_heads", c.n_heads}, {"n_kv_heads", c.n_kv_heads},
                                   {"vocab_size", c.vocab_size}, {"seq_len", c.seq_len}}) {
    entries.push_back({key, "i32", std::to_string(value)});
  }
  entries.push_back({"shared_classifier", "bool", c.shared_classifier ? "true" : "false"});
  return entries;
}

// Where tensor offsets count from: a GGUF file's data section, a llama2.c file's start.
uint64_t DataOffset(const ingot_file& f) { return f.file.gguf ? f.file.gguf->data_offset() : 0; }

}  // namespace

extern "C" {

int32_t ingot_file_open(const char* path, ingot_file** file) {
  return Guard("ingot_file_open", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(path, "path");
    Require(file, "file");
    auto f = std::make_unique<ingot_file>();
    f->file = ingot::OpenModelFile(path);
    f->metadata = MetadataEntries(f->file);
    *file = f.release();
  });
}

int32_t ingot_file_free(ingot_file* file) {
  delete file;
  return INGOT_OK;
}

int32_t ingot_file_get_info(const ingot_file* file, ingot_file_info* info) {
  return Guard("ingot_file_get_info", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(info, "info");
    const ingot::GgufFile* g = file->file.gguf.get();
    info->format = g != nullptr ? "GGUF" : "llama2.c";
    info->version = g != nullptr ? static_cast<int32_t>(g->version()) : 0;
    info->file_size = g != nullptr ? g->file_size() : file->file.llama2c->file_size();
    info->alignment = g != nullptr ? g->alignment() : 0;
    info->data_offset = DataOffset(*file);
    info->n_metadata = static_cast<int64_t>(file->metadata.size());
    info->n_tensors = static_cast<int64_t>(file->file.tensors().size());
    info->has_hashes = g != nullptr && ingot::IsIngotGguf(*g) ? 1 : 0;
  });
}

int32_t ingot_file_get_metadata(const ingot_file* file, int64_t index, ingot_metadata_entry* entry) {
  return Guard("ingot_file_get_metadata", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(entry, "entry");
    const ingot_file::Entry& e = At(file->metadata, index);
    entry->key = e.key.c_str();
    entry->type = e.type.c_str();
    entry->value = e.value.c_str();
  });
}

int32_t ingot_file_get_tensor(const ingot_file* file, int64_t index, ingot_tensor_info* tensor) {
  return Guard("ingot_file_get_tensor", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(tensor, "tensor");
    const ingot::GgufTensorInfo& t = At(file->file.tensors(), index);
    if (t.dims.size() > INGOT_MAX_DIMS) Fail(INGOT_ERROR_INTERNAL, "tensor '" + t.name + "' has more than 4 dims");
    tensor->name = t.name.c_str();
    tensor->type = ingot::GgmlTypeName(t.type);
    tensor->n_dims = static_cast<int32_t>(t.dims.size());
    for (size_t d = 0; d < INGOT_MAX_DIMS; ++d) tensor->dims[d] = d < t.dims.size() ? t.dims[d] : 1;
    tensor->n_elements = t.n_elements;
    tensor->offset = DataOffset(*file) + t.offset;
    tensor->n_bytes = t.n_bytes;
  });
}

int32_t ingot_file_verify(ingot_file* file, int32_t n_threads, int64_t* n_checks, int64_t* n_failed) {
  return Guard("ingot_file_verify", INGOT_ERROR_MODEL_FORMAT, [&] {
    Require(file, "file");
    RequireThreads(n_threads);
    if (file->file.gguf == nullptr) {
      Fail(INGOT_ERROR_UNSUPPORTED, file->file.llama2c->path() + ": a llama2.c checkpoint has no hashes "
                                                           "(only ingot GGUF files written by quantize do)");
    }
    if (!ingot::IsIngotGguf(*file->file.gguf)) {
      Fail(INGOT_ERROR_UNSUPPORTED, file->file.gguf->path() + ": not an ingot GGUF (no " +
                                        ingot::kIngotFormatVersionKey + " key): only files written by quantize carry hashes");
    }
    file->checks = ingot::CheckIngotHashes(*file->file.gguf, n_threads);
    const auto failed = std::count_if(file->checks.begin(), file->checks.end(), [](const auto& c) { return !c.ok(); });
    if (n_checks != nullptr) *n_checks = static_cast<int64_t>(file->checks.size());
    if (n_failed != nullptr) *n_failed = static_cast<int64_t>(failed);
  });
}

int32_t ingot_file_get_hash_check(const ingot_file* file, int64_t index, ingot_hash_check* check) {
  return Guard("ingot_file_get_hash_check", INGOT_ERROR_INTERNAL, [&] {
    Require(file, "file");
    RequireSize(check, "check");
    if (file->checks.empty()) Fail(INGOT_ERROR_INVALID_STATE, "no checks yet: call ingot_file_verify first");
    const ingot::IngotHashCheck& c = At(file->checks, index);
    check->name = c.name.c_str();
    check->ok = c.ok() ? 1 : 0;
    check->expected = c.expected;
    check->actual = c.actual;
  });
}

}  // extern "C"
