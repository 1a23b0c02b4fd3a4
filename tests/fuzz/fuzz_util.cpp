#include "tests/fuzz/fuzz_util.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace ingot::fuzz {

MemFile::MemFile(const uint8_t* data, size_t size) : fd_(memfd_create("ingot-fuzz", MFD_CLOEXEC)) {
  if (fd_ < 0) {
    std::perror("memfd_create");
    std::abort();
  }
  for (size_t done = 0; done < size;) {
    const ssize_t n = write(fd_, data + done, size - done);
    if (n <= 0) {
      std::perror("write");
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemFile::~MemFile() { close(fd_); }

std::string SharedAsset(const char* relative) {
  const std::string path = std::string(INGOT_SOURCE_DIR) + "/../shared/" + relative;
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "fuzz: %s is missing (the harness needs ../shared)\n", path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace ingot::fuzz
