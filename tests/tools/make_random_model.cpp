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
                           "Writes a random-weight GGUF with a real model's shape and metadata: tinyllama\n"
                           "(TinyLlama-1.1B: d_model 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000),\n"
                           "llama-7b, llama3.2-1b, smollm2-135m (llama architecture), qwen2.5-0.5b (qwen2),\n"
                           "qwen3-0.6b (qwen3), phi3-mini (phi3), gemma3-270m (gemma3), gpt2-small (GPT-2 124M,\n"
                           "gpt2); test shapes tiny, tiny-gpt2, tiny-llama3, tiny-smollm2, tiny-qwen2, tiny-qwen3,\n"
                           "tiny-phi3, tiny-gemma3. Real shapes take their vocabulary\n"
                           "from models/vocab (here or in ../shared). Weights are uniform in [-0.05, 0.05], norms\n"
                           "1, biases 0; the tiny-<arch> shapes have larger weights and random norms and biases.");
    parser.AddPositional("OUT.gguf", &out, "the file to write", true);
    parser.AddString("--shape", &shape_name, "a shape named above (default tinyllama)");
    parser.AddString("--type", &type_name, "weight type: f32, f16 or q8_0");
    parser.AddString("--vocab", &vocab, "GGUF file whose tokenizer.ggml.* keys to copy, instead of the shape's");
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
