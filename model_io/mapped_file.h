// MappedFile: a whole file mapped read-only into memory (RAII).
//
// Used for model files (GGUF, llama2.c checkpoints): the OS pages weights in on demand and
// shares them between processes, so opening a multi-GB model costs no copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ingot {

class MappedFile {
 public:
  // Maps the whole file. Throws ingot::Error("<path>: <problem>") when the path is missing,
  // a directory, not a regular file or unreadable. An empty file is valid: size() is 0 and
  // data() points to a dummy byte (no mapping is made, since mmap rejects length 0).
  static std::unique_ptr<MappedFile> Open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  // Drops the process's pages of [begin, begin + bytes) (whole pages inside it only): they stay
  // in the page cache, and come back on the next access, but no longer count in our RSS.
  void ReleasePages(const uint8_t* begin, size_t bytes) const;
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;  // false for the empty file (nothing to munmap)
};

}  // namespace ingot
