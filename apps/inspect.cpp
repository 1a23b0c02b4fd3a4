// inspect: what a model file holds (metadata, tensor table, architecture) and whether ingot can
// run it. Exit status 0 only when the file is valid and loads.
#include <cstdio>
#include <string>

#include "apps/common.h"
#include "engine/ingot_gguf.h"
#include "engine/int8_model.h"
#include "engine/model.h"
#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/llama2c.h"

namespace ingot::apps {
namespace {

std::string Shape(const GgufTensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
  return s + "]";
}

void PrintTensors(const std::vector<GgufTensorInfo>& tensors, uint64_t data_offset) {
  std::printf("\ntensors (%zu):\n  %-28s %-6s %-16s %14s %12s\n", tensors.size(), "name", "type", "shape", "file offset", "bytes");
  for (const GgufTensorInfo& t : tensors) {
    std::printf("  %-28s %-6s %-16s %14llu %12llu\n", t.name.c_str(), GgmlTypeName(t.type), Shape(t).c_str(),
                static_cast<unsigned long long>(data_offset + t.offset), static_cast<unsigned long long>(t.n_bytes));
  }
}

bool Tied(const Model& model) {
  if (!model.has_float_weights()) return model.int8()->output == &model.int8()->token_embd;
  return model.output.data == model.token_embd.data;
}

void PrintSummary(const Model& model) {
  const ModelConfig& c = model.config();
  uint64_t params = 0;
  for (const GgufTensorInfo& t : model.tensors()) params += t.n_elements;
  char positions[64];
  if (c.rope_dims > 0) {
    std::snprintf(positions, sizeof(positions), "RoPE base %g over %d dims", static_cast<double>(c.rope_base), c.rope_dims);
  } else {
    std::snprintf(positions, sizeof(positions), "learned positions");
  }
  std::printf("\narchitecture: %s, d_model %d, %d layers, %d heads (%d KV heads, head_dim %d), FFN %d (%s), vocab %d,\n"
              "  context %d, %s, %s eps %g, output %s, %.2fM parameters, weights %.1f MiB\n",
              c.arch.c_str(), c.d_model, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.d_ffn,
              c.ffn == FfnKind::kGelu ? "GELU" : "SwiGLU", c.n_vocab, c.n_ctx_train, positions,
              c.norm == NormKind::kLayer ? "LayerNorm" : "RMSNorm", static_cast<double>(c.norm_eps),
              Tied(model) ? "tied to token_embd" : "separate",
              static_cast<double>(params) / 1e6, static_cast<double>(model.weight_bytes()) / (1024.0 * 1024.0));
  const Tokenizer& tok = model.tokenizer();
  std::printf("tokenizer: %s, %d tokens, BOS %d, EOS %d, add BOS %s\n", model.tokenizer_source().c_str(), tok.n_vocab(),
              tok.bos_id(), tok.eos_id(), tok.add_bos() ? "yes" : "no");
}

// One line per hash of an ingot GGUF; false when any hash differs or the file has none.
bool PrintHashChecks(const GgufFile& gguf) {
  if (!IsIngotGguf(gguf)) {
    std::printf("\nverify: FAILED: not an ingot GGUF (no %s key): only files written by quantize carry hashes\n",
                kIngotFormatVersionKey);
    return false;
  }
  const std::vector<IngotHashCheck> checks = CheckIngotHashes(gguf, 0);
  size_t n_bad = 0;
  std::printf("\nverify (XXH3-64):\n");
  for (const IngotHashCheck& check : checks) {
    n_bad += check.ok() ? 0 : 1;
    std::printf("  %-34s %-8s 0x%016llx", check.name.c_str(), check.ok() ? "ok" : "MISMATCH",
                static_cast<unsigned long long>(check.actual));
    if (!check.ok()) std::printf(" expected 0x%016llx", static_cast<unsigned long long>(check.expected));
    std::printf("\n");
  }
  std::printf("verify: %s: %zu of %zu hashes match (metadata and %zu tensors)\n", n_bad ? "FAILED" : "OK",
              checks.size() - n_bad, checks.size(), checks.size() - 1);
  return n_bad == 0;
}

int Run(int argc, char** argv) {
  std::string path, tokenizer_path;
  bool no_metadata = false, verify = false;
  ArgParser parser("inspect", "[options] MODEL",
                   "Prints a model file's metadata, tensor table (name, type, shape, offset, bytes) and\n"
                   "architecture, then a verdict: whether ingot can load and run it (exit status 0) or not (1).");
  parser.AddPositional("MODEL", &path, "a GGUF file or a llama2.c checkpoint", true);
  parser.AddString("--tokenizer", &tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddFlag("--no-metadata", &no_metadata, "skip the metadata listing");
  parser.AddFlag("--verify", &verify, "check the XXH3-64 hashes of an ingot GGUF (written by quantize), one line each");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;

  // The structure first, so a file that ingot cannot run is still shown as far as it is valid.
  bool verify_failed = false;
  try {
    std::unique_ptr<GgufFile> gguf;
    std::unique_ptr<Llama2cFile> llama2c;
    if (ReadFileMagic(path) == "GGUF") {
      gguf = GgufFile::Open(path);
      std::printf("file: %s (GGUF v%u, %llu bytes, alignment %llu, data at %llu)\n", path.c_str(), gguf->version(),
                  static_cast<unsigned long long>(gguf->file_size()), static_cast<unsigned long long>(gguf->alignment()),
                  static_cast<unsigned long long>(gguf->data_offset()));
      if (!no_metadata) {
        std::printf("\nmetadata (%zu keys):\n", gguf->metadata().size());
        for (const GgufKeyValue& kv : gguf->metadata()) {
          std::printf("  %-44s %-8s %s\n", kv.key.c_str(), GgufValueTypeName(kv.value.type), kv.value.ToString().c_str());
        }
      }
      PrintTensors(gguf->tensors(), gguf->data_offset());
      if (verify && !PrintHashChecks(*gguf)) verify_failed = true;
    } else {
      llama2c = Llama2cFile::Open(path);
      const Llama2cConfig& c = llama2c->config();
      std::printf("file: %s (llama2.c legacy checkpoint, %llu bytes)\n\nheader: dim %d, hidden_dim %d, n_layers %d, n_heads %d, "
                  "n_kv_heads %d, vocab %d (%s classifier), seq_len %d\n",
                  path.c_str(), static_cast<unsigned long long>(llama2c->file_size()), c.dim, c.hidden_dim, c.n_layers,
                  c.n_heads, c.n_kv_heads, c.vocab_size, c.shared_classifier ? "shared" : "separate", c.seq_len);
      PrintTensors(llama2c->tensors(), 0);
    }
    if (verify && !gguf) {
      std::printf("\nverify: FAILED: a llama2.c checkpoint has no hashes (only ingot GGUF files written by quantize do)\n");
      verify_failed = true;
    }
    ModelLoadOptions options;
    options.tokenizer_path = tokenizer_path;
    std::unique_ptr<Model> model = Model::Load(path, options);
    PrintSummary(*model);
    if (verify_failed) {
      std::printf("\nverdict: INVALID: hash verification failed\n");
      return 1;
    }
    std::printf("\nverdict: OK: valid, and ingot can run it\n");
    return 0;
  } catch (const Error& e) {
    std::printf("\nverdict: INVALID: %s\n", e.what());
    std::fprintf(stderr, "inspect: %s\n", e.what());
    return 1;
  }
}

}  // namespace
}  // namespace ingot::apps

int main(int argc, char** argv) {
  return ingot::apps::RunMain("inspect", [&] { return ingot::apps::Run(argc, argv); });
}
