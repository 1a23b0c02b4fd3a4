// tokenize: the token ids (or pieces) of a text file, as the model's tokenizer makes them.
#include <cstdio>
#include <string>

#include "common.h"
#include "model_io/error.h"
#include "model_io/model_file.h"
#include "model_io/tokenizer.h"

namespace ingot::apps {
namespace {

// The tokenizer alone: from GGUF metadata (vocabulary-only files work), a sentencepiece
// .model file, or the tokenizer next to a llama2.c checkpoint.
std::unique_ptr<Tokenizer> LoadTokenizer(const std::string& path, const std::string& tokenizer_path) {
  if (!tokenizer_path.empty()) return Tokenizer::FromFile(tokenizer_path);
  if (path.ends_with(".model") && ReadFileMagic(path) != "GGUF") return Tokenizer::FromFile(path);
  const ModelFile file = OpenModelFile(path);
  if (file.gguf) return Tokenizer::FromGguf(*file.gguf);
  const std::string found = FindTokenizerNextTo(path, file.llama2c->config().vocab_size);
  if (found.empty()) throw Error(path + ": no tokenizer.model found next to this llama2.c checkpoint; pass --tokenizer PATH");
  return Tokenizer::FromFile(found);
}

int Run(int argc, char** argv) {
  std::string model_path, tokenizer_path, text_path;
  bool ids_only = false, no_bos = false;
  ArgParser parser("tokenize", "-m MODEL -f TEXT [--ids]",
                   "Prints the tokens of a text file: one 'id piece' line per token, or with --ids the ids alone\n"
                   "on one line. BOS comes first when the model's metadata asks for it. MODEL may be a GGUF file\n"
                   "(vocabulary-only files too), a llama2.c checkpoint, or a sentencepiece .model file.");
  parser.AddString("-m,--model", &model_path, "GGUF file, llama2.c checkpoint, or sentencepiece .model");
  parser.AddString("--tokenizer", &tokenizer_path, "sentencepiece tokenizer.model to use instead");
  parser.AddString("-f,--file", &text_path, "UTF-8 text file");
  parser.AddFlag("--ids", &ids_only, "print only the ids, space-separated");
  parser.AddFlag("--no-bos", &no_bos, "never add BOS");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  if (text_path.empty()) throw Error("no text file given (-f TEXT)");
  const std::string text = ReadTextFile(text_path, "text file");
  if (model_path.empty()) model_path = FindDefaultModel();
  const std::unique_ptr<Tokenizer> tok = LoadTokenizer(model_path, tokenizer_path);
  const std::vector<int32_t> ids = tok->Encode(text, tok->add_bos() && !no_bos);
  if (ids_only) {
    for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? " " : "", ids[i]);
    std::printf("\n");
  } else {
    for (int32_t id : ids) std::printf("%6d '%s'\n", id, tok->IdToPiece(id).c_str());
  }
  std::fprintf(stderr, "tokenize: %zu tokens\n", ids.size());
  return 0;
}

}  // namespace
}  // namespace ingot::apps

int main(int argc, char** argv) {
  return ingot::apps::RunMain("tokenize", [&] { return ingot::apps::Run(argc, argv); });
}
