// GGUF v3 writer. Streams through a buffered FILE*, so writing a multi-gigabyte model needs
// memory only for the largest generated tensor.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <system_error>

#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/gguf_encoding.h"

namespace ingot {

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian and ingot writes it from memory: big-endian hosts are unsupported");

namespace {

constexpr uint32_t kGgufVersion = 3;
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxArrayDepth = 8;  // the reader's limit: never write what it refuses
constexpr size_t kMaxDims = 4;
constexpr size_t kStreamBuffer = 1 << 20;
constexpr char kAlignmentKey[] = "general.alignment";

[[noreturn]] void Fail(const std::string& problem) { throw Error("GgufWriter: " + problem); }

bool IsKnownValueType(GgufValueType type) {
  return static_cast<uint32_t>(type) <= static_cast<uint32_t>(GgufValueType::kF64);
}

// Range of each integer type as stored in int64 (u64 uses all 64 bits, so any value goes).
bool FitsIntegerType(GgufValueType type, int64_t v) {
  switch (type) {
    case GgufValueType::kU8: return v >= 0 && v <= 0xff;
    case GgufValueType::kI8: return v >= -128 && v <= 127;
    case GgufValueType::kU16: return v >= 0 && v <= 0xffff;
    case GgufValueType::kI16: return v >= -32768 && v <= 32767;
    case GgufValueType::kU32: return v >= 0 && v <= 0xffffffffLL;
    case GgufValueType::kI32:
      return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
    case GgufValueType::kBool: return v == 0 || v == 1;
    default: return true;  // u64, i64
  }
}

void CheckInteger(const std::string& key, GgufValueType type, int64_t v) {
  if (!FitsIntegerType(type, v)) {
    Fail("key '" + key + "': value " + std::to_string(v) + " does not fit in " +
         GgufValueTypeName(type));
  }
}

// An array must fill only the vector its element type selects, so what is written is never
// ambiguous.
void CheckArray(const std::string& key, const GgufValue& value, uint32_t depth) {
  const GgufValueType elem = value.elem_type;
  if (!IsKnownValueType(elem)) {
    Fail("key '" + key + "': unknown array element type " +
         std::to_string(static_cast<uint32_t>(elem)));
  }
  if (elem == GgufValueType::kArray && depth >= kMaxArrayDepth) {
    Fail("key '" + key + "': arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
  }
  const bool uses_strings = elem == GgufValueType::kString;
  const bool uses_arrays = elem == GgufValueType::kArray;
  const bool uses_floats = IsFloatValueType(elem);
  const bool uses_ints = !uses_strings && !uses_arrays && !uses_floats;
  if ((!uses_strings && !value.strings.empty()) || (!uses_arrays && !value.arrays.empty()) ||
      (!uses_floats && !value.floats.empty()) || (!uses_ints && !value.ints.empty())) {
    Fail("key '" + key + "': array of " + GgufValueTypeName(elem) +
         " has elements in a vector that does not match its element type");
  }
  if (uses_ints) {
    for (const int64_t v : value.ints) CheckInteger(key, elem, v);
  }
  for (const GgufValue& sub : value.arrays) {
    if (sub.type != GgufValueType::kArray) {
      Fail("key '" + key + "': array of arrays holds a " + GgufValueTypeName(sub.type));
    }
    CheckArray(key, sub, depth + 1);
  }
}

void CheckValue(const std::string& key, const GgufValue& value) {
  if (!IsKnownValueType(value.type)) {
    Fail("key '" + key + "': unknown value type " + std::to_string(static_cast<uint32_t>(value.type)));
  }
  if (value.type == GgufValueType::kArray) {
    CheckArray(key, value, 1);
  } else if (value.type != GgufValueType::kString && !IsFloatValueType(value.type)) {
    CheckInteger(key, value.type, value.int_value);
  }
}

// Buffered output that tracks its position (for padding) and remembers the first error.
class Output {
 public:
  explicit Output(std::FILE* file) : file_(file) {}

  uint64_t position() const { return position_; }
  bool ok() const { return ok_; }

  void Bytes(const void* data, uint64_t n) {
    if (n == 0 || !ok_) return;
    if (std::fwrite(data, 1, static_cast<size_t>(n), file_) != n) ok_ = false;
    position_ += n;
  }
  void PadTo(uint64_t alignment) {
    static const uint8_t kZeros[256] = {};
    while (position_ % alignment != 0) {
      const uint64_t gap = alignment - position_ % alignment;
      Bytes(kZeros, gap < sizeof(kZeros) ? gap : sizeof(kZeros));
    }
  }

 private:
  std::FILE* file_;
  uint64_t position_ = 0;
  bool ok_ = true;
};

uint64_t AlignUp(uint64_t v, uint64_t alignment) { return (v + alignment - 1) / alignment * alignment; }

std::string ErrnoText(int err) { return std::generic_category().message(err); }

// Owns the temporary file until it is renamed into place; removes it on any failure.
class TempFile {
 public:
  TempFile(const std::string& path, const std::string& tmp_path) : path_(path), tmp_path_(tmp_path) {
    file_ = std::fopen(tmp_path_.c_str(), "wb");
    if (file_ == nullptr) {
      throw Error(path_ + ": cannot create " + tmp_path_ + ": " + ErrnoText(errno));
    }
  }
  ~TempFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!committed_) std::remove(tmp_path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::FILE* get() const { return file_; }

  // Flushes, syncs and closes, then renames over the final path.
  void Commit() {
    std::FILE* file = file_;
    file_ = nullptr;
    const bool flushed = std::fflush(file) == 0 && fsync(fileno(file)) == 0;
    const int flush_errno = errno;
    if (std::fclose(file) != 0 || !flushed) {
      throw Error(path_ + ": cannot write " + tmp_path_ + ": " + ErrnoText(flushed ? errno : flush_errno));
    }
    if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
      throw Error(path_ + ": cannot rename " + tmp_path_ + " into place: " + ErrnoText(errno));
    }
    committed_ = true;
  }

 private:
  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {
  if (!std::has_single_bit(alignment)) {
    Fail("alignment " + std::to_string(alignment) + " is not a non-zero power of two");
  }
}

void GgufWriter::Set(std::string key, GgufValue value) {
  CheckValue(key, value);
  if (key == kAlignmentKey) {
    // The key decides the layout, so it must agree with what Write does.
    if (value.type != GgufValueType::kU32 || !std::has_single_bit(static_cast<uint64_t>(value.int_value))) {
      Fail("general.alignment must be a u32 non-zero power of two, got " + value.ToString());
    }
    alignment_ = static_cast<uint32_t>(value.int_value);
  }
  for (GgufKeyValue& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({std::move(key), std::move(value)});
}

void GgufWriter::AddTensor(std::string name, GgmlType type, std::vector<uint64_t> dims,
                           const void* data) {
  if (data == nullptr) Fail("tensor '" + name + "': null data pointer");
  AddTensor(std::move(name), type, std::move(dims), Generator());
  tensors_.back().data = data;
}

void GgufWriter::AddTensor(std::string name, GgmlType type, std::vector<uint64_t> dims,
                           Generator generate) {
  const std::string where = "tensor '" + name + "': ";
  for (const PendingTensor& t : tensors_) {
    if (t.info.name == name) Fail(where + "duplicate tensor name");
  }
  const GgmlTypeTraits* traits = GetTypeTraits(static_cast<uint32_t>(type));
  if (traits == nullptr) Fail(where + "unknown ggml type id " + std::to_string(static_cast<uint32_t>(type)));
  if (dims.empty() || dims.size() > kMaxDims) {
    Fail(where + std::to_string(dims.size()) + " dimensions, expected 1..4");
  }
  uint64_t n_elements = 1;
  for (const uint64_t d : dims) {
    if (d == 0) Fail(where + "a dimension is 0");
    if (__builtin_mul_overflow(n_elements, d, &n_elements) ||
        n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Fail(where + "element count overflows int64");
    }
  }
  if (dims[0] % traits->block_size != 0) {
    Fail(where + "row length " + std::to_string(dims[0]) + " is not a multiple of the " +
         traits->name + " block size " + std::to_string(traits->block_size));
  }
  PendingTensor pending;
  pending.info.name = std::move(name);
  pending.info.type = type;
  pending.info.dims = std::move(dims);
  pending.info.n_elements = n_elements;
  pending.info.n_bytes = n_elements / traits->block_size * traits->type_size;
  pending.generate = std::move(generate);
  tensors_.push_back(std::move(pending));
}

void GgufWriter::Write(const std::string& path) const {
  for (const PendingTensor& t : tensors_) {
    if (t.data == nullptr && !t.generate) {
      throw Error(path + ": tensor '" + t.info.name + "' has neither data nor a generator");
    }
  }
  // Data offsets: each tensor starts at the next multiple of the alignment.
  std::vector<uint64_t> offsets;
  uint64_t data_size = 0;
  for (const PendingTensor& t : tensors_) {
    data_size = AlignUp(data_size, alignment_);
    offsets.push_back(data_size);
    data_size += t.info.n_bytes;
  }
  const bool add_alignment_key = alignment_ != kDefaultAlignment &&
      std::none_of(metadata_.begin(), metadata_.end(),
                   [](const GgufKeyValue& kv) { return kv.key == kAlignmentKey; });

  TempFile tmp(path, path + ".tmp");
  std::setvbuf(tmp.get(), nullptr, _IOFBF, kStreamBuffer);
  Output out(tmp.get());
  out.Bytes("GGUF", 4);
  gguf_encoding::Scalar(out, kGgufVersion);
  gguf_encoding::Scalar<uint64_t>(out, tensors_.size());
  gguf_encoding::Scalar<uint64_t>(out, metadata_.size() + (add_alignment_key ? 1 : 0));
  for (const GgufKeyValue& kv : metadata_) gguf_encoding::KeyValue(out, kv.key, kv.value);
  if (add_alignment_key) gguf_encoding::KeyValue(out, kAlignmentKey, GgufValue::U32(alignment_));
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const GgufTensorInfo& info = tensors_[i].info;
    gguf_encoding::String(out, info.name);
    gguf_encoding::Scalar(out, static_cast<uint32_t>(info.dims.size()));
    for (const uint64_t d : info.dims) gguf_encoding::Scalar(out, d);
    gguf_encoding::Scalar(out, static_cast<uint32_t>(info.type));
    gguf_encoding::Scalar(out, offsets[i]);
  }
  out.PadTo(alignment_);

  // One buffer, grown to the largest generated tensor, serves every generator call.
  std::unique_ptr<uint8_t[]> buffer;
  uint64_t buffer_size = 0;
  const uint64_t data_start = out.position();
  for (size_t i = 0; i < tensors_.size() && out.ok(); ++i) {
    const PendingTensor& t = tensors_[i];
    out.PadTo(alignment_);  // the data section start is aligned, so this reaches offsets[i]
    const void* bytes = t.data;
    if (bytes == nullptr) {
      if (t.info.n_bytes > buffer_size) {
        buffer.reset();  // free the old buffer before allocating the bigger one
        buffer.reset(new (std::nothrow) uint8_t[t.info.n_bytes]);
        if (buffer == nullptr) {
          throw Error(path + ": cannot allocate " + std::to_string(t.info.n_bytes) +
                      " bytes to generate tensor '" + t.info.name + "'");
        }
        buffer_size = t.info.n_bytes;
      }
      t.generate(buffer.get(), t.info.n_bytes);
      bytes = buffer.get();
    }
    out.Bytes(bytes, t.info.n_bytes);
  }
  out.PadTo(alignment_);  // ggml pads the end too
  if (!out.ok()) throw Error(path + ": cannot write " + path + ".tmp: " + ErrnoText(errno));
  if (out.position() != AlignUp(data_start + data_size, alignment_)) {
    throw Error(path + ": internal error: wrote " + std::to_string(out.position()) + " bytes");
  }
  tmp.Commit();
}

}  // namespace ingot
