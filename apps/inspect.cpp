// inspect: what a model file holds (metadata, tensor table, architecture) and whether ingot can
// run it. Exit status 0 only when the file is valid and loads.
#include <cstdio>
#include <string>

#include "common.h"

namespace ingot::apps {
namespace {

std::string Shape(const ingot_tensor_info& t) {
  std::string s = "[";
  for (int32_t i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
  return s + "]";
}

void PrintStructure(const std::string& path, ingot_file* file, bool metadata) {
  ingot_file_info info{};
  info.struct_size = sizeof info;
  Check(ingot_file_get_info(file, &info));
  const bool gguf = std::string(info.format) == "GGUF";
  if (gguf) {
    std::printf("file: %s (GGUF v%d, %llu bytes, alignment %llu, data at %llu)\n", path.c_str(), info.version,
                static_cast<unsigned long long>(info.file_size), static_cast<unsigned long long>(info.alignment),
                static_cast<unsigned long long>(info.data_offset));
  } else {
    std::printf("file: %s (llama2.c legacy checkpoint, %llu bytes)\n", path.c_str(), static_cast<unsigned long long>(info.file_size));
  }
  // A llama2.c checkpoint's header is short and always shown.
  if (metadata || !gguf) {
    std::printf("\n%s (%lld %s):\n", gguf ? "metadata" : "header", static_cast<long long>(info.n_metadata), gguf ? "keys" : "fields");
    for (int64_t i = 0; i < info.n_metadata; ++i) {
      ingot_metadata_entry e{};
      e.struct_size = sizeof e;
      Check(ingot_file_get_metadata(file, i, &e));
      std::printf("  %-44s %-8s %s\n", e.key, e.type, e.value);
    }
  }
  std::printf("\ntensors (%lld):\n  %-28s %-6s %-16s %14s %12s\n", static_cast<long long>(info.n_tensors), "name", "type", "shape",
              "file offset", "bytes");
  for (int64_t i = 0; i < info.n_tensors; ++i) {
    ingot_tensor_info t{};
    t.struct_size = sizeof t;
    Check(ingot_file_get_tensor(file, i, &t));
    std::printf("  %-28s %-6s %-16s %14llu %12llu\n", t.name, t.type, Shape(t).c_str(), static_cast<unsigned long long>(t.offset),
                static_cast<unsigned long long>(t.n_bytes));
  }
}

// One line per hash of an ingot GGUF; false when any hash differs or the file has none.
bool PrintHashChecks(ingot_file* file) {
  int64_t n_checks = 0, n_failed = 0;
  const int32_t status = ingot_file_verify(file, 0, &n_checks, &n_failed);
  if (status == INGOT_ERROR_UNSUPPORTED) {
    std::printf("\nverify: FAILED: %s\n", LastError().c_str());
    return false;
  }
  Check(status);
  std::printf("\nverify (XXH3-64):\n");
  for (int64_t i = 0; i < n_checks; ++i) {
    ingot_hash_check c{};
    c.struct_size = sizeof c;
    Check(ingot_file_get_hash_check(file, i, &c));
    std::printf("  %-34s %-8s 0x%016llx", c.name, c.ok ? "ok" : "MISMATCH", static_cast<unsigned long long>(c.actual));
    if (!c.ok) std::printf(" expected 0x%016llx", static_cast<unsigned long long>(c.expected));
    std::printf("\n");
  }
  std::printf("verify: %s: %lld of %lld hashes match (metadata and %lld tensors)\n", n_failed ? "FAILED" : "OK",
              static_cast<long long>(n_checks - n_failed), static_cast<long long>(n_checks), static_cast<long long>(n_checks - 1));
  return n_failed == 0;
}

void PrintSummary(const ingot_model_info& m) {
  char positions[128];
  if (m.rope_dims > 0) {
    std::snprintf(positions, sizeof(positions), "RoPE (%s%s) base %g over %d dims", m.rope_style,
                  m.rope_freq_factors ? ", frequency factors" : "", static_cast<double>(m.rope_base), m.rope_dims);
  } else {
    std::snprintf(positions, sizeof(positions), "learned positions");
  }
  std::printf("\narchitecture: %s, d_model %d, %d layers, %d heads (%d KV heads, head_dim %d), FFN %d (%s), vocab %d,\n"
              "  context %d, %s, %s eps %g, output %s, %.2fM parameters, weights %.1f MiB\n",
              m.architecture, m.d_model, m.n_layers, m.n_heads, m.n_kv_heads, m.head_dim, m.d_ffn, m.ffn, m.n_vocab, m.n_ctx_train,
              positions, m.norm, static_cast<double>(m.norm_eps), m.tied_output ? "tied to token_embd" : "separate",
              static_cast<double>(m.n_params) / 1e6, static_cast<double>(m.weight_bytes) / (1024.0 * 1024.0));
  if (m.qkv_bias || m.qk_norm) {
    std::printf("  attention: %s%s%s\n", m.qkv_bias ? "biases on q, k, v" : "", m.qkv_bias && m.qk_norm ? ", " : "",
                m.qk_norm ? "RMSNorm of each q and k head before RoPE" : "");
  }
  if (m.sliding_window > 0) {
    std::printf("  sliding window: %d positions (RoPE base %g) in every layer but each %dth, which sees all (RoPE scaling %g)\n",
                m.sliding_window, static_cast<double>(m.rope_base_local), m.global_every, static_cast<double>(m.rope_scale));
  }
  if (m.embed_scaled || m.post_norms) {
    std::printf("  %s%s%s\n", m.embed_scaled ? "embedding times sqrt(d_model)" : "", m.embed_scaled && m.post_norms ? ", " : "",
                m.post_norms ? "each branch RMSNormed before the residual add" : "");
  }
  std::printf("tokenizer: %s, %d tokens, BOS %d, EOS %d, add BOS %s\n", m.tokenizer, m.n_vocab, m.bos_id, m.eos_id,
              m.add_bos ? "yes" : "no");
  std::printf("kernels: %s\n", m.isa);  // the table chosen at load (INGOT_ISA forces one)
}

// Which of the file's tensors the architecture's tensor table reads; ingot ignores the others.
void PrintTensorUse(ingot_file* file, ingot_model* model, const ingot_model_info& m) {
  ingot_file_info info{};
  info.struct_size = sizeof info;
  Check(ingot_file_get_info(file, &info));
  std::string unused;
  int64_t n_unused = 0;
  for (int64_t i = 0; i < info.n_tensors; ++i) {
    int32_t used = 0;
    Check(ingot_model_tensor_used(model, i, &used));
    if (used) continue;
    ingot_tensor_info t{};
    t.struct_size = sizeof t;
    Check(ingot_file_get_tensor(file, i, &t));
    if (++n_unused <= 8) unused += std::string(unused.empty() ? "" : ", ") + t.name;
  }
  const long long n = static_cast<long long>(info.n_tensors);
  if (n_unused == 0) {
    std::printf("tensors: all %lld read by the %s architecture\n", n, m.architecture);
  } else {
    std::printf("tensors: %lld of %lld read by the %s architecture; not used: %s%s\n", n - n_unused, n, m.architecture,
                unused.c_str(), n_unused > 8 ? ", ..." : "");
  }
}

// The integer path's matrices of a quantized file: each one's form and bits per weight, and the
// whole set's (nothing for a float file, which is quantized only when a session asks).
void PrintWeights(ingot_model* model) {
  int64_t n = 0;
  Check(ingot_model_n_matrices(model, &n));
  if (n == 0) return;
  std::printf("\nweights (integer path):\n  %-30s %-16s %-14s %12s %11s\n", "name", "format", "shape", "bytes",
              "bits/weight");
  uint64_t bytes = 0, weights = 0;
  for (int64_t i = 0; i < n; ++i) {
    ingot_matrix_info m{};
    m.struct_size = sizeof m;
    Check(ingot_model_get_matrix(model, i, &m));
    const auto count = static_cast<uint64_t>(m.rows) * static_cast<uint64_t>(m.cols);
    const std::string shape = std::to_string(m.rows) + "x" + std::to_string(m.cols);
    std::printf("  %-30s %-16s %-14s %12llu %11.3f\n", m.name, m.format, shape.c_str(),
                static_cast<unsigned long long>(m.bytes), 8.0 * static_cast<double>(m.bytes) / static_cast<double>(count));
    bytes += m.bytes;
    weights += count;
  }
  std::printf("weights: %lld matrices, %llu weights in %llu bytes: %.3f bits per weight\n", static_cast<long long>(n),
              static_cast<unsigned long long>(weights), static_cast<unsigned long long>(bytes),
              8.0 * static_cast<double>(bytes) / static_cast<double>(weights));
}

int Run(int argc, char** argv) {
  std::string path, tokenizer_path;
  bool no_metadata = false, verify = false;
  ArgParser parser("inspect", "[options] MODEL",
                   "Prints a model file's metadata, tensor table (name, type, shape, offset, bytes),\n"
                   "architecture and the kernel table it would run with, then a verdict: whether ingot can load\n"
                   "and run it (exit status 0) or not (1).");
  parser.AddPositional("MODEL", &path, "a GGUF file or a llama2.c checkpoint", true);
  parser.AddString("--tokenizer", &tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddFlag("--no-metadata", &no_metadata, "skip the metadata listing");
  parser.AddFlag("--verify", &verify, "check the XXH3-64 hashes of an ingot GGUF (written by quantize), one line each");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;

  // The structure first, so a file that ingot cannot run is still shown as far as it is valid.
  try {
    ingot_file* opened = nullptr;
    Check(ingot_file_open(path.c_str(), &opened));
    const FileHandle file(opened);
    PrintStructure(path, file.get(), !no_metadata);
    const bool verify_failed = verify && !PrintHashChecks(file.get());
    ingot_model_params params;
    Check(ingot_model_params_init(&params));
    params.tokenizer_path = tokenizer_path.empty() ? nullptr : tokenizer_path.c_str();
    params.prepare_int8 = 0;  // the file as it is
    const ModelHandle model = LoadModel(path, params);
    const ingot_model_info info = ModelInfo(model.get());
    PrintSummary(info);
    PrintTensorUse(file.get(), model.get(), info);
    PrintWeights(model.get());
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
