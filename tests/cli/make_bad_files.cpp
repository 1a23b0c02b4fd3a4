// make-bad-files DIR: the inputs of the bad-input tests. A valid tiny model first, then
// copies of it broken in one way each, and prompt files that are wrong in one way each.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "model_io/error.h"
#include "model_io/gguf.h"
#include "tests/tools/random_model.h"

namespace {

using namespace ingot;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(path + ": cannot write");
}

// Rewrites a GGUF file through our reader and writer, with one key and one tensor's type changed.
void Rewrite(const std::string& from, const std::string& to, const std::string& key, const std::string& value,
             const std::string& tensor, GgmlType new_type) {
  const std::unique_ptr<GgufFile> src = GgufFile::Open(from);
  GgufWriter w;
  for (const GgufKeyValue& kv : src->metadata()) w.Set(kv.key, kv.key == key ? GgufValue::String(value) : kv.value);
  std::vector<std::vector<uint8_t>> keep;
  for (const GgufTensorInfo& t : src->tensors()) {
    if (t.name == tensor) {
      keep.emplace_back(RowBytes(new_type, t.dims[0]) * (t.n_elements / t.dims[0]), uint8_t{0});
      w.AddTensor(t.name, new_type, t.dims, keep.back().data());
    } else {
      w.AddTensor(t.name, t.type, t.dims, src->TensorData(t));
    }
  }
  w.Write(to);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make-bad-files DIR\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const std::string tiny = dir + "/tiny.gguf";
    test::WriteRandomModel(tiny, test::ShapeByName("tiny"), GgmlType::kF32, 7, "");
    const std::string bytes = ReadAll(tiny);
    WriteAll(dir + "/truncated_header.gguf", bytes.substr(0, 100));
    WriteAll(dir + "/truncated_data.gguf", bytes.substr(0, bytes.size() - 1000));
    WriteAll(dir + "/bad_magic.gguf", "GGUX" + bytes.substr(4));
    std::string bad_version = bytes;
    bad_version[4] = 99;
    WriteAll(dir + "/bad_version.gguf", bad_version);
    Rewrite(tiny, dir + "/unknown_arch.gguf", "general.architecture", "mamba", "", GgmlType::kF32);
    // Q4_K needs rows of 256: the tiny model's 64-wide rows cannot hold it, so use Q4_0 (rows of 32).
    Rewrite(tiny, dir + "/unsupported_type.gguf", "", "", "blk.0.attn_q.weight", GgmlType::kQ4_0);
    test::WriteRandomModel(dir + "/wide_heads.gguf", test::ShapeByName("wide-heads"), GgmlType::kF16, 7, "");
    WriteAll(dir + "/empty.txt", "");
    WriteAll(dir + "/binary.txt", std::string("Once upon\0a time", 16));
    WriteAll(dir + "/invalid_utf8.txt", "Once upon a \xff\xfe time");
    WriteAll(dir + "/good.txt", "Once upon a time");
    WriteAll(dir + "/random.bin", std::string(4096, '\x5a'));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make-bad-files: %s\n", e.what());
    return 1;
  }
}
