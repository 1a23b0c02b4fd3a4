// The GGUF reader's cursor (gguf_reader.cpp only): bounds-checked little-endian reads over
// the file bytes, the context of every failure, and a budget for what parsing allocates.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "model_io/error.h"

namespace ingot::gguf_cursor {

// The parsed metadata and tensor infos may take at most this many bytes per byte of the file,
// plus kParseMemoryFloor: real files take under 3 (tokenizer arrays), while a file of empty
// nested arrays or one-byte keys would otherwise take 30 (a 24 MB file, 700 MB resident).
constexpr uint64_t kParseMemoryPerFileByte = 4;
constexpr uint64_t kParseMemoryFloor = uint64_t{16} << 20;

// A bounds-checked little-endian reader over the file bytes. Failures throw
// "<path>: <context>: <problem>", where the context says which key or tensor was being read.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, uint64_t size)
      : path_(path), data_(data), size_(size),
        memory_limit_(size > (UINT64_MAX - kParseMemoryFloor) / kParseMemoryPerFileByte
                          ? UINT64_MAX
                          : size * kParseMemoryPerFileByte + kParseMemoryFloor) {}

  uint64_t offset() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  void SetContext(std::string context) { context_ = std::move(context); }

  [[noreturn]] void Fail(const std::string& problem) const {
    throw Error(path_ + ": " + (context_.empty() ? "" : context_ + ": ") + problem);
  }

  template <typename T>
  T Read(const char* what) {
    if (remaining() < sizeof(T)) {
      Fail("truncated: " + std::string(what) + " (" + std::to_string(sizeof(T)) +
           " bytes) at offset " + std::to_string(pos_) + " runs past end of file (size " +
           std::to_string(size_) + ")");
    }
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string ReadString(const char* what) {
    const uint64_t at = pos_;
    const uint64_t length = Read<uint64_t>(what);
    if (length > remaining()) {
      Fail("truncated: " + std::string(what) + " length " + std::to_string(length) +
           " at offset " + std::to_string(at) + " runs past end of file (size " +
           std::to_string(size_) + ")");
    }
    Charge(length);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(length));
    pos_ += length;
    return s;
  }

  // Checks that `count` items of at least `min_bytes` each can fit in what is left, so that
  // reserving `count` elements is safe.
  void CheckCount(uint64_t count, uint64_t min_bytes, const std::string& what, uint64_t at) const {
    if (count > remaining() / min_bytes) {
      Fail(what + " " + std::to_string(count) + " at offset " + std::to_string(at) +
           " cannot fit in the remaining " + std::to_string(remaining()) +
           " bytes of the file (each needs at least " + std::to_string(min_bytes) +
           "): the file is truncated or corrupt");
    }
  }

  // Counts `bytes` (or `count` items of `size` bytes) of parsed structure before they are
  // allocated; fails past the limit.
  void Charge(uint64_t count, uint64_t size) {
    if (count > (memory_limit_ - memory_) / size) FailMemory();
    memory_ += count * size;
  }
  void Charge(uint64_t bytes) { Charge(bytes, 1); }

 private:
  [[noreturn]] void FailMemory() const {
    Fail("the metadata would take more than " + std::to_string(memory_limit_ >> 20) + " MiB of memory (" +
         std::to_string(kParseMemoryPerFileByte) + " times the file's " + std::to_string(size_) +
         " bytes, plus " + std::to_string(kParseMemoryFloor >> 20) + " MiB): the file is corrupt or hostile");
  }

  const std::string& path_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  std::string context_;
  uint64_t memory_limit_;
  uint64_t memory_ = 0;
};

}  // namespace ingot::gguf_cursor
