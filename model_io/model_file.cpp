#include "model_io/model_file.h"

#include <filesystem>

#include "model_io/error.h"

namespace ingot {

namespace {

// Llama2cFile::Open for a file that is not GGUF; when it is no llama2.c checkpoint either,
// the message says what the file is not.
std::unique_ptr<Llama2cFile> OpenNonGgufModel(const std::string& path, const std::string& magic) {
  try {
    return Llama2cFile::Open(path);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find("not a valid llama2.c checkpoint") == std::string::npos &&
        what.find("too small for a llama2.c") == std::string::npos) {
      throw;
    }
    std::string shown = magic;
    for (char& ch : shown) {
      if (ch < 0x20 || ch > 0x7e) ch = '?';
    }
    throw Error(path + ": not a GGUF file (magic '" + shown + "') nor a llama2.c checkpoint (" +
                what.substr(what.rfind(": ") + 2) + ")");
  }
}

}  // namespace

ModelFile OpenModelFile(const std::string& path) {
  ModelFile file;
  const std::string magic = ReadFileMagic(path);
  if (magic == "GGUF") {
    file.gguf = GgufFile::Open(path);
  } else {
    file.llama2c = OpenNonGgufModel(path, magic);
  }
  return file;
}

std::string FindTokenizerNextTo(const std::string& model_path, int32_t n_vocab) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(model_path).parent_path();
  for (const std::string& name : {std::string("tokenizer.model"), "tok" + std::to_string(n_vocab) + ".model"}) {
    const fs::path candidate = dir / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return "";
}

}  // namespace ingot
