// The C API's file handle on any bytes: open, every metadata entry and tensor, the hash check.
// Every call must return a status; a crash, a leak or an exception is a finding.
#include <cstddef>
#include <cstdint>

#include "ingot/ingot.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ingot::fuzz::MemFile memfile(data, size);
  ingot_file* file = nullptr;
  if (ingot_file_open(memfile.path().c_str(), &file) != INGOT_OK) return 0;
  ingot_file_info info{};
  info.struct_size = sizeof info;
  if (ingot_file_get_info(file, &info) == INGOT_OK) {
    for (int64_t i = 0; i < info.n_metadata; ++i) {
      ingot_metadata_entry entry{};
      entry.struct_size = sizeof entry;
      ingot_file_get_metadata(file, i, &entry);
    }
    for (int64_t i = 0; i < info.n_tensors; ++i) {
      ingot_tensor_info tensor{};
      tensor.struct_size = sizeof tensor;
      ingot_file_get_tensor(file, i, &tensor);
    }
    int64_t n_checks = 0, n_failed = 0;
    if (ingot_file_verify(file, 1, &n_checks, &n_failed) == INGOT_OK) {
      for (int64_t i = 0; i < n_checks; ++i) {
        ingot_hash_check check{};
        check.struct_size = sizeof check;
        ingot_file_get_hash_check(file, i, &check);
      }
    }
  }
  ingot_file_free(file);
  return 0;
}
