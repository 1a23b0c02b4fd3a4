// The OpenAI HTTP API's requests and responses, as ingot-server speaks them: a request body
// checked field by field into a CompletionRequest (any mistake is an ApiError with the HTTP
// status and OpenAI's error object), and the JSON of responses, stream chunks and errors.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session/sampler.h"
#include "model_io/chat_template.h"

namespace ingot::server {

// An error for the client: HTTP status, OpenAI's error type, the parameter at fault ("" none).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, std::string param = "", std::string type = "")
      : std::runtime_error(message), status_(status), param_(std::move(param)), type_(std::move(type)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  // OpenAI's type: invalid_request_error (4xx), authentication_error (401), server_error (5xx)
  // unless given.
  std::string type() const;

 private:
  int status_;
  std::string param_, type_;
};

enum class Endpoint { kCompletions, kChat };

// What a client may ask for, with OpenAI's names (plus top_k and repeat_penalty).
struct CompletionRequest {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string model;                  // as sent; "" when absent
  std::string prompt;                 // completions: the text...
  std::vector<int32_t> prompt_tokens; // ...or token ids (prompt_is_tokens)
  bool prompt_is_tokens = false;
  std::vector<ChatMessage> messages;  // chat
  SamplerParams sampling;             // run-model's defaults unless sent; seed 0: a fresh one
  int32_t max_tokens = -1;            // -1: until the end of the turn or of the context
  std::vector<std::string> stop;      // up to kMaxStops strings, none empty
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage: a last chunk with usage
};

inline constexpr int32_t kMaxStops = 4;
// OpenAI's default max_tokens for /v1/completions (chat has none: until the end of the turn).
inline constexpr int32_t kDefaultCompletionTokens = 16;

// Parses and checks a request body. n_vocab bounds token ids in a prompt. Throws ApiError
// (400) for JSON that does not parse, a wrong type, a missing or out-of-range field, or a
// feature ingot does not have (n > 1, logprobs, tools, non-zero frequency or presence penalty).
CompletionRequest ParseCompletionRequest(std::string_view body, Endpoint endpoint, int32_t n_vocab);

// Token counts of a finished request (OpenAI's usage object).
struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;  // prompt tokens whose KV cache a slot already held
};

// The fields every response and chunk of one request shares.
struct ResponseHeader {
  std::string id;       // "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;
  Endpoint endpoint = Endpoint::kCompletions;
};

// A whole response: the text and why it ended ("stop" or "length").
std::string ResponseJson(const ResponseHeader& h, const std::string& text, const std::string& finish_reason,
                         const Usage& usage);
// One server-sent event's JSON: a piece of text (chat: the first chunk carries the role), or
// the last one with finish_reason; usage_chunk: the extra last chunk of include_usage.
std::string ChunkJson(const ResponseHeader& h, const std::string& text, bool first, const std::string& finish_reason);
std::string UsageChunkJson(const ResponseHeader& h, const Usage& usage);
// OpenAI's error object: {"error": {"message", "type", "param", "code"}}.
std::string ErrorJson(const ApiError& e);
// GET /v1/models: the one model served.
std::string ModelsJson(const std::string& model_id, int64_t created);

}  // namespace ingot::server
