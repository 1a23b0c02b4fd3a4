// bench: speed as fractions of this machine's measured limits, in one run.
//   bench kernels [--isa NAME] [--quick]   every kernel vs memory bandwidth and int8 peak
//   bench [options] MODEL                  prompt processing (pp) and generation (tg) tokens/s
//                                          in int8 and fp32, memory, and decode bandwidth use
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "apps/bench_kernels.h"
#include "apps/common.h"
#include "engine/int8_model.h"
#include "engine/model.h"
#include "engine/quantize.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "kernels/parallel.h"
#include "model_io/error.h"

namespace ingot::apps {
namespace {

struct Speed {
  double pp_tokens_per_s = 0.0;
  double tg_tokens_per_s = 0.0;
  double bandwidth_gbs = 0.0;  // read bandwidth measured right before and right after tg (mean)
  uint64_t kv_bytes = 0;
};

// A buffer in huge pages like the int8 weights, read to measure the memory bandwidth next to
// each generation run: this VM's bandwidth moves a lot over seconds, so a single measurement
// at another time would make the ratio noise.
struct BandwidthProbe {
  static constexpr int64_t kBytes = int64_t{1} << 30;
  WeightBuffer buffer{static_cast<size_t>(kBytes)};
  int32_t threads;
  explicit BandwidthProbe(int32_t n_threads) : threads(n_threads) {
    kernels::ParallelFor(static_cast<int32_t>(kBytes >> 20), 1, threads, [&](int32_t b, int32_t e) {
      std::memset(buffer.data() + (int64_t{b} << 20), 1, static_cast<size_t>(e - b) << 20);
    });
  }
  double GBs() const { return ReadBandwidthGBs(buffer.data(), kBytes, threads, 0.5); }
};

// pp: one batch of n_prompt tokens from an empty cache; tg: n_gen tokens one at a time, greedy.
Speed Measure(const Model& model, Mode mode, int32_t n_prompt, int32_t n_gen, int32_t threads,
              const BandwidthProbe& probe) {
  SessionOptions options;
  options.mode = mode;
  options.n_threads = threads;
  options.n_ctx = n_prompt + n_gen;
  Session session(model, options);
  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  uint64_t state = 12345;
  for (int32_t& t : prompt) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    t = static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(model.config().n_vocab));
  }
  Speed speed;
  double start = NowSeconds();
  session.Eval(prompt.data(), n_prompt, false);
  speed.pp_tokens_per_s = n_prompt / (NowSeconds() - start);
  const double before = probe.GBs();
  start = NowSeconds();
  for (int32_t i = 0; i < n_gen; ++i) {
    const int32_t next = Argmax(session.logits(), model.config().n_vocab);
    session.Eval(&next, 1, false);
  }
  speed.tg_tokens_per_s = n_gen / (NowSeconds() - start);
  speed.bandwidth_gbs = (before + probe.GBs()) / 2.0;
  speed.kv_bytes = session.kv_cache_bytes();
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
  parser.AddString("--modes", &modes, "modes to measure, in order: int8, fp32 or both");
  parser.AddInt("-p,--n-prompt", &n_prompt, "prompt tokens (pp)");
  parser.AddInt("-n,--n-gen", &n_gen, "generated tokens (tg)");
  parser.AddInt("-t,--threads", &threads, "threads (0: all cores)");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  if (n_prompt < 1 || n_gen < 1) throw Error("-p and -n must be positive");
  std::vector<Mode> mode_list;
  for (const std::string& name : {std::string("int8"), std::string("fp32")}) {
    if (modes.find(name) != std::string::npos) mode_list.push_back(name == "int8" ? Mode::kInt8 : Mode::kFp32);
  }
  if (mode_list.empty()) throw Error("--modes must name int8 and/or fp32");

  const int32_t n_threads = threads > 0 ? threads : kernels::DefaultThreadCount();
  const BandwidthProbe probe(n_threads);  // before the model: its pages are all resident
  ModelLoadOptions load;
  load.tokenizer_path = tokenizer_path;
  load.prepare_int8 = std::find(mode_list.begin(), mode_list.end(), Mode::kInt8) != mode_list.end();
  load.n_threads = threads;
  const double load_start = NowSeconds();
  const std::unique_ptr<Model> model = Model::Load(model_path, load);
  const double load_seconds = NowSeconds() - load_start;
  const ModelConfig& c = model->config();
  if (n_prompt + n_gen > c.n_ctx_train) {
    n_prompt = std::max(1, c.n_ctx_train - n_gen);
    std::fprintf(stderr, "bench: the model's context is %d tokens: pp uses %d\n", c.n_ctx_train, n_prompt);
  }
  struct Row {
    Mode mode;
    Speed speed;
    uint64_t weight_bytes, per_token;
  };
  std::vector<Row> rows;
  for (Mode mode : mode_list) {
    // Weights read per generated token: every matrix but the embedding table (one row of it).
    uint64_t weight_bytes = 0, per_token = 0;
    if (mode == Mode::kInt8) {
      const Int8Weights& w = *model->int8();
      weight_bytes = w.weight_bytes();
      const uint64_t embd = static_cast<uint64_t>(w.token_embd.packed.n_pad) * static_cast<uint64_t>(w.token_embd.packed.k_pad);
      per_token = weight_bytes - (w.output == &w.token_embd ? 0 : embd);
    } else {
      weight_bytes = model->weight_bytes();
      const uint64_t embd = model->token_embd.info ? model->token_embd.info->n_bytes : 0;
      per_token = weight_bytes - (model->output.data == model->token_embd.data ? 0 : embd);
    }
    std::fprintf(stderr, "bench: measuring %s...\n", ModeName(mode));
    rows.push_back({mode, Measure(*model, mode, n_prompt, n_gen, threads, probe), weight_bytes, per_token});
  }
  // The probe's buffer is resident from the start: it is not the model's memory.
  const double mib = 1024.0 * 1024.0;
  const double peak_rss = PeakRssMiB() - static_cast<double>(BandwidthProbe::kBytes) / mib;
  std::printf("model: %s (%s), d_model %d, %d layers, vocab %d; loaded in %.2f s\n", model_path.c_str(),
              model->format().c_str(), c.d_model, c.n_layers, c.n_vocab, load_seconds);
  std::printf("machine: %d threads, kernels %s; read bandwidth measured right before and after each tg run\n\n", n_threads,
              model->isa_name());
  std::printf("| mode | pp%d tok/s | tg%d tok/s | weights MiB | KV cache MiB | decode GB/s | read bandwidth GB/s | decode bandwidth use |\n",
              n_prompt, n_gen);
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    const double decode_gbs = static_cast<double>(r.per_token) * r.speed.tg_tokens_per_s / 1e9;
    std::printf("| %s | %.1f | %.2f | %.1f | %.1f | %.2f | %.2f | %.0f%% |\n", ModeName(r.mode), r.speed.pp_tokens_per_s,
                r.speed.tg_tokens_per_s, static_cast<double>(r.weight_bytes) / mib, static_cast<double>(r.speed.kv_bytes) / mib,
                decode_gbs, r.speed.bandwidth_gbs, 100.0 * decode_gbs / r.speed.bandwidth_gbs);
  }
  if (rows.size() == 2 && rows[0].mode == Mode::kInt8) {
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
