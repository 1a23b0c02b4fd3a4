// make-random-model: writes a random-weight GGUF of a real model's shape, for loader
// tests and benchmarks (no real checkpoint of these sizes fits in the repository).
#include <cstdio>
#include <string>

#include "apps/common.h"
#include "model_io/error.h"
#include "tests/tools/random_model.h"

int main(int argc, char** argv) {
  using namespace ingot;
  return apps::RunMain("make-random-model", [&] {
    std::string shape_name = "tinyllama", type_name = "q8_0", vocab, out;
    uint64_t seed = 1;
    apps::ArgParser parser("make-random-model", "[options] OUT.gguf",
                           "Writes a random-weight GGUF with a real model's shape: tinyllama (TinyLlama-1.1B:\n"
                           "d_model 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000), llama-7b or tiny\n"
                           "(llama architecture), or gpt2-small (GPT-2 124M: d_model 768, 12 layers, 12 heads, FFN\n"
                           "3072, vocab 50257, gpt2 architecture). Weights are uniform in [-0.05, 0.05], norms 1,\n"
                           "biases 0.");
    parser.AddPositional("OUT.gguf", &out, "the file to write", true);
    parser.AddString("--shape", &shape_name, "tinyllama, llama-7b, tiny, gpt2-small or tiny-gpt2");
    parser.AddString("--type", &type_name, "weight type: f32, f16 or q8_0");
    parser.AddString("--vocab", &vocab, "GGUF file whose tokenizer.ggml.* keys to copy (e.g. ggml-vocab-llama-spm.gguf)");
    parser.AddUint64("--seed", &seed, "random seed");
    int exit_code = 0;
    if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
    GgmlType type;
    if (type_name == "f32") type = GgmlType::kF32;
    else if (type_name == "f16") type = GgmlType::kF16;
    else if (type_name == "q8_0") type = GgmlType::kQ8_0;
    else throw Error("--type must be f32, f16 or q8_0, not '" + type_name + "'");
    const double start = apps::NowSeconds();
    test::WriteRandomModel(out, test::ShapeByName(shape_name), type, seed, vocab);
    std::fprintf(stderr, "make-random-model: wrote %s (%s, %s) in %.1f s\n", out.c_str(), shape_name.c_str(),
                 type_name.c_str(), apps::NowSeconds() - start);
    return 0;
  });
}
