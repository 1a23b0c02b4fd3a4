// run-model: generate text from a prompt file, streaming it, then keep the conversation going
// with lines typed at a "> " prompt until /quit or end of input.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>

#include "apps/common.h"
#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "model_io/error.h"

namespace ingot::apps {
namespace {

constexpr int32_t kMaxThreads = 256;

struct Options {
  std::string model_path;
  std::string tokenizer_path;
  std::string prompt_path;
  std::string mode = "int8";
  std::string fp_modules;
  int32_t n_predict = 256;
  int32_t n_ctx = 0;
  int32_t n_threads = 0;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float repeat_penalty = 1.1f;
  uint64_t seed = 0;
};

struct Stats {
  int64_t prompt_tokens = 0;
  double prompt_seconds = 0.0;
  int64_t generated_tokens = 0;
  double generate_seconds = 0.0;
};

class Conversation {
 public:
  Conversation(const Model& model, Session& session, Sampler& sampler, Stats& stats)
      : model_(model), session_(session), sampler_(sampler), stats_(stats) {}

  // Appends text to the context and evaluates it. Returns "" or, when the text does not fit,
  // why (and the context is unchanged).
  std::string Feed(const std::string& text, bool add_bos) {
    std::vector<int32_t> tokens = model_.tokenizer().Encode(text, add_bos);
    if (tokens.empty()) return "";
    if (static_cast<int64_t>(tokens.size()) > session_.n_ctx() - session_.n_past()) {
      return std::to_string(tokens.size()) + " tokens do not fit in the remaining context (" +
             std::to_string(session_.n_ctx() - session_.n_past()) + " of n_ctx " + std::to_string(session_.n_ctx()) + ")";
    }
    const double start = NowSeconds();
    session_.Eval(tokens.data(), static_cast<int32_t>(tokens.size()), false);
    stats_.prompt_seconds += NowSeconds() - start;
    stats_.prompt_tokens += static_cast<int64_t>(tokens.size());
    history_.insert(history_.end(), tokens.begin(), tokens.end());
    return "";
  }

  // Streams up to n_predict tokens (n_predict < 0: until EOS or the context is full).
  // False when the context is full.
  bool Generate(int32_t n_predict) {
    Utf8Stream stream;
    const double start = NowSeconds();
    bool context_left = true;
    for (int32_t i = 0; n_predict < 0 || i < n_predict; ++i) {
      if (session_.n_past() >= session_.n_ctx()) {
        context_left = false;
        break;
      }
      const int32_t token = sampler_.Sample(session_.logits(), history_);
      if (token == model_.tokenizer().eos_id()) break;
      history_.push_back(token);
      std::fputs(stream.Push(model_.tokenizer().TokenToPiece(token)).c_str(), stdout);
      std::fflush(stdout);
      session_.Eval(&token, 1, false);
      ++stats_.generated_tokens;
    }
    std::fputs(stream.Flush().c_str(), stdout);
    std::fflush(stdout);
    stats_.generate_seconds += NowSeconds() - start;
    if (!context_left) {
      std::fprintf(stderr, "\nrun-model: context is full (n_ctx %d): generation stopped\n", session_.n_ctx());
    }
    return context_left;
  }

 private:
  const Model& model_;
  Session& session_;
  Sampler& sampler_;
  Stats& stats_;
  std::vector<int32_t> history_;
};

int Run(int argc, char** argv) {
  Options o;
  ArgParser parser("run-model", "[options] prompt.txt",
                   "Generates text that continues the prompt in prompt.txt, streaming it to stdout, then reads\n"
                   "more lines at a '> ' prompt and answers each in the same conversation. /quit or end of\n"
                   "input ends it. Without -m, the default model (stories260K) is looked up in ./models and\n"
                   "../shared/models. Speed goes to stderr at the end.");
  parser.AddPositional("prompt.txt", &o.prompt_path, "UTF-8 text file with the prompt", true);
  parser.AddString("-m,--model", &o.model_path, "model: a GGUF file or a llama2.c checkpoint");
  parser.AddString("--tokenizer", &o.tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddInt("-n,--n-predict", &o.n_predict, "tokens to generate per turn (-1: until EOS or context end)");
  parser.AddInt("-c,--ctx-size", &o.n_ctx, "context length in tokens (0: the model's)");
  parser.AddInt("-t,--threads", &o.n_threads, "threads (0: all cores)");
  parser.AddFloat("--temp", &o.temperature, "temperature (0: greedy)");
  parser.AddInt("--top-k", &o.top_k, "keep the k most likely tokens (0: all)");
  parser.AddFloat("--top-p", &o.top_p, "keep the smallest set with this total probability (1: all)");
  parser.AddFloat("--repeat-penalty", &o.repeat_penalty, "penalty for the last 64 tokens (1: off)");
  parser.AddUint64("--seed", &o.seed, "random seed (0 = a random one, printed to stderr)");
  parser.AddString("--mode", &o.mode, "int8 (integer-only) or fp32 (the float reference)");
  parser.AddString("--fp-modules", &o.fp_modules, "int8 mode: modules run in float: norm,rope,act,softmax,kv,lm_head,layer:N "
                                                   "(gpt2: layernorm,gelu,softmax,kv,lm_head,layer:N)");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  Mode mode;
  if (!ParseMode(o.mode, &mode)) throw Error("--mode must be fp32 or int8, not '" + o.mode + "'");
  if (o.n_ctx < 0) throw Error("-c must be positive, got " + std::to_string(o.n_ctx));
  if (o.n_threads < 0 || o.n_threads > kMaxThreads) {
    throw Error("-t must be between 1 and " + std::to_string(kMaxThreads) + " (0: all cores), got " + std::to_string(o.n_threads));
  }
  if (o.n_predict < -1) throw Error("-n must be -1 (until EOS or the context is full) or more, got " + std::to_string(o.n_predict));

  const std::string prompt = ReadTextFile(o.prompt_path, "prompt file");
  if (o.model_path.empty()) o.model_path = FindDefaultModel();
  ModelLoadOptions load_options;
  load_options.tokenizer_path = o.tokenizer_path;
  load_options.prepare_int8 = mode == Mode::kInt8;
  load_options.n_threads = o.n_threads;
  const double load_start = NowSeconds();
  std::unique_ptr<Model> model = Model::Load(o.model_path, load_options);
  SessionOptions session_options;
  session_options.n_ctx = o.n_ctx;
  session_options.n_threads = o.n_threads;
  session_options.mode = mode;
  session_options.fp_modules = o.fp_modules;
  Session session(*model, session_options);
  if (!parser.Given("--seed") || o.seed == 0) o.seed = std::random_device{}();
  SamplerParams sampler_params;
  sampler_params.temperature = o.temperature;
  sampler_params.top_k = o.top_k;
  sampler_params.top_p = o.top_p;
  sampler_params.repeat_penalty = o.repeat_penalty;
  sampler_params.seed = o.seed;
  Sampler sampler(sampler_params, model->config().n_vocab);
  const ModelConfig& c = model->config();
  std::fprintf(stderr, "run-model: %s (%s, %s, %d layers, d_model %d, vocab %d), mode %s (kernels %s), n_ctx %d, %d threads, seed %llu, loaded in %.2f s\n",
               o.model_path.c_str(), model->format().c_str(), c.arch.c_str(), c.n_layers, c.d_model, c.n_vocab,
               ModeName(mode), model->isa_name(), session.n_ctx(), session.n_threads(), static_cast<unsigned long long>(o.seed), NowSeconds() - load_start);

  Stats stats;
  Conversation conversation(*model, session, sampler, stats);
  if (const std::string error = conversation.Feed(prompt, model->tokenizer().add_bos()); !error.empty()) {
    throw Error(o.prompt_path + ": the prompt is too long: " + error);
  }
  std::fputs(prompt.c_str(), stdout);
  std::fflush(stdout);
  bool open = conversation.Generate(o.n_predict);
  std::string line;
  while (open) {
    std::fputs("\n> ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/quit") break;
    if (line.empty()) continue;
    // A line that does not fit is refused; the conversation stays open.
    if (const std::string error = conversation.Feed("\n" + line + "\n", false); !error.empty()) {
      std::fprintf(stderr, "run-model: line refused: %s\n", error.c_str());
      continue;
    }
    open = conversation.Generate(o.n_predict);
  }
  std::fputs("\n", stdout);
  std::fflush(stdout);
  auto rate = [](int64_t n, double s) { return s > 0.0 ? static_cast<double>(n) / s : 0.0; };
  std::fprintf(stderr, "run-model: prompt %lld tokens in %.3f s (%.1f tokens/s), generation %lld tokens in %.3f s (%.1f tokens/s), peak RSS %.1f MiB\n",
               static_cast<long long>(stats.prompt_tokens), stats.prompt_seconds, rate(stats.prompt_tokens, stats.prompt_seconds),
               static_cast<long long>(stats.generated_tokens), stats.generate_seconds,
               rate(stats.generated_tokens, stats.generate_seconds), PeakRssMiB());
  return 0;
}

}  // namespace
}  // namespace ingot::apps

int main(int argc, char** argv) {
  return ingot::apps::RunMain("run-model", [&] { return ingot::apps::Run(argc, argv); });
}
