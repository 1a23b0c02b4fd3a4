// quantize: a float model (GGUF F32/F16/BF16/Q8_0 or a llama2.c checkpoint) -> an ingot GGUF
// with int8 weights and dyadic per-output-channel scales, hashed per tensor (engine/quant/ingot_gguf.h).
// The int8 weights are the ones --mode int8 would build in memory, so logits are identical.
#include <cstdio>
#include <filesystem>
#include <string>

#include "common.h"
#include "engine/quant/ingot_gguf.h"
#include "engine/model/model.h"
#include "engine/quant/calibration.h"
#include "engine/quant/mixed_precision.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot::apps {
namespace {

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// The calibration text's tokens, each chunk of ctx starting with BOS (as perplexity scores them).
std::vector<int32_t> CalibrationTokens(const Model& model, const std::string& text, int32_t ctx) {
  std::vector<int32_t> tokens = model.tokenizer().Encode(text, false);
  const int32_t bos = model.tokenizer().bos_id();
  if (bos >= 0) {
    for (size_t at = 0; at < tokens.size(); at += static_cast<size_t>(ctx)) tokens[at] = bos;
  }
  if (tokens.size() < 64) throw Error("the calibration text has only " + std::to_string(tokens.size()) + " tokens");
  return tokens;
}

// n tokens sampled from the FP32 model (temperature 1, seed 1), in sequences of ctx from BOS.
std::vector<int32_t> GeneratedTokens(const Model& model, int32_t n, int32_t ctx, int32_t n_threads) {
  SessionOptions options;
  options.mode = Mode::kFp32;
  options.n_ctx = ctx;
  options.n_threads = n_threads;
  Session session(model, options);
  SamplerParams params;
  params.temperature = 1.0f;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.repeat_penalty = 1.0f;
  params.seed = 1;
  Sampler sampler(params, model.config().n_vocab);
  const int32_t bos = std::max(0, model.tokenizer().bos_id());
  std::vector<int32_t> tokens, history;
  while (static_cast<int32_t>(tokens.size()) < n) {
    int32_t next = bos;
    if (static_cast<int32_t>(tokens.size()) % ctx == 0) {
      session.Reset();
      history.clear();
    } else {
      next = sampler.Sample(session.logits(), history);
    }
    tokens.push_back(next);
    history.push_back(next);
    session.Eval(&next, 1, false);
    if (tokens.size() % 256 == 0) std::fprintf(stderr, "\rquantize: sampled %zu/%d tokens", tokens.size(), n);
  }
  std::fprintf(stderr, "\n");
  return tokens;
}

int Run(int argc, char** argv) {
  std::string in_path, out_path, tokenizer_path;
  int32_t n_threads = 0;
  ArgParser parser("quantize", "[options] IN OUT",
                   "Quantizes a float model (GGUF F32/F16/BF16/Q8_0, or a llama2.c checkpoint) to an ingot\n"
                   "GGUF: int8 weights with one dyadic scale per output channel (or, with --bits, 8-, 4- or 2-bit\n"
                   "codes in groups), packed for the kernels, the\n"
                   "model's tokenizer and configuration, and an XXH3-64 hash per tensor and over the metadata,\n"
                   "verified on load (inspect --verify reports each). Progress goes to stderr.");
  parser.AddPositional("IN", &in_path, "the float model", true);
  parser.AddPositional("OUT", &out_path, "the ingot GGUF to write (replaced atomically)", true);
  parser.AddString("--tokenizer", &tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddInt("-t,--threads", &n_threads, "threads (0: all cores)");
  WeightOptions weights;
  weights.Add(parser);
  std::string calib_path;
  int32_t calib_tokens = 32768, calib_ctx = 512, calib_generate = 0;
  parser.AddString("--calib", &calib_path,
                   "calibration text: code matrices by GPTQ on its second moments (never the evaluation text)");
  parser.AddInt("--calib-tokens", &calib_tokens, "calibration tokens used at most");
  parser.AddInt("--calib-ctx", &calib_ctx, "tokens per calibration chunk (at most the model's context)");
  parser.AddInt("--calib-generate", &calib_generate, "calibrate on N tokens sampled from the FP32 model itself instead of a text");
  bool rtn = false;
  parser.AddFlag("--rtn", &rtn, "round to nearest even with calibration tokens (which then only measure --bpw)");
  double bpw = 0.0;
  float bpw_arg = 0.0f;
  parser.AddFloat("--bpw", &bpw_arg,
                  "mixed precision: each matrix 2, 4 or 8 bits, chosen by measured KLD on the calibration tokens "
                  "(their first 1024) under this budget of bits per weight (embeddings stay int8); needs --calib or "
                  "--calib-generate");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  if (weights.bits.empty() && bpw_arg > 0.0f) weights.bits = "4";  // --bpw chooses the widths; --group and --asym apply
  WeightFormats formats = WeightFormats::Parse(weights.bits, weights.group, weights.Asym());
  bpw = bpw_arg;
  if (parser.Given("--bpw") && !(bpw >= 2.0 && bpw <= 8.5)) throw Error("--bpw must be between 2 and 8.5, got " + std::to_string(bpw));
  if (n_threads < 0) throw Error("-t must be positive (0: all cores), got " + std::to_string(n_threads));
  if (n_threads == 0) n_threads = kernels::DefaultThreadCount();
  std::error_code ec;
  if (std::filesystem::exists(out_path, ec) && std::filesystem::equivalent(in_path, out_path, ec)) {
    throw Error(out_path + ": OUT is the input file");
  }

  const double start = NowSeconds();
  ModelLoadOptions load_options;
  load_options.tokenizer_path = tokenizer_path;
  const std::unique_ptr<Model> model = Model::Load(in_path, load_options);
  const ModelConfig& c = model->config();
  std::unique_ptr<InputMoments> moments;
  if (!calib_path.empty() || calib_generate > 0) {
    if (formats.all_int8()) throw Error("--calib and --calib-generate calibrate code matrices: they need --bits");
    if (!calib_path.empty() && calib_generate > 0) throw Error("--calib and --calib-generate: give one of them");
    if (calib_tokens < 1 || calib_ctx < 8) throw Error("--calib-tokens must be positive and --calib-ctx at least 8");
    calib_ctx = std::min(calib_ctx, c.n_ctx_train);
    std::vector<int32_t> tokens = !calib_path.empty()
                                      ? CalibrationTokens(*model, ReadTextFile(calib_path, "calibration text"), calib_ctx)
                                      : GeneratedTokens(*model, calib_generate, calib_ctx, n_threads);
    if (static_cast<int64_t>(tokens.size()) > calib_tokens) tokens.resize(static_cast<size_t>(calib_tokens));
    std::fprintf(stderr, "quantize: calibrating on %zu tokens (%s) in chunks of %d ...\n", tokens.size(),
                 calib_path.empty() ? "sampled from the model" : calib_path.c_str(), calib_ctx);
    moments = std::make_unique<InputMoments>(CollectInputMoments(
        *model, tokens, calib_ctx, n_threads, [&](const CalibrationProgress& p) {
          std::fprintf(stderr, "\rquantize: calibration %lld/%lld tokens (%.1f s)", static_cast<long long>(p.tokens_done),
                       static_cast<long long>(p.tokens_total), NowSeconds() - start);
        }));
    std::fprintf(stderr, "\nquantize: second moments of every matrix input: %.1f MiB\n", MiB(static_cast<uint64_t>(moments->bytes())));
    if (bpw > 0.0) {
      std::vector<int32_t> measured(tokens.begin(), tokens.begin() + std::min<size_t>(tokens.size(), 1024));
      const MixedPrecision mixed = ChooseWidths(*model, measured, calib_ctx, bpw, formats, rtn ? nullptr : moments.get(), n_threads,
                                                [&](int32_t done, int32_t total) {
                                                  std::fprintf(stderr, "\rquantize: measuring widths %d/%d (%.1f s)", done,
                                                               total, NowSeconds() - start);
                                                });
      std::fprintf(stderr, "\nquantize: --bpw %.2f: mean KLD of each matrix alone on %zu tokens\n", bpw, measured.size());
      std::fprintf(stderr, "  %-28s %10s %12s %12s %12s %6s\n", "matrix", "weights", "2-bit", "4-bit", "8-bit", "chosen");
      for (const MatrixChoice& m : mixed.matrices) {
        std::fprintf(stderr, "  %-28s %10lld %12.3e %12.3e %12.3e %6d\n", m.name.c_str(), static_cast<long long>(m.weights),
                     m.loss[0], m.loss[1], m.loss[2], 2 << m.chosen);
      }
      std::fprintf(stderr, "quantize: %.3f bits per weight over these matrices (budget %.2f)\n", mixed.bpw, bpw);
      formats = mixed.formats;
    }
  } else if (bpw > 0.0) {
    throw Error("--bpw measures each width on calibration tokens: give --calib or --calib-generate");
  }
  std::fprintf(stderr, "quantize: %s (%s, %d layers, d_model %d, vocab %d, tokenizer %s), %d threads\n", in_path.c_str(),
               model->format().c_str(), c.n_layers, c.d_model, c.n_vocab, model->tokenizer_source().c_str(), n_threads);
  const int width = static_cast<int>(std::to_string(c.n_layers * 7 + 2).size());
  const QuantizeSummary summary = WriteIngotGguf(*model, out_path, formats, rtn ? nullptr : moments.get(), n_threads, [&](const QuantizeProgress& p) {
    if (p.writing) {
      std::fprintf(stderr, "quantize: writing %s ... (%.1f s)\n", p.name.c_str(), NowSeconds() - start);
      return;
    }
    std::fprintf(stderr, "[%*d/%d] %-26s %6lldx%-6lld %7.1f s\n", width, p.index, p.total, p.name.c_str(),
                 static_cast<long long>(p.rows), static_cast<long long>(p.cols), NowSeconds() - start);
  });
  const uint64_t bytes_in = std::filesystem::file_size(in_path);
  std::fprintf(stderr, "quantize: wrote %s: %d matrices (%s), %d tensors, %.1f MiB (input %.1f MiB, %.2fx), "
               "%.3f bits per weight over the matrices, in %.2f s, peak RSS %.1f MiB\n",
               out_path.c_str(), summary.n_matrices, formats.Describe().c_str(), summary.n_tensors, MiB(summary.bytes_out),
               MiB(bytes_in), static_cast<double>(bytes_in) / static_cast<double>(summary.bytes_out),
               8.0 * static_cast<double>(summary.matrix_bytes) / static_cast<double>(summary.matrix_weights),
               NowSeconds() - start, PeakRssMiB());
  return 0;
}

}  // namespace
}  // namespace ingot::apps

int main(int argc, char** argv) {
  return ingot::apps::RunMain("quantize", [&] { return ingot::apps::Run(argc, argv); });
}
