// GGUF v2/v3 reader: validates everything at Open() so that later accesses cannot fault.
//
// Every count read from the file is checked against the bytes that remain before anything is
// allocated for it, so a few corrupted bytes can never ask for a huge allocation.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/gguf_cursor.h"
#include "model_io/mapped_file.h"

namespace ingot {

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian and ingot reads it in place: big-endian hosts are unsupported");

namespace {

using gguf_cursor::Cursor;

constexpr uint32_t kMaxArrayDepth = 8;  // ggml writes flat arrays; 8 is generous
constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kLastValueType = static_cast<uint32_t>(GgufValueType::kF64);
// Smallest possible encodings, used to bound counts by the bytes left in the file.
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;         // key length, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name length, n_dims, 1 dim, type, offset
// What one name -> position entry of an index costs besides its string: a std::map node.
constexpr uint64_t kIndexNodeBytes = 48 + sizeof(std::string) + sizeof(size_t);

// Keys and names come from the file: keep messages on one line and of bounded length.
std::string Printable(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  constexpr size_t kMaxShown = 80;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return out;
}

std::string Quoted(std::string_view s) { return "'" + Printable(s) + "'"; }

uint64_t MinEncodedBytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kBool: return 1;
    case GgufValueType::kU16: case GgufValueType::kI16: return 2;
    case GgufValueType::kU32: case GgufValueType::kI32: case GgufValueType::kF32: return 4;
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kF64: return 8;
    case GgufValueType::kString: return 8;   // length only
    case GgufValueType::kArray: return 12;   // element type + count
  }
  return 1;
}

GgufValueType ReadValueType(Cursor& cur, const char* what) {
  const uint64_t at = cur.offset();
  const auto id = cur.Read<uint32_t>(what);
  if (id > kLastValueType) {
    cur.Fail("unknown " + std::string(what) + " " + std::to_string(id) + " at offset " +
             std::to_string(at) + " (known: 0..12)");
  }
  return static_cast<GgufValueType>(id);
}

// Reads one integer or bool of `type` into int64 (u64 keeps its bits).
int64_t ReadInteger(Cursor& cur, GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8: return cur.Read<uint8_t>("u8 value");
    case GgufValueType::kI8: return cur.Read<int8_t>("i8 value");
    case GgufValueType::kU16: return cur.Read<uint16_t>("u16 value");
    case GgufValueType::kI16: return cur.Read<int16_t>("i16 value");
    case GgufValueType::kU32: return cur.Read<uint32_t>("u32 value");
    case GgufValueType::kI32: return cur.Read<int32_t>("i32 value");
    case GgufValueType::kU64: return static_cast<int64_t>(cur.Read<uint64_t>("u64 value"));
    case GgufValueType::kI64: return cur.Read<int64_t>("i64 value");
    // ggml writes 0 or 1; any other byte is read as true, as llama.cpp does.
    case GgufValueType::kBool: return cur.Read<uint8_t>("bool value") != 0 ? 1 : 0;
    default: cur.Fail("internal: not an integer type");
  }
}

double ReadFloat(Cursor& cur, GgufValueType type) {
  if (type == GgufValueType::kF32) return cur.Read<float>("f32 value");
  return cur.Read<double>("f64 value");
}

// `depth` is this array's nesting level: 1 for an array value, 2 for an array inside it...
GgufValue ReadArray(Cursor& cur, uint32_t depth);

// A metadata value of `type` (the value itself, after its type id).
GgufValue ReadValue(Cursor& cur, GgufValueType type) {
  if (type == GgufValueType::kArray) return ReadArray(cur, 1);
  GgufValue value;
  value.type = type;
  if (type == GgufValueType::kString) {
    value.string_value = cur.ReadString("string");
  } else if (IsFloatValueType(type)) {
    value.float_value = ReadFloat(cur, type);
  } else {
    value.int_value = ReadInteger(cur, type);
  }
  return value;
}

GgufValue ReadArray(Cursor& cur, uint32_t depth) {
  GgufValue value;
  value.type = GgufValueType::kArray;
  value.elem_type = ReadValueType(cur, "array element type");
  if (value.elem_type == GgufValueType::kArray && depth >= kMaxArrayDepth) {
    cur.Fail("arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels at offset " +
             std::to_string(cur.offset()));
  }
  const uint64_t at = cur.offset();
  const auto count = cur.Read<uint64_t>("array count");
  cur.CheckCount(count, MinEncodedBytes(value.elem_type),
                 std::string("array of ") + GgufValueTypeName(value.elem_type) + ": count", at);
  const auto n = static_cast<size_t>(count);
  switch (value.elem_type) {
    case GgufValueType::kString:
      cur.Charge(n, sizeof(std::string));
      value.strings.reserve(n);
      for (size_t i = 0; i < n; ++i) value.strings.push_back(cur.ReadString("string"));
      break;
    case GgufValueType::kArray:
      cur.Charge(n, sizeof(GgufValue));
      value.arrays.reserve(n);
      for (size_t i = 0; i < n; ++i) value.arrays.push_back(ReadArray(cur, depth + 1));
      break;
    case GgufValueType::kF32: case GgufValueType::kF64:
      cur.Charge(n, sizeof(double));
      value.floats.reserve(n);
      for (size_t i = 0; i < n; ++i) value.floats.push_back(ReadFloat(cur, value.elem_type));
      break;
    default:
      cur.Charge(n, sizeof(int64_t));
      value.ints.reserve(n);
      for (size_t i = 0; i < n; ++i) value.ints.push_back(ReadInteger(cur, value.elem_type));
      break;
  }
  return value;
}

bool IsInteger(GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kU16:
    case GgufValueType::kI16: case GgufValueType::kU32: case GgufValueType::kI32:
    case GgufValueType::kU64: case GgufValueType::kI64:
      return true;
    default:
      return false;
  }
}

std::string TypeDescription(const GgufValue& value) {
  if (value.type != GgufValueType::kArray) return GgufValueTypeName(value.type);
  return std::string("array of ") + GgufValueTypeName(value.elem_type);
}

std::string HexBytes(const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

// a * b, or false when it overflows uint64.
bool MultiplyChecked(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

struct Counts {
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
};

uint32_t ReadVersion(Cursor& cur) {
  const auto version = cur.Read<uint32_t>("version");
  if (version == 2 || version == 3) return version;
  if (version == 1) {
    cur.Fail("unsupported GGUF version 1 (v1 used 32-bit counts; re-convert the model with a "
             "current llama.cpp)");
  }
  // A big-endian GGUF (written for s390x) has the magic in byte order but a swapped version.
  const uint32_t swapped = __builtin_bswap32(version);
  if (swapped == 2 || swapped == 3) {
    cur.Fail("unsupported GGUF version " + std::to_string(version) + " (looks like a big-endian v" +
             std::to_string(swapped) + " file; only little-endian GGUF is supported)");
  }
  cur.Fail("unsupported GGUF version " + std::to_string(version) + " (supported: 2, 3)");
}

Counts ReadCounts(Cursor& cur) {
  Counts counts;
  const uint64_t tensors_at = cur.offset();
  counts.n_tensors = cur.Read<uint64_t>("tensor count");
  const uint64_t kv_at = cur.offset();
  counts.n_kv = cur.Read<uint64_t>("metadata key/value count");
  // Quick sanity checks before anything is read; the tensor count is checked again,
  // exactly, once the metadata has been read.
  cur.CheckCount(counts.n_kv, kMinKeyValueBytes, "metadata key/value count", kv_at);
  cur.CheckCount(counts.n_tensors, kMinTensorInfoBytes, "tensor count", tensors_at);
  return counts;
}

// The name of entry i, read as `field` with the context "<entry> <i>"; messages then speak of
// "<named> '<name>'".
std::string ReadEntryName(Cursor& cur, const char* entry, uint64_t i, const char* field, const char* named) {
  cur.SetContext(std::string(entry) + " " + std::to_string(i));
  std::string name = cur.ReadString(field);
  cur.SetContext(std::string(named) + " " + Quoted(name));
  return name;
}

// Adds name -> position to index; a name seen before fails with "duplicate <what> <first> and
// <position>)".
void IndexUnique(Cursor& cur, std::map<std::string, size_t, std::less<>>& index, const std::string& name,
                 uint64_t position, const char* what) {
  const auto [it, inserted] = index.emplace(name, static_cast<size_t>(position));
  if (!inserted) {
    cur.Fail(std::string("duplicate ") + what + " " + std::to_string(it->second) + " and " + std::to_string(position) + ")");
  }
}

void ReadMetadata(Cursor& cur, uint64_t n_kv, std::vector<GgufKeyValue>& metadata,
                  std::map<std::string, size_t, std::less<>>& index) {
  cur.Charge(n_kv, sizeof(GgufKeyValue) + kIndexNodeBytes);
  metadata.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    GgufKeyValue kv;
    kv.key = ReadEntryName(cur, "metadata key", i, "key", "key");
    const GgufValueType type = ReadValueType(cur, "value type");
    kv.value = ReadValue(cur, type);
    IndexUnique(cur, index, kv.key, i, "key (metadata entries");
    metadata.push_back(std::move(kv));
  }
  cur.SetContext("");
}

uint64_t ReadAlignment(Cursor& cur, const std::vector<GgufKeyValue>& metadata,
                       const std::map<std::string, size_t, std::less<>>& index) {
  const auto it = index.find("general.alignment");
  if (it == index.end()) return kDefaultAlignment;
  const GgufValue& value = metadata[it->second].value;
  cur.SetContext("key 'general.alignment'");
  if (value.type != GgufValueType::kU32) {
    cur.Fail(std::string("must be u32, found ") + TypeDescription(value));
  }
  const auto alignment = static_cast<uint64_t>(value.int_value);
  if (!std::has_single_bit(alignment)) {
    cur.Fail("alignment " + std::to_string(alignment) + " is not a non-zero power of two");
  }
  cur.SetContext("");
  return alignment;
}

// Reads dims, checks them and fills n_elements.
void ReadShape(Cursor& cur, GgufTensorInfo& info) {
  const uint64_t n_dims_at = cur.offset();
  const auto n_dims = cur.Read<uint32_t>("n_dims");
  if (n_dims < 1 || n_dims > kMaxDims) {
    cur.Fail("n_dims " + std::to_string(n_dims) + " at offset " + std::to_string(n_dims_at) +
             " is out of range 1.." + std::to_string(kMaxDims));
  }
  cur.Charge(n_dims, sizeof(uint64_t));
  info.dims.resize(n_dims);
  for (uint32_t d = 0; d < n_dims; ++d) info.dims[d] = cur.Read<uint64_t>("dimension");

  uint64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    if (info.dims[d] == 0) {
      cur.Fail("dimension " + std::to_string(d) + " is 0 (dims " + ShapeText(info.dims) + ")");
    }
    // int64 bound: element counts are passed around as int64_t (ggml uses int64 too).
    if (!MultiplyChecked(n_elements, info.dims[d], &n_elements) ||
        n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      cur.Fail("element count of dims " + ShapeText(info.dims) + " overflows int64");
    }
  }
  info.n_elements = n_elements;
}

void ReadTypeAndSize(Cursor& cur, GgufTensorInfo& info) {
  const uint64_t type_at = cur.offset();
  const auto type_id = cur.Read<uint32_t>("tensor type");
  const GgmlTypeTraits* traits = GetTypeTraits(type_id);
  if (traits == nullptr) {
    cur.Fail("unknown ggml tensor type id " + std::to_string(type_id) + " at offset " +
             std::to_string(type_at));
  }
  info.type = static_cast<GgmlType>(type_id);
  if (info.dims[0] % traits->block_size != 0) {
    cur.Fail("row length " + std::to_string(info.dims[0]) + " (dims[0]) is not a multiple of the " +
             traits->name + " block size " + std::to_string(traits->block_size));
  }
  // n_elements < 2^63 and type_size / block_size <= 8, but check rather than argue.
  if (!MultiplyChecked(info.n_elements / traits->block_size, traits->type_size, &info.n_bytes)) {
    cur.Fail("byte size of dims " + ShapeText(info.dims) + " overflows uint64");
  }
}

void ReadTensorInfos(Cursor& cur, uint64_t n_tensors, std::vector<GgufTensorInfo>& tensors,
                     std::map<std::string, size_t, std::less<>>& index) {
  cur.CheckCount(n_tensors, kMinTensorInfoBytes, "tensor count", 8);
  cur.Charge(n_tensors, sizeof(GgufTensorInfo) + kIndexNodeBytes);
  tensors.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo info;
    info.name = ReadEntryName(cur, "tensor info", i, "tensor name", "tensor");
    ReadShape(cur, info);
    ReadTypeAndSize(cur, info);
    info.offset = cur.Read<uint64_t>("tensor data offset");
    IndexUnique(cur, index, info.name, i, "tensor name (tensor infos");
    tensors.push_back(std::move(info));
  }
  cur.SetContext("");
}

void CheckTensorData(Cursor& cur, const std::vector<GgufTensorInfo>& tensors, uint64_t data_offset,
                     uint64_t alignment, uint64_t file_size) {
  for (const GgufTensorInfo& info : tensors) {
    cur.SetContext("tensor " + Quoted(info.name));
    if (info.offset % alignment != 0) {
      cur.Fail("data offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
               std::to_string(alignment));
    }
    // Compare against what is left after the data section start, term by term, so that no
    // sum of file-controlled values can overflow.
    const uint64_t available = file_size > data_offset ? file_size - data_offset : 0;
    if (info.offset > available || info.n_bytes > available - info.offset) {
      cur.Fail("data runs past end of file (data section at " + std::to_string(data_offset) +
               " + offset " + std::to_string(info.offset) + " + " + std::to_string(info.n_bytes) +
               " bytes > file size " + std::to_string(file_size) + ")");
    }
  }
  cur.SetContext("");
}

}  // namespace

std::unique_ptr<GgufFile> GgufFile::Open(const std::string& path) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = path;
  file->map_ = MappedFile::Open(path);
  file->base_ = file->map_->data();
  file->size_ = file->map_->size();
  file->Parse();
  return file;
}

std::unique_ptr<GgufFile> GgufFile::FromMemory(const void* data, size_t size, std::string name) {
  if (data == nullptr && size > 0) throw Error(name + ": null buffer of " + std::to_string(size) + " bytes");
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = std::move(name);
  static const uint8_t kEmpty = 0;
  file->base_ = data != nullptr ? static_cast<const uint8_t*>(data) : &kEmpty;
  file->size_ = size;
  file->Parse();
  return file;
}

GgufFile::~GgufFile() = default;

void GgufFile::Parse() {
  Cursor cur(path_, base_, size_);
  if (size_ == 0) cur.Fail("empty file (0 bytes), not a GGUF file");
  if (size_ < 4) cur.Fail("not a GGUF file (only " + std::to_string(size_) + " bytes)");
  if (std::memcmp(base_, "GGUF", 4) != 0) {
    cur.Fail("not a GGUF file (magic " + HexBytes(base_, 4) + " \"" +
             Printable(std::string_view(reinterpret_cast<const char*>(base_), 4)) +
             "\", expected 47 47 55 46 \"GGUF\")");
  }
  cur.Read<uint32_t>("magic");

  version_ = ReadVersion(cur);
  const Counts counts = ReadCounts(cur);
  ReadMetadata(cur, counts.n_kv, metadata_, key_index_);
  alignment_ = ReadAlignment(cur, metadata_, key_index_);
  ReadTensorInfos(cur, counts.n_tensors, tensors_, tensor_index_);
  // The data section starts at the next multiple of the alignment. A file without tensors
  // may end before that padding; nothing is read from there, so that is fine.
  data_offset_ = (cur.offset() + alignment_ - 1) / alignment_ * alignment_;
  CheckTensorData(cur, tensors_, data_offset_, alignment_, size_);
}

namespace {

[[noreturn]] void FailType(const std::string& path, std::string_view key, const GgufValue& value,
                           const char* expected) {
  throw Error(path + ": key " + Quoted(key) + " has type " + TypeDescription(value) +
              ", expected " + expected);
}

// u64 keeps its bits in int64: values above INT64_MAX must not silently turn negative.
int64_t CheckedInt(const std::string& path, std::string_view key, GgufValueType type, int64_t v) {
  if (type == GgufValueType::kU64 && v < 0) {
    throw Error(path + ": key " + Quoted(key) + " value " + std::to_string(static_cast<uint64_t>(v)) +
                " (u64) does not fit in int64");
  }
  return v;
}

double IntToDouble(GgufValueType type, int64_t v) {
  return type == GgufValueType::kU64 ? static_cast<double>(static_cast<uint64_t>(v))
                                     : static_cast<double>(v);
}

}  // namespace

const GgufValue* GgufFile::Find(std::string_view key) const {
  const auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &metadata_[it->second].value;
}

std::optional<int64_t> GgufFile::GetInt(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!IsInteger(value->type)) FailType(path_, key, *value, "an integer");
  return CheckedInt(path_, key, value->type, value->int_value);
}

std::optional<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (IsFloatValueType(value->type)) return value->float_value;
  if (IsInteger(value->type)) return IntToDouble(value->type, value->int_value);
  FailType(path_, key, *value, "a number (f32, f64 or integer)");
}

std::optional<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (value->type != GgufValueType::kBool) FailType(path_, key, *value, "bool");
  return value->int_value != 0;
}

std::optional<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (value->type != GgufValueType::kString) FailType(path_, key, *value, "string");
  return value->string_value;
}

std::optional<std::vector<std::string>> GgufFile::GetStringArray(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (value->type != GgufValueType::kArray || value->elem_type != GgufValueType::kString) {
    FailType(path_, key, *value, "array of string");
  }
  return value->strings;
}

std::optional<std::vector<double>> GgufFile::GetFloatArray(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (value->type == GgufValueType::kArray && IsFloatValueType(value->elem_type)) return value->floats;
  if (value->type != GgufValueType::kArray || !IsInteger(value->elem_type)) {
    FailType(path_, key, *value, "array of numbers (f32, f64 or integer)");
  }
  std::vector<double> out;
  out.reserve(value->ints.size());
  for (const int64_t v : value->ints) out.push_back(IntToDouble(value->elem_type, v));
  return out;
}

std::optional<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (value->type != GgufValueType::kArray || !IsInteger(value->elem_type)) {
    FailType(path_, key, *value, "array of integers");
  }
  for (const int64_t v : value->ints) CheckedInt(path_, key, value->elem_type, v);
  return value->ints;
}

int64_t GgufFile::RequireInt(std::string_view key) const {
  const std::optional<int64_t> v = GetInt(key);
  if (!v) throw Error(path_ + ": missing required key " + Quoted(key));
  return *v;
}

double GgufFile::RequireFloat(std::string_view key) const {
  const std::optional<double> v = GetFloat(key);
  if (!v) throw Error(path_ + ": missing required key " + Quoted(key));
  return *v;
}

std::string GgufFile::RequireString(std::string_view key) const {
  std::optional<std::string> v = GetString(key);
  if (!v) throw Error(path_ + ": missing required key " + Quoted(key));
  return std::move(*v);
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::RequireTensor(std::string_view name) const {
  const GgufTensorInfo* info = FindTensor(name);
  if (info == nullptr) throw Error(path_ + ": missing tensor " + Quoted(name));
  return *info;
}

const uint8_t* GgufFile::TensorData(const GgufTensorInfo& info) const {
  // Infos of this file were bounds-checked at Open; this guards against an info from another file.
  const uint64_t available = size_ > data_offset_ ? size_ - data_offset_ : 0;
  if (info.offset > available || info.n_bytes > available - info.offset) {
    throw Error(path_ + ": tensor " + Quoted(info.name) + " lies outside this file's data section");
  }
  return base_ + data_offset_ + info.offset;
}

std::string ReadFileMagic(const std::string& path) {
  const std::unique_ptr<MappedFile> file = MappedFile::Open(path);
  return std::string(reinterpret_cast<const char*>(file->data()), std::min<size_t>(4, file->size()));
}

void GgufFile::ReleaseTensorPages(const GgufTensorInfo& info) const {
  if (map_) map_->ReleasePages(TensorData(info), info.n_bytes);
}

}  // namespace ingot
