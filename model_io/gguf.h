// GGUF v2/v3 reader (over mmap) and writer.
//
// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
//   magic "GGUF", u32 version, u64 n_tensors, u64 n_kv, then n_kv key/value pairs,
//   then n_tensors tensor infos (name, u32 n_dims, u64 dims[n_dims], u32 type, u64 offset),
//   padding to general.alignment (default 32), then the data section.
// dims[0] is the contiguous dimension: a weight W[n_out][n_in] is stored with dims {n_in, n_out}.
//
// Everything is validated at Open(): any error is an ingot::Error whose message starts with
// the file's path and names what is wrong. Nothing in a file can make the reader crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingot {

// ggml tensor types. Only the ones marked "supported" can be dequantized to float; I8 and I32
// are used raw; the others are known so that files holding them can still be listed (inspect)
// and rejected by name. GetTypeTraits also knows TQ1_0 (34), TQ2_0 (35) and MXFP4 (39).
enum class GgmlType : uint32_t {
  kF32 = 0,    // supported
  kF16 = 1,    // supported
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,   // supported: blocks of 32 {f16 d; int8 qs[32]}
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,    // used raw (int8; ingot's quantized weights), not by DequantizeRow
  kI16 = 25,
  kI32 = 26,   // used raw (int32; ingot's scales and sums), not by DequantizeRow
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,  // supported
};

struct GgmlTypeTraits {
  const char* name;      // "F32", "Q8_0", ...
  uint32_t block_size;   // elements per block (1 for plain types)
  uint32_t type_size;    // bytes per block
};
// nullptr for an id that is not a ggml type.
const GgmlTypeTraits* GetTypeTraits(uint32_t type);
const char* GgmlTypeName(GgmlType type);
// True for F32, F16, BF16, Q8_0 (the types DequantizeRow handles).
bool IsFloatDequantizable(GgmlType type);
// Bytes used by n elements of the type (n must be a multiple of the block size).
uint64_t RowBytes(GgmlType type, uint64_t n);

// Converts n elements (a multiple of the block size) of a supported type to float.
void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);
// The first of n elements (a multiple of the block size) of a supported type that is NaN or
// infinite, or -1; for Q8_0, the first element of a block whose scale is. Bit tests only, no
// conversion: cheap enough to run over every weight at load.
int64_t FindNonFinite(GgmlType type, const void* data, int64_t n);
// n values of the named tensor (a norm weight or a bias) as float, refused when any is NaN or
// infinite: Error "<path>: tensor '<name>' holds a non-finite value (nan at element 3)".
std::vector<float> DequantizeFiniteVector(const std::string& path, const std::string& name, GgmlType type,
                                          const void* data, int64_t n);
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);  // round to nearest even
float Bf16ToFloat(uint16_t h);

enum class GgufValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
const char* GgufValueTypeName(GgufValueType type);
// f32 or f64: the types a GgufValue keeps in float_value (or floats).
bool IsFloatValueType(GgufValueType type);

// An owned metadata value. Integer types and bool live in int_value (u64 values keep their
// bits), f32/f64 in float_value. An array keeps its element type and exactly one of the
// vectors filled: ints (integer and bool elements), floats, strings, or arrays (nested).
struct GgufValue {
  GgufValueType type = GgufValueType::kU32;
  int64_t int_value = 0;
  double float_value = 0.0;
  std::string string_value;
  GgufValueType elem_type = GgufValueType::kU8;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<GgufValue> arrays;

  uint64_t ArraySize() const;
  // Short human-readable form for inspect: scalars in full, arrays as "[type x N] first items...".
  std::string ToString(size_t max_items = 8) const;

  static GgufValue U32(uint32_t v);
  static GgufValue I32(int32_t v);
  static GgufValue U64(uint64_t v);
  static GgufValue F32(float v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue StringArray(std::vector<std::string> v);
  static GgufValue F32Array(std::vector<float> v);
  static GgufValue I32Array(std::vector<int32_t> v);
  static GgufValue U64Array(std::vector<uint64_t> v);  // elements keep their bits in ints
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

// A tensor's dims for messages: "[4096, 32000]" (dims[0] first).
std::string ShapeText(const std::vector<uint64_t>& dims);

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::kF32;
  std::vector<uint64_t> dims;  // dims[0] contiguous
  uint64_t n_elements = 0;
  uint64_t offset = 0;         // from the start of the data section
  uint64_t n_bytes = 0;
};

class MappedFile;

// The first four bytes of a file ("GGUF" for a GGUF file; fewer for a shorter file), used to
// tell model formats apart. Error "<path>: ..." for a missing path, a directory or an
// unreadable file.
std::string ReadFileMagic(const std::string& path);

class GgufFile {
 public:
  // Maps and validates the file. Throws ingot::Error("<path>: <problem>").
  static std::unique_ptr<GgufFile> Open(const std::string& path);
  // Parses a caller-owned buffer that must outlive the GgufFile (no copy). `name` is used in messages.
  static std::unique_ptr<GgufFile> FromMemory(const void* data, size_t size, std::string name);
  ~GgufFile();

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t file_size() const { return size_; }
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  const GgufValue* Find(std::string_view key) const;

  // Typed getters: nullopt when the key is absent; an Error naming the file, the key and both
  // types when the key holds an incompatible type. GetInt accepts every integer type,
  // GetFloat accepts f32/f64 and integers.
  std::optional<int64_t> GetInt(std::string_view key) const;
  std::optional<double> GetFloat(std::string_view key) const;
  std::optional<bool> GetBool(std::string_view key) const;
  std::optional<std::string> GetString(std::string_view key) const;
  // Arrays: nullopt when absent; Error when not an array of the right element kind.
  std::optional<std::vector<std::string>> GetStringArray(std::string_view key) const;
  std::optional<std::vector<double>> GetFloatArray(std::string_view key) const;
  std::optional<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  // Like the getters, but a missing key is an Error: "<path>: missing required key '<key>'".
  int64_t RequireInt(std::string_view key) const;
  double RequireFloat(std::string_view key) const;
  std::string RequireString(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // Error "<path>: missing tensor '<name>'" when absent.
  const GgufTensorInfo& RequireTensor(std::string_view name) const;
  const uint8_t* TensorData(const GgufTensorInfo& info) const;
  // Lets go of the tensor's mapped pages after a one-time read (see MappedFile::ReleasePages).
  void ReleaseTensorPages(const GgufTensorInfo& info) const;

 private:
  GgufFile() = default;
  void Parse();

  std::string path_;
  std::unique_ptr<MappedFile> map_;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  // Name -> index into metadata_ / tensors_; std::less<> allows lookup by string_view.
  std::map<std::string, size_t, std::less<>> key_index_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// Writes a GGUF v3 file. Tensor data comes from a caller pointer (kept alive until Write)
// or from a generator called once, at write time, with the tensor's destination bytes, so
// multi-gigabyte random models can be written without holding them in memory.
class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32);

  // Adds or replaces a key (keys keep their first insertion order).
  void Set(std::string key, GgufValue value);
  void AddTensor(std::string name, GgmlType type, std::vector<uint64_t> dims, const void* data);
  using Generator = std::function<void(uint8_t* dst, uint64_t n_bytes)>;
  void AddTensor(std::string name, GgmlType type, std::vector<uint64_t> dims, Generator generate);

  // Writes to "<path>.tmp" and renames over path, so a failed write never leaves a half file.
  // Throws ingot::Error naming the path.
  void Write(const std::string& path) const;

 private:
  struct PendingTensor {
    GgufTensorInfo info;
    const void* data = nullptr;
    Generator generate;
  };
  uint32_t alignment_;
  std::vector<GgufKeyValue> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace ingot
