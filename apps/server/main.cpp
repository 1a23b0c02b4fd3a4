// ingot-server: the OpenAI HTTP API over one model, N slots decoding together (scheduler.h).
// Endpoints: POST /v1/completions, POST /v1/chat/completions (both also streaming, as
// server-sent events), GET /v1/models, GET /health.
#include <httplib.h>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "apps/common.h"
#include "apps/server/connection.h"
#include "apps/server/openai.h"
#include "apps/server/scheduler.h"
#include "engine/session/chat.h"
#include "model_io/error.h"

namespace ingot::server {
namespace {

struct Options {
  std::string model_path, tokenizer_path, host = "127.0.0.1", api_key, alias, chat_template, mode_name = "int8";
  std::string fp_modules;
  int32_t port = 8080, parallel = 4, n_ctx = 0, n_threads = 0, queue = -1, http_threads = 0;
  int32_t max_body_kib = 4096;
  uint64_t max_memory_mib = 0;
};

// How often a waiting request checks that its client is still there.
constexpr int32_t kPollMs = 100;

httplib::Server* g_server = nullptr;  // for the signal handler
void StopOnSignal(int) {
  if (g_server != nullptr) g_server->stop();
}

std::string RandomId(const char* prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char text[32];
  std::snprintf(text, sizeof(text), "%s%016llx", prefix, static_cast<unsigned long long>(rng()));
  return text;
}

// Compares a client's token with the key (never empty) without an early exit, so timing does
// not tell how much of the key was right.
bool SameKey(const std::string& token, const std::string& key) {
  unsigned char diff = token.size() == key.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(token[i] ^ key[i % key.size()]);
  return diff == 0;
}

class Server {
 public:
  Server(const Options& o, const Model& model, Scheduler& scheduler, std::optional<ChatSpec> chat)
      : o_(o), model_(model), scheduler_(scheduler), chat_(std::move(chat)),
        model_id_(!o.alias.empty() ? o.alias : std::filesystem::path(o.model_path).filename().string()),
        created_(std::time(nullptr)) {}

  void Route(httplib::Server& http) {
    http.set_payload_max_length(static_cast<size_t>(o_.max_body_kib) * 1024);
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (o_.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
      const std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) == 0 && SameKey(auth.substr(7), o_.api_key)) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      Reply(res, ApiError(401, "a valid API key is required: send 'Authorization: Bearer KEY'"));
      return httplib::Server::HandlerResponse::Handled;
    });
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      if (res.status >= 400 && res.status != 499) {
        std::fprintf(stderr, "ingot-server: %s %s: HTTP %d\n", req.method.c_str(), req.path.substr(0, 200).c_str(),
                     res.status);
      }
    });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const std::string what = res.status == 404   ? "no such endpoint: " + req.method + " " + req.path
                               : res.status == 413 ? "the request body is larger than the server accepts"
                               : res.status == 405 ? "method not allowed: " + req.method + " " + req.path
                                                   : "the request could not be read (HTTP " + std::to_string(res.status) + ")";
      res.set_content(ErrorJson(ApiError(res.status, what)), "application/json");
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      const Scheduler::Load load = scheduler_.load();
      res.set_content("{\"status\":\"ok\",\"slots\":" + std::to_string(scheduler_.n_slots()) +
                          ",\"slots_busy\":" + std::to_string(load.busy_slots) +
                          ",\"queued\":" + std::to_string(load.queued) + "}",
                      "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ModelsJson(model_id_, created_), "application/json");
    });
    http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      Complete(req, res, Endpoint::kCompletions);
    });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      Complete(req, res, Endpoint::kChat);
    });
  }

 private:
  // One line on stderr for each finished completion.
  static void LogDone(const ResponseHeader& h, const Job::Update& u, double start, bool stream) {
    std::fprintf(stderr, "ingot-server: %s %s: %d prompt tokens (%d cached), %d generated, %s, %.2f s\n", h.id.c_str(),
                 stream ? "streamed" : "done", u.usage.prompt_tokens, u.usage.cached_tokens, u.usage.completion_tokens,
                 u.finish_reason.c_str(), apps::NowSeconds() - start);
  }

  static void Reply(httplib::Response& res, const ApiError& e) {
    res.status = e.status();
    res.set_content(ErrorJson(e), "application/json");
  }

  JobSpec Spec(const CompletionRequest& r) const {
    if (!r.model.empty() && r.model != model_id_) {
      throw ApiError(400, "model '" + r.model + "' is not served here (this server serves '" + model_id_ + "')", "model");
    }
    JobSpec spec;
    const Tokenizer& tokenizer = model_.tokenizer();
    if (r.endpoint == Endpoint::kChat) {
      if (!chat_) {
        throw ApiError(400, "the model has no chat template ingot knows: use /v1/completions, or start the server "
                            "with --chat-template", "messages");
      }
      try {
        spec.prompt = TokenizeChat(model_, *chat_, r.messages, true, -1);
      } catch (const Error& e) {
        throw ApiError(400, e.what(), "messages");
      }
      if (chat_->end_of_turn >= 0) spec.stop_tokens.push_back(chat_->end_of_turn);
    } else {
      spec.prompt = r.prompt_is_tokens ? r.prompt_tokens : tokenizer.Encode(r.prompt, tokenizer.add_bos());
    }
    if (spec.prompt.empty()) throw ApiError(400, "the prompt has no tokens", "prompt");
    if (static_cast<int64_t>(spec.prompt.size()) > scheduler_.n_ctx()) {
      throw ApiError(400, "the prompt is " + std::to_string(spec.prompt.size()) + " tokens, more than a slot's context (" +
                              std::to_string(scheduler_.n_ctx()) + " tokens)",
                     r.endpoint == Endpoint::kChat ? "messages" : "prompt");
    }
    spec.sampling = r.sampling;
    spec.max_tokens = r.max_tokens;
    spec.stop = r.stop;
    return spec;
  }

  void Complete(const httplib::Request& req, httplib::Response& res, Endpoint endpoint) {
    CompletionRequest request;
    std::shared_ptr<Job> job;
    try {
      request = ParseCompletionRequest(req.body, endpoint, model_.config().n_vocab);
      job = std::make_shared<Job>(Spec(request));
    } catch (const ApiError& e) {
      return Reply(res, e);
    }
    if (!scheduler_.Submit(job)) {
      res.set_header("Retry-After", "1");
      return Reply(res, ApiError(503, "all " + std::to_string(scheduler_.n_slots()) +
                                          " slots are busy and the queue is full: try again later"));
    }
    ResponseHeader h{RandomId(endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-"), std::time(nullptr), model_id_,
                     endpoint};
    const double start = apps::NowSeconds();
    if (request.stream) return Stream(req, res, job, h, request.include_usage, start);
    const PeerWatch peer(req.remote_addr, req.remote_port, req.local_port);
    std::string text;
    for (;;) {
      Job::Update u = job->Wait(kPollMs);
      text += u.text;
      if (u.done) {
        if (!u.error.empty()) return Reply(res, ApiError(500, u.error));
        res.set_content(ResponseJson(h, text, u.finish_reason, u.usage), "application/json");
        return LogDone(h, u, start, false);
      }
      if (!peer.Open()) {
        job->Cancel();  // the client is gone: nobody reads the answer
        res.status = 499;
        return;
      }
    }
  }

  void Stream(const httplib::Request& req, httplib::Response& res, std::shared_ptr<Job> job, ResponseHeader h,
              bool include_usage, double start) {
    res.set_header("Cache-Control", "no-cache");
    const std::string remote_addr = req.remote_addr;
    const int remote_port = req.remote_port, local_port = req.local_port;
    res.set_chunked_content_provider("text/event-stream", [=](size_t, httplib::DataSink& sink) {
      const PeerWatch peer(remote_addr, remote_port, local_port);
      const auto send = [&](const std::string& json) {
        const std::string event = "data: " + json + "\n\n";
        return sink.write(event.data(), event.size());
      };
      bool first = true;
      for (;;) {
        const Job::Update u = job->Wait(kPollMs);
        if (!u.text.empty()) {
          if (!send(ChunkJson(h, u.text, first, ""))) break;
          first = false;
        }
        if (u.done) {
          if (!u.error.empty()) {
            send(ErrorJson(ApiError(500, u.error)));
          } else {
            send(ChunkJson(h, "", first, u.finish_reason));
            if (include_usage) send(UsageChunkJson(h, u.usage));
            LogDone(h, u, start, true);
          }
          const std::string done = "data: [DONE]\n\n";
          sink.write(done.data(), done.size());
          sink.done();
          return true;
        }
        if (!peer.Open()) break;
      }
      job->Cancel();  // the client is gone
      return false;
    }, [job](bool) { job->Cancel(); });  // ends every way: a finished job ignores it
  }

  const Options& o_;
  const Model& model_;
  Scheduler& scheduler_;
  const std::optional<ChatSpec> chat_;
  const std::string model_id_;
  const int64_t created_;
};

int Run(int argc, char** argv) {
  Options o;
  apps::ArgParser parser(
      "ingot-server", "[options] -m MODEL",
      "Serves a model over the OpenAI HTTP API: POST /v1/chat/completions and /v1/completions (with\n"
      "\"stream\": true as server-sent events), GET /v1/models and GET /health. --parallel slots share\n"
      "the model and decode together, one pass over the weights per step for all of them; requests\n"
      "beyond the slots wait in a queue, and beyond it get 503. Binds to 127.0.0.1 unless --host says\n"
      "otherwise. Without -m, the default model (stories260K) is looked up in ./models and ../shared/models.");
  parser.AddString("-m,--model", &o.model_path, "model: a GGUF file or a llama2.c checkpoint");
  parser.AddString("--tokenizer", &o.tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddString("--host", &o.host, "address to listen on (0.0.0.0: every interface; think of --api-key)");
  parser.AddInt("--port", &o.port, "port to listen on");
  parser.AddInt("-np,--parallel", &o.parallel, "slots: requests generated at the same time");
  parser.AddInt("-c,--ctx-size,--ctx", &o.n_ctx, "context length of each slot in tokens (0: the model's, at most 4096)");
  parser.AddInt("--queue", &o.queue, "requests that may wait for a slot (-1: 4 per slot); more get 503");
  parser.AddString("--api-key", &o.api_key, "require 'Authorization: Bearer KEY' on every request but /health");
  parser.AddString("--alias", &o.alias, "the model's name in the API (default: the file name)");
  parser.AddString("--chat-template", &o.chat_template, "chat template family instead of the model's own: chatml, llama3, gemma, phi3 or llama2");
  parser.AddInt("-t,--threads", &o.n_threads, "threads for the model (0: all cores)");
  parser.AddString("--mode", &o.mode_name, "int8 (integer-only) or fp32 (the float reference)");
  parser.AddString("--fp-modules", &o.fp_modules, "int8 mode: modules run in float: norm,rope,act,softmax,lm_head (kv and layer:N with one slot only)");
  parser.AddUint64("--max-memory", &o.max_memory_mib, "MiB the slots' KV caches and buffers may take (0: what is available)");
  parser.AddInt("--max-body-kib", &o.max_body_kib, "largest request body in KiB; larger gets 413");
  parser.AddInt("--http-threads", &o.http_threads, "threads serving connections (0: 64, at least slots + queue + 8)");
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  if (o.parallel < 1 || o.parallel > 64) throw apps::Error("--parallel must be in [1, 64]");
  if (o.port < 0 || o.port > 65535) throw apps::Error("--port must be in [0, 65535]");
  if (o.max_body_kib < 1) throw apps::Error("--max-body-kib must be positive");
  if (o.queue < -1) throw apps::Error("--queue must be -1 or more");
  const Mode mode = o.mode_name == "int8" ? Mode::kInt8 : Mode::kFp32;
  if (o.mode_name != "int8" && o.mode_name != "fp32") throw apps::Error("--mode must be int8 or fp32");
  if (o.model_path.empty()) o.model_path = apps::FindDefaultModel();

  const double start = apps::NowSeconds();
  ModelLoadOptions load;
  load.tokenizer_path = o.tokenizer_path;
  load.prepare_int8 = mode == Mode::kInt8;
  load.n_threads = o.n_threads;
  const std::unique_ptr<Model> model = Model::Load(o.model_path, load);
  std::optional<ChatSpec> chat;
  try {
    chat = ResolveChat(*model, o.chat_template);
  } catch (const Error& e) {
    if (!o.chat_template.empty() || !ChatTemplateText(*model).empty()) throw;  // a bad name or an unknown template
  }
  SchedulerOptions so;
  so.n_slots = o.parallel;
  so.n_ctx = o.n_ctx;
  so.n_threads = o.n_threads;
  so.mode = mode;
  so.queue_size = o.queue < 0 ? 4 * o.parallel : o.queue;
  so.max_memory = o.max_memory_mib << 20;
  so.fp_modules = o.fp_modules;
  Scheduler scheduler(*model, so);

  // Every HTTP thread would get a malloc arena of its own, and keep it: two serve requests
  // that only parse JSON and copy text.
  mallopt(M_ARENA_MAX, 2);
  httplib::Server http;
  const int32_t http_threads = o.http_threads > 0 ? o.http_threads : std::max(64, o.parallel + so.queue_size + 8);
  http.new_task_queue = [http_threads] { return new httplib::ThreadPool(static_cast<size_t>(http_threads)); };
  Server server(o, *model, scheduler, chat);
  server.Route(http);
  std::signal(SIGPIPE, SIG_IGN);
  g_server = &http;
  std::signal(SIGINT, StopOnSignal);
  std::signal(SIGTERM, StopOnSignal);
  // Port 0: any free port (the tests' way), printed below.
  const int port = o.port == 0 ? http.bind_to_any_port(o.host) : (http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port <= 0) {
    throw apps::Error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address of this machine)");
  }
  if (!WidenListenBacklog(port)) std::fprintf(stderr, "ingot-server: the listen backlog stays cpp-httplib's 5\n");
  std::fprintf(stderr, "ingot-server: %s, mode %s, %d slots of %d tokens, chat template %s, loaded in %.2f s\n",
               o.model_path.c_str(), o.mode_name.c_str(), o.parallel, scheduler.n_ctx(),
               chat ? ChatFormatName(chat->format) : "none", apps::NowSeconds() - start);
  std::fprintf(stderr, "ingot-server: listening on http://%s:%d\n", o.host.c_str(), port);
  http.listen_after_bind();
  g_server = nullptr;
  std::fprintf(stderr, "ingot-server: stopped\n");
  return 0;
}

}  // namespace
}  // namespace ingot::server

int main(int argc, char** argv) {
  return ingot::apps::RunMain("ingot-server", [&] { return ingot::server::Run(argc, argv); });
}
