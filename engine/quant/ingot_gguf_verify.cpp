// The ingot GGUF's hashes: the metadata hash over the canonical header, one XXH3-64 per tensor,
// and the checks made before any key of a file is trusted.
#include <xxhash.h>

#include <cstdio>
#include <optional>

#include "engine/quant/ingot_gguf.h"
#include "kernels/parallel.h"
#include "model_io/error.h"
#include "model_io/gguf_encoding.h"

namespace ingot {

namespace {

std::string Hex(uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(v));
  return text;
}

// A gguf_encoding sink that feeds XXH3-64.
class HeaderHasher {
 public:
  HeaderHasher() : state_(XXH3_createState()) {
    if (state_ == nullptr) throw Error("cannot allocate an XXH3 state");
    XXH3_64bits_reset(state_);
  }
  ~HeaderHasher() { XXH3_freeState(state_); }
  HeaderHasher(const HeaderHasher&) = delete;
  HeaderHasher& operator=(const HeaderHasher&) = delete;

  void Bytes(const void* data, uint64_t n) { XXH3_64bits_update(state_, data, static_cast<size_t>(n)); }
  uint64_t Digest() const { return XXH3_64bits_digest(state_); }

 private:
  XXH3_state_t* state_;
};

}  // namespace

bool IsIngotGguf(const GgufFile& gguf) { return gguf.Find(kIngotFormatVersionKey) != nullptr; }

uint64_t IngotMetadataHash(const std::vector<GgufKeyValue>& metadata, const std::vector<GgufTensorInfo>& tensors) {
  HeaderHasher h;
  for (const GgufKeyValue& kv : metadata) {
    if (kv.key != kIngotMetadataHashKey) gguf_encoding::KeyValue(h, kv.key, kv.value);
  }
  for (const GgufTensorInfo& t : tensors) {
    gguf_encoding::String(h, t.name);
    gguf_encoding::Scalar(h, static_cast<uint32_t>(t.dims.size()));
    for (const uint64_t d : t.dims) gguf_encoding::Scalar(h, d);
    gguf_encoding::Scalar(h, static_cast<uint32_t>(t.type));
  }
  return h.Digest();
}

std::vector<uint64_t> HashTensors(int64_t n, int32_t n_threads, const std::function<TensorBytes(int64_t)>& tensor,
                                  const std::function<void(int64_t)>& after) {
  std::vector<uint64_t> hashes(static_cast<size_t>(n));
  // Tensors differ in size by orders of magnitude: each thread takes the next one.
  kernels::ParallelForEach(n, n_threads, [&](int64_t i) {
    const TensorBytes bytes = tensor(i);
    hashes[static_cast<size_t>(i)] = XXH3_64bits(bytes.data, bytes.size);
    if (after) after(i);
  });
  return hashes;
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
  // One pass over the mapped bytes, no copy; each tensor's pages are let go once hashed, so
  // RSS stays at the weights actually loaded.
  const std::vector<uint64_t> actual = HashTensors(
      static_cast<int64_t>(tensors.size()), n_threads,
      [&](int64_t i) {
        const GgufTensorInfo& t = tensors[static_cast<size_t>(i)];
        return TensorBytes{gguf.TensorData(t), t.n_bytes};
      },
      [&](int64_t i) { gguf.ReleaseTensorPages(tensors[static_cast<size_t>(i)]); });
  std::vector<IngotHashCheck> checks;
  checks.reserve(tensors.size() + 1);
  checks.push_back({"metadata", IngotMetadataHash(gguf.metadata(), tensors), static_cast<uint64_t>(metadata_hash->int_value)});
  for (size_t i = 0; i < tensors.size(); ++i) {
    checks.push_back({tensors[i].name, actual[i], static_cast<uint64_t>(tensor_hashes->ints[i])});
  }
  return checks;
}

void VerifyIngotGguf(const GgufFile& g, int32_t n_threads) {
  const std::string& path = g.path();
  const std::optional<int64_t> version = g.GetInt(kIngotFormatVersionKey);
  if (version != kFormatVersion && version != kFormatVersionCodes) {
    throw Error(path + ": ingot.format_version " + (version ? std::to_string(*version) : "?") +
                " is not supported (this build reads versions " + std::to_string(kFormatVersion) + " and " +
                std::to_string(kFormatVersionCodes) + ")");
  }
  for (const IngotHashCheck& check : CheckIngotHashes(g, n_threads)) {
#ifdef INGOT_FUZZ_SKIP_HASH_CHECKS
    continue;  // fuzz builds only (CMake's INGOT_FUZZ): mutated files reach the checks behind the hashes
#endif
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

}  // namespace ingot
