#include "model_io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <system_error>

#include "model_io/error.h"

namespace ingot {
namespace {

// data() of an empty file: a valid pointer, so callers may pass it to memcpy with size 0.
const uint8_t kEmptyByte = 0;

[[noreturn]] void FailWithErrno(const std::string& path, const char* what, int err) {
  throw Error(path + ": " + what + ": " + std::generic_category().message(err), ErrorKind::kIo);
}

// Closes the descriptor on every path out of Open, including exceptions.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<MappedFile> MappedFile::Open(const std::string& path) {
  if (path.empty()) throw Error("(empty path): cannot open: no file name given", ErrorKind::kInvalidArgument);
  FdGuard fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) FailWithErrno(path, "cannot open", errno);

  struct stat st {};
  if (fstat(fd.get(), &st) != 0) FailWithErrno(path, "cannot stat", errno);
  if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a file", ErrorKind::kIo);
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file (cannot be memory-mapped)", ErrorKind::kIo);
  if (st.st_size < 0 ||
      static_cast<uint64_t>(st.st_size) > std::numeric_limits<size_t>::max()) {
    throw Error(path + ": file size " + std::to_string(st.st_size) +
                " does not fit in this process's address space");
  }

  std::unique_ptr<MappedFile> file(new MappedFile());
  file->path_ = path;
  file->size_ = static_cast<size_t>(st.st_size);
  if (file->size_ == 0) {
    file->data_ = &kEmptyByte;
    return file;
  }
  // MAP_PRIVATE + PROT_READ: we never write, and another process rewriting the file in place
  // is outside what we can defend against (the same as every mmap-based loader).
  void* addr = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (addr == MAP_FAILED) FailWithErrno(path, "cannot map into memory", errno);
  file->data_ = static_cast<const uint8_t*>(addr);
  file->mapped_ = true;
  return file;  // the mapping outlives the descriptor
}

MappedFile::~MappedFile() {
  if (mapped_) munmap(const_cast<uint8_t*>(data_), size_);
}

void MappedFile::ReleasePages(const uint8_t* begin, size_t bytes) const {
  if (!mapped_ || bytes == 0) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(begin) + bytes) & ~(page - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace ingot
