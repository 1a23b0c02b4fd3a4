// bench: speed as fractions of this machine's measured limits, in one run.
//   bench kernels [--isa NAME] [--quick]   every kernel vs memory bandwidth and int8 peak
//   bench [options] MODEL                  prompt processing (pp) and generation (tg) tokens/s
//                                          in int8 and fp32, memory, and decode bandwidth use
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "bench_kernels.h"
#include "common.h"

namespace ingot::apps {
namespace {

constexpr int64_t kProbeBytes = int64_t{1} << 30;

struct Speed {
  double pp_tokens_per_s = 0.0;
  double tg_tokens_per_s = 0.0;
  double bandwidth_gbs = 0.0;  // read bandwidth measured right before and right after tg (mean)
  ingot_session_info info{};   // KV cache and weight bytes
};

// pp: one batch of n_prompt tokens from an empty cache; tg: n_gen tokens one at a time, greedy.
Speed Measure(ingot_model* model, int32_t mode, int32_t n_prompt, int32_t n_gen, int32_t threads,
              const BandwidthProbe& probe) {
  ingot_session_params params;
  Check(ingot_session_params_init(&params));
  params.mode = mode;
  params.n_threads = threads;
  params.n_ctx = n_prompt + n_gen;
  params.temperature = 0.0f;  // greedy: argmax, no repetition penalty
  params.repeat_penalty = 1.0f;
  const SessionHandle session = CreateSession(model, params);
  const int32_t n_vocab = ModelInfo(model).n_vocab;
  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  uint64_t state = 12345;
  for (int32_t& t : prompt) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    t = static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(n_vocab));
  }
  Speed speed;
  double start = NowSeconds();
  Check(ingot_session_eval(session.get(), prompt.data(), n_prompt));
  speed.pp_tokens_per_s = n_prompt / (NowSeconds() - start);
  const double before = probe.GBs(0.5);
  start = NowSeconds();
  for (int32_t i = 0; i < n_gen; ++i) {
    int32_t next = 0;
    Check(ingot_session_sample(session.get(), &next));
    Check(ingot_session_eval(session.get(), &next, 1));
  }
  speed.tg_tokens_per_s = n_gen / (NowSeconds() - start);
  speed.bandwidth_gbs = (before + probe.GBs(0.5)) / 2.0;
  speed.info = SessionInfo(session.get());
  return speed;
}

int RunModelBench(int argc, char** argv) {
  std::string model_path, tokenizer_path, modes = "int8,fp32";
  int32_t n_prompt = 512, n_gen = 128, threads = 0;
  ArgParser parser("bench", "[options] MODEL | bench kernels [--isa NAME] [--quick]",
                   "Measures a model: prompt processing of -p tokens in one batch (pp) and generation of -n tokens\n"
                   "one at a time (tg), in each mode, with the weight and KV cache bytes, the peak resident memory,\n"
                   "and decode bandwidth use: weight bytes read per token x tg tokens/s / this machine's read\n"
                   "bandwidth (all threads, a 1 GiB huge-page buffer), measured right before and after each tg run.\n"
                   "`bench kernels` benchmarks the kernels.");
  parser.AddPositional("MODEL", &model_path, "a GGUF file or llama2.c checkpoint", true);
  parser.AddString("--tokenizer", &tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddString("--modes", &modes, "modes to measure, comma-separated, in this order (int8 / fp32 ratios need int8,fp32)");
  parser.AddInt("-p,--n-prompt", &n_prompt, "prompt tokens (pp)");
  parser.AddInt("-n,--n-gen", &n_gen, "generated tokens (tg)");
  parser.AddInt("-t,--threads", &threads, "threads (0: all cores)");
  WeightOptions weights;
  weights.Add(parser);
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  if (n_prompt < 1 || n_gen < 1) throw Error("-p and -n must be positive");
  std::vector<int32_t> mode_list;
  std::stringstream names(modes);
  for (std::string name; std::getline(names, name, ',');) {
    int32_t mode = INGOT_MODE_INT8;
    if (!ParseMode(name, &mode)) throw Error("--modes: '" + name + "' is not int8 or fp32");
    mode_list.push_back(mode);
  }
  if (mode_list.empty()) throw Error("--modes must name int8 and/or fp32");

  const BandwidthProbe probe(threads, kProbeBytes);  // before the model: its pages are all resident
  ingot_model_params load;
  Check(ingot_model_params_init(&load));
  load.tokenizer_path = tokenizer_path.empty() ? nullptr : tokenizer_path.c_str();
  load.prepare_int8 = std::find(mode_list.begin(), mode_list.end(), INGOT_MODE_INT8) != mode_list.end();
  load.n_threads = threads;
  weights.Apply(load);
  const double load_start = NowSeconds();
  const ModelHandle model = LoadModel(model_path, load);
  const double load_seconds = NowSeconds() - load_start;
  const ingot_model_info c = ModelInfo(model.get());
  if (!parser.Given("--modes")) {  // the modes this file can run (an ingot file has no float weights)
    std::erase_if(mode_list, [&](int32_t mode) { return mode == INGOT_MODE_INT8 ? !c.has_int8 : !c.has_fp32; });
  }
  if (n_prompt + n_gen > c.n_ctx_train) {
    n_prompt = std::max(1, c.n_ctx_train - n_gen);
    std::fprintf(stderr, "bench: the model's context is %d tokens: pp uses %d\n", c.n_ctx_train, n_prompt);
  }
  struct Row {
    int32_t mode;
    Speed speed;
  };
  std::vector<Row> rows;
  for (const int32_t mode : mode_list) {
    std::fprintf(stderr, "bench: measuring %s...\n", ModeName(mode));
    rows.push_back({mode, Measure(model.get(), mode, n_prompt, n_gen, threads, probe)});
  }
  // The probe's buffer is resident from the start: it is not the model's memory.
  const double mib = 1024.0 * 1024.0;
  const double peak_rss = PeakRssMiB() - static_cast<double>(probe.bytes()) / mib;
  std::printf("model: %s (%s), d_model %d, %d layers, vocab %d; loaded in %.2f s\n", model_path.c_str(), c.format, c.d_model,
              c.n_layers, c.n_vocab, load_seconds);
  std::printf("machine: %d threads, kernels %s; read bandwidth measured right before and after each tg run\n\n", probe.threads(),
              c.isa);
  std::printf("| mode | pp%d tok/s | tg%d tok/s | weights MiB | KV cache MiB | decode GB/s | read bandwidth GB/s | decode bandwidth use |\n",
              n_prompt, n_gen);
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    // Weights read per generated token: every matrix but the embedding table (one row of it).
    const double decode_gbs = static_cast<double>(r.speed.info.weight_bytes_per_token) * r.speed.tg_tokens_per_s / 1e9;
    std::printf("| %s | %.1f | %.2f | %.1f | %.1f | %.2f | %.2f | %.0f%% |\n", ModeName(r.mode), r.speed.pp_tokens_per_s,
                r.speed.tg_tokens_per_s, static_cast<double>(r.speed.info.weight_bytes) / mib,
                static_cast<double>(r.speed.info.kv_cache_bytes) / mib, decode_gbs, r.speed.bandwidth_gbs,
                100.0 * decode_gbs / r.speed.bandwidth_gbs);
  }
  if (rows.size() == 2 && rows[0].mode == INGOT_MODE_INT8) {
    std::printf("\nint8 / fp32: prompt %.2fx, generation %.2fx\n", rows[0].speed.pp_tokens_per_s / rows[1].speed.pp_tokens_per_s,
                rows[0].speed.tg_tokens_per_s / rows[1].speed.tg_tokens_per_s);
  }
  std::printf("peak RSS %.1f MiB (load and every mode measured)\n", peak_rss);
  return 0;
}

}  // namespace
}  // namespace ingot::apps

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "kernels") == 0) return ingot::RunKernelBench(argc - 1, argv + 1);
  return ingot::apps::RunMain("bench", [&] { return ingot::apps::RunModelBench(argc, argv); });
}
