// What the fuzz harnesses share: an input as a file (for the readers that open paths), and the
// fixed assets they load once from ../shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ingot::fuzz {

// The input as a file with a path, in memory (memfd): "/proc/self/fd/N" until destroyed.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size);
  ~MemFile();
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// ../shared/<relative> next to the source tree; aborts with a message when it is missing (a
// harness without its assets would fuzz nothing).
std::string SharedAsset(const char* relative);

}  // namespace ingot::fuzz
