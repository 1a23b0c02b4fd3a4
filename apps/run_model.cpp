// run-model: generate text from a prompt file, streaming it, then keep the conversation going
// with lines typed at a "> " prompt until /quit or end of input.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common.h"

namespace ingot::apps {
namespace {

struct Options {
  std::string model_path;
  std::string tokenizer_path;
  std::string prompt_path;
  std::string mode = "int8";
  std::string fp_modules;
  int32_t n_predict = 256;
  int32_t n_ctx = 0;
  int32_t n_threads = 0;
  uint64_t max_memory_mib = 0;
  // Sampling: Run starts them at the C API's defaults (ingot_session_params_init).
  float temperature = 0.0f, top_p = 0.0f, repeat_penalty = 0.0f;
  int32_t top_k = 0;
  uint64_t seed = 0;
  std::string system;         // chat: the system prompt
  std::string chat_template;  // chat: a family name instead of the model's own template
  bool no_chat = false;
};

struct Stats {
  int64_t prompt_tokens = 0;
  double prompt_seconds = 0.0;
  int64_t generated_tokens = 0;
  double generate_seconds = 0.0;
};

// Streams each piece of generated text to stdout as it comes, and keeps it (user_data: a
// std::string, the model's answer so far).
int32_t PrintPiece(const char* text, size_t length, int32_t /*token*/, void* user_data) {
  std::fwrite(text, 1, length, stdout);
  std::fflush(stdout);
  static_cast<std::string*>(user_data)->append(text, length);
  return 0;
}

class Conversation {
 public:
  Conversation(ingot_session* session, Stats& stats) : session_(session), stats_(stats) {}

  // Appends text to the context (BOS first in an empty one, if the model wants it) and
  // evaluates it. Returns "" or, when the text does not fit, why (the context is unchanged).
  std::string Feed(const std::string& text) {
    const int32_t before = SessionInfo(session_).n_past;
    const double start = NowSeconds();
    const int32_t status = ingot_session_eval_prompt(session_, text.c_str());
    if (status == INGOT_ERROR_CONTEXT_FULL) return LastError();
    Check(status);
    stats_.prompt_seconds += NowSeconds() - start;
    stats_.prompt_tokens += SessionInfo(session_).n_past - before;
    return "";
  }

  // Appends token ids to the context and evaluates them; "" or why they do not fit.
  std::string FeedTokens(const std::vector<int32_t>& tokens) {
    const double start = NowSeconds();
    const int32_t status = ingot_session_eval(session_, tokens.data(), static_cast<int32_t>(tokens.size()));
    if (status == INGOT_ERROR_CONTEXT_FULL) return LastError();
    Check(status);
    stats_.prompt_seconds += NowSeconds() - start;
    stats_.prompt_tokens += static_cast<int64_t>(tokens.size());
    return "";
  }

  // Streams up to n_predict tokens (n_predict < 0: until EOS or the context is full) and keeps
  // their text in answer(). False when the context is full.
  bool Generate(int32_t n_predict) {
    const double start = NowSeconds();
    int32_t generated = 0;
    answer_.clear();
    const int32_t status =
        ingot_session_generate(session_, n_predict < 0 ? INT32_MAX : n_predict, PrintPiece, &answer_, &generated);
    std::fflush(stdout);
    stats_.generate_seconds += NowSeconds() - start;
    stats_.generated_tokens += generated;
    if (status == INGOT_ERROR_CONTEXT_FULL) {
      std::fprintf(stderr, "\nrun-model: context is full (n_ctx %d): generation stopped\n", SessionInfo(session_).n_ctx);
      return false;
    }
    Check(status);
    return true;
  }
  const std::string& answer() const { return answer_; }

 private:
  ingot_session* session_;
  Stats& stats_;
  std::string answer_;
};

// A chat with the model through its chat template: the messages so far, and each new turn's
// token ids (only what the session does not hold yet: after the model's answer as generated).
class Chat {
 public:
  Chat(const ingot_model* model, std::string template_name, const std::string& system)
      : model_(model), template_(std::move(template_name)) {
    if (!system.empty()) messages_.push_back({"system", system});
  }
  // The tokens that add a user turn and open the model's answer.
  std::vector<int32_t> UserTurn(const std::string& text) {
    const int32_t start_after = last_answer_;
    messages_.push_back({"user", text});
    std::vector<ingot_chat_message> c;
    for (const auto& [role, content] : messages_) c.push_back({role.c_str(), content.c_str()});
    int32_t n = 0;
    const char* name = template_.empty() ? nullptr : template_.c_str();
    const int32_t status = ingot_chat_tokenize(model_, name, c.data(), static_cast<int32_t>(c.size()), 1, start_after,
                                               nullptr, 0, &n);
    if (status != INGOT_ERROR_BUFFER_TOO_SMALL) Check(status);
    std::vector<int32_t> tokens(static_cast<size_t>(n));
    Check(ingot_chat_tokenize(model_, name, c.data(), static_cast<int32_t>(c.size()), 1, start_after, tokens.data(), n, &n));
    return tokens;
  }
  // The user turn just added did not fit: forget it.
  void DropUserTurn() { messages_.pop_back(); }
  void Answer(const std::string& text) {
    messages_.push_back({"assistant", text});
    last_answer_ = static_cast<int32_t>(messages_.size()) - 1;
  }

 private:
  const ingot_model* model_;
  std::string template_;
  std::vector<std::pair<std::string, std::string>> messages_;  // role, content
  int32_t last_answer_ = -1;  // the session holds the conversation up to this message's content
};

int Run(int argc, char** argv) {
  Options o;
  ingot_session_params defaults;
  Check(ingot_session_params_init(&defaults));
  o.temperature = defaults.temperature;
  o.top_k = defaults.top_k;
  o.top_p = defaults.top_p;
  o.repeat_penalty = defaults.repeat_penalty;
  ArgParser parser("run-model", "[options] prompt.txt",
                   "Generates text that continues the prompt in prompt.txt, streaming it to stdout, then reads\n"
                   "more lines at a '> ' prompt and answers each in the same conversation. /quit or end of\n"
                   "input ends it. When the model has a chat template (tokenizer.chat_template), the prompt and\n"
                   "each line are user turns in it, after --system, and the model answers until its end of turn;\n"
                   "--no-chat feeds raw text instead. Without -m, the default model (stories260K) is looked up\n"
                   "in ./models and ../shared/models. Speed goes to stderr at the end.");
  parser.AddPositional("prompt.txt", &o.prompt_path, "UTF-8 text file with the prompt", true);
  parser.AddString("-m,--model", &o.model_path, "model: a GGUF file or a llama2.c checkpoint");
  parser.AddString("--tokenizer", &o.tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddInt("-n,--n-predict", &o.n_predict, "tokens to generate per turn (-1: until EOS or context end)");
  parser.AddInt("-c,--ctx-size", &o.n_ctx, "context length in tokens (0: the model's)");
  parser.AddInt("-t,--threads", &o.n_threads, "threads (0: all cores)");
  parser.AddUint64("--max-memory", &o.max_memory_mib, "MiB the session may take besides the model (0: what is available, and with the model's own context at most its weights, at least 256 MiB)");
  parser.AddFloat("--temp", &o.temperature, "temperature (0: greedy)");
  parser.AddInt("--top-k", &o.top_k, "keep the k most likely tokens (0: all)");
  parser.AddFloat("--top-p", &o.top_p, "keep the smallest set with this total probability (1: all)");
  parser.AddFloat("--repeat-penalty", &o.repeat_penalty, "penalty for the last 64 tokens (1: off)");
  parser.AddUint64("--seed", &o.seed, "random seed (0 = a random one, printed to stderr)");
  parser.AddString("--mode", &o.mode, "int8 (integer-only) or fp32 (the float reference)");
  parser.AddString("--system", &o.system, "chat: the system prompt");
  parser.AddString("--chat-template", &o.chat_template, "chat: the template family to use instead of the model's own: chatml, llama3, gemma, phi3 or llama2");
  parser.AddFlag("--no-chat", &o.no_chat, "feed the prompt as raw text, even when the model has a chat template");
  parser.AddString("--fp-modules", &o.fp_modules, "int8 mode: modules run in float: norm,rope,act,softmax,kv,lm_head,layer:N "
                                                   "(gpt2: layernorm,gelu,softmax,kv,lm_head,layer:N)");
  WeightOptions weights;
  weights.Add(parser);
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  int32_t mode = INGOT_MODE_INT8;
  if (!ParseMode(o.mode, &mode)) throw Error("--mode must be fp32 or int8, not '" + o.mode + "'");
  if (o.n_ctx < 0) throw Error("-c must be positive, got " + std::to_string(o.n_ctx));
  if (o.n_predict < -1) throw Error("-n must be -1 (until EOS or the context is full) or more, got " + std::to_string(o.n_predict));

  const std::string prompt = ReadTextFile(o.prompt_path, "prompt file");
  if (o.model_path.empty()) o.model_path = FindDefaultModel();
  if (!parser.Given("--seed") || o.seed == 0) o.seed = std::random_device{}();
  ingot_model_params model_params;
  Check(ingot_model_params_init(&model_params));
  model_params.tokenizer_path = o.tokenizer_path.empty() ? nullptr : o.tokenizer_path.c_str();
  model_params.prepare_int8 = mode == INGOT_MODE_INT8 ? 1 : 0;
  model_params.n_threads = o.n_threads;
  weights.Apply(model_params);
  const double load_start = NowSeconds();
  ModelHandle model = LoadModel(o.model_path, model_params);
  ingot_session_params session_params;
  Check(ingot_session_params_init(&session_params));
  session_params.n_ctx = o.n_ctx == 0 ? INGOT_N_CTX_MODEL : o.n_ctx;
  session_params.n_threads = o.n_threads;
  session_params.mode = mode;
  session_params.fp_modules = o.fp_modules.empty() ? nullptr : o.fp_modules.c_str();
  session_params.max_memory = o.max_memory_mib > (UINT64_MAX >> 20) ? UINT64_MAX : o.max_memory_mib << 20;
  session_params.temperature = o.temperature;
  session_params.top_k = o.top_k;
  session_params.top_p = o.top_p;
  session_params.repeat_penalty = o.repeat_penalty;
  session_params.seed = o.seed;
  SessionHandle session = CreateSession(model.get(), session_params);
  const ingot_model_info info = ModelInfo(model.get());
  const ingot_session_info session_info = SessionInfo(session.get());
  std::fprintf(stderr, "run-model: %s (%s, %s, %d layers, d_model %d, vocab %d), mode %s (kernels %s), n_ctx %d, %d threads, seed %llu, loaded in %.2f s\n",
               o.model_path.c_str(), info.format, info.architecture, info.n_layers, info.d_model, info.n_vocab,
               ModeName(mode), info.isa, session_info.n_ctx, session_info.n_threads, static_cast<unsigned long long>(o.seed), NowSeconds() - load_start);

  Stats stats;
  Conversation conversation(session.get(), stats);
  // Chat when the model has a template or one is named, unless --no-chat.
  std::unique_ptr<Chat> chat;
  if (!o.no_chat) {
    const char* family = nullptr;
    int32_t end_of_turn = -1;
    const char* name = o.chat_template.empty() ? nullptr : o.chat_template.c_str();
    const int32_t status = ingot_chat_template(model.get(), name, &family, &end_of_turn);
    const bool has_template = ModelInfo(model.get()).chat_template[0] != '\0';
    if (status == INGOT_OK) {
      chat = std::make_unique<Chat>(model.get(), o.chat_template, o.system);
      if (end_of_turn >= 0) Check(ingot_session_add_stop_token(session.get(), end_of_turn));
      std::fprintf(stderr, "run-model: chat template %s\n", family);
    } else if (name != nullptr || has_template) {
      Check(status);  // an unknown name, or a template ingot does not recognize: say which work
    }
  }
  if (!chat && !o.system.empty()) throw Error("--system needs a chat template (the model has none; name one with --chat-template)");
  const auto feed_user = [&](const std::string& text) {
    if (!chat) return conversation.Feed(text);
    std::string error = conversation.FeedTokens(chat->UserTurn(text));
    if (!error.empty()) chat->DropUserTurn();
    return error;
  };
  if (const std::string error = feed_user(prompt); !error.empty()) {
    throw Error(o.prompt_path + ": the prompt is too long: " + error);
  }
  std::fputs(prompt.c_str(), stdout);
  if (chat) std::fputs("\n", stdout);
  std::fflush(stdout);
  bool open = conversation.Generate(o.n_predict);
  if (chat) chat->Answer(conversation.answer());
  std::string line;
  while (open) {
    std::fputs("\n> ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/quit") break;
    if (line.empty()) continue;
    // A line that does not fit is refused; the conversation stays open.
    if (const std::string error = chat ? feed_user(line) : conversation.Feed("\n" + line + "\n"); !error.empty()) {
      std::fprintf(stderr, "run-model: line refused: %s\n", error.c_str());
      continue;
    }
    open = conversation.Generate(o.n_predict);
    if (chat) chat->Answer(conversation.answer());
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
