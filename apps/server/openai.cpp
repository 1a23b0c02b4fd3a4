#include "apps/server/openai.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ingot::server {

namespace {

using Json = nlohmann::json;

ApiError Bad(const std::string& param, const std::string& message) { return ApiError(400, message, param); }

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string Format(double x) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", x);
  return text;
}

// A field that must be a number in [lo, hi] (open at lo when lo_open).
double Number(const Json& v, const std::string& name, double lo, double hi, bool lo_open = false) {
  if (!v.is_number()) throw Bad(name, "'" + name + "' must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x) || x > hi || (lo_open ? x <= lo : x < lo)) {
    throw Bad(name, "'" + name + "' must be in " + (lo_open ? "(" : "[") + Format(lo) + ", " + Format(hi) + "], got " +
                        Dump(v));
  }
  return x;
}

// A field that must be an integer in [lo, hi] (a float with an integral value counts).
int64_t Integer(const Json& v, const std::string& name, int64_t lo, int64_t hi) {
  const bool integral = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                                  std::floor(v.get<double>()) == v.get<double>());
  if (!integral) throw Bad(name, "'" + name + "' must be an integer");
  const double x = v.get<double>();
  const bool above = v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(hi) : x > static_cast<double>(hi);
  if (above || x < static_cast<double>(lo)) {
    throw Bad(name, "'" + name + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + Dump(v));
  }
  return v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
}

bool Bool(const Json& v, const std::string& name) {
  if (!v.is_boolean()) throw Bad(name, "'" + name + "' must be true or false");
  return v.get<bool>();
}

// A message's content: a string, or an array of {"type": "text", "text": ...} parts, joined.
std::string Content(const Json& v, const std::string& name) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) throw Bad(name, "'" + name + "' must be a string or an array of text parts");
  std::string text;
  for (const Json& part : v) {
    if (!part.is_object() || !part.contains("type") || part["type"] != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      throw Bad(name, "'" + name + "' parts must be {\"type\": \"text\", \"text\": string} (ingot reads text only)");
    }
    text += part["text"].get<std::string>();
  }
  return text;
}

void ParsePrompt(const Json& v, int32_t n_vocab, CompletionRequest* r) {
  if (v.is_string()) {
    r->prompt = v.get<std::string>();
    if (r->prompt.empty()) throw Bad("prompt", "'prompt' is empty");
    return;
  }
  if (v.is_array() && v.size() == 1 && v[0].is_string()) return ParsePrompt(v[0], n_vocab, r);
  if (v.is_array() && !v.empty() && v[0].is_number()) {
    for (const Json& id : v) r->prompt_tokens.push_back(static_cast<int32_t>(Integer(id, "prompt", 0, n_vocab - 1)));
    r->prompt_is_tokens = true;
    return;
  }
  throw Bad("prompt", "'prompt' must be a non-empty string or array of token ids (one prompt per request)");
}

void ParseMessages(const Json& v, CompletionRequest* r) {
  if (!v.is_array() || v.empty()) throw Bad("messages", "'messages' must be a non-empty array");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string name = "messages[" + std::to_string(i) + "]";
    const Json& m = v[i];
    if (!m.is_object()) throw Bad(name, "'" + name + "' must be an object");
    if (!m.contains("role") || !m["role"].is_string()) throw Bad(name + ".role", "'" + name + ".role' must be a string");
    const std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "developer") {
      throw Bad(name + ".role", "'" + name + ".role' is '" + role + "' (ingot knows system, user and assistant)");
    }
    if (!m.contains("content") || m["content"].is_null()) {
      throw Bad(name + ".content", "'" + name + ".content' is missing");
    }
    r->messages.push_back({role == "developer" ? "system" : role, Content(m["content"], name + ".content")});
  }
}

void ParseStop(const Json& v, CompletionRequest* r) {
  if (v.is_null()) return;
  const Json list = v.is_string() ? Json::array({v}) : v;
  if (!list.is_array() || list.size() > kMaxStops) {
    throw Bad("stop", "'stop' must be a string or an array of at most " + std::to_string(kMaxStops) + " strings");
  }
  for (const Json& s : list) {
    if (!s.is_string() || s.get<std::string>().empty()) throw Bad("stop", "'stop' strings must be non-empty strings");
    r->stop.push_back(s.get<std::string>());
  }
}

}  // namespace

std::string ApiError::type() const {
  if (!type_.empty()) return type_;
  if (status_ == 401) return "authentication_error";
  return status_ >= 500 ? "server_error" : "invalid_request_error";
}

CompletionRequest ParseCompletionRequest(std::string_view body, Endpoint endpoint, int32_t n_vocab) {
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::exception& e) {
    // The parser's words, without its echo of the client's bytes ("; last read: ...").
    std::string what = e.what();
    what = what.substr(0, what.find("; last read"));
    throw ApiError(400, "the request body is not valid JSON: " + what.substr(what.find(']') + 2));
  }
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  CompletionRequest r;
  r.endpoint = endpoint;
  r.max_tokens = endpoint == Endpoint::kCompletions ? kDefaultCompletionTokens : -1;
  for (const auto& [key, v] : j.items()) {
    if (key == "model") {
      if (!v.is_string()) throw Bad(key, "'model' must be a string");
      r.model = v.get<std::string>();
    } else if (key == "prompt" && endpoint == Endpoint::kCompletions) {
      ParsePrompt(v, n_vocab, &r);
    } else if (key == "messages" && endpoint == Endpoint::kChat) {
      ParseMessages(v, &r);
    } else if (key == "temperature") {
      if (!v.is_null()) r.sampling.temperature = static_cast<float>(Number(v, key, 0.0, 2.0));
    } else if (key == "top_p") {
      if (!v.is_null()) r.sampling.top_p = static_cast<float>(Number(v, key, 0.0, 1.0, true));
    } else if (key == "top_k") {
      if (!v.is_null()) r.sampling.top_k = static_cast<int32_t>(Integer(v, key, 0, n_vocab));
    } else if (key == "repeat_penalty") {
      if (!v.is_null()) r.sampling.repeat_penalty = static_cast<float>(Number(v, key, 0.0, 10.0, true));
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      if (!v.is_null()) r.max_tokens = static_cast<int32_t>(Integer(v, key, 1, INT32_MAX));
    } else if (key == "seed") {
      if (!v.is_null()) r.sampling.seed = static_cast<uint64_t>(Integer(v, key, INT64_MIN, INT64_MAX));
    } else if (key == "stop") {
      ParseStop(v, &r);
    } else if (key == "stream") {
      if (!v.is_null()) r.stream = Bool(v, key);
    } else if (key == "stream_options") {
      if (v.is_null()) continue;
      if (!v.is_object()) throw Bad(key, "'stream_options' must be an object");
      if (v.contains("include_usage")) r.include_usage = Bool(v["include_usage"], "stream_options.include_usage");
    } else if (key == "n") {
      if (!v.is_null() && Integer(v, key, 1, 128) != 1) throw Bad(key, "'n' must be 1: ingot returns one choice");
    } else if (key == "frequency_penalty" || key == "presence_penalty") {
      if (!v.is_null() && Number(v, key, -2.0, 2.0) != 0.0) {
        throw Bad(key, "'" + key + "' is not supported (use repeat_penalty)");
      }
    } else if (key == "logprobs" || key == "top_logprobs" || key == "echo" || key == "best_of" || key == "suffix" ||
               key == "tools" || key == "functions" || key == "response_format") {
      const bool off = v.is_null() || v == false || (key == "best_of" && v == 1) || (v.is_array() && v.empty());
      if (!off) throw Bad(key, "'" + key + "' is not supported by ingot-server");
    }
    // Other fields (user, logit_bias, metadata, ...) change nothing here and are ignored.
  }
  if (endpoint == Endpoint::kCompletions && r.prompt.empty() && !r.prompt_is_tokens) {
    throw Bad("prompt", "'prompt' is required");
  }
  if (endpoint == Endpoint::kChat && r.messages.empty()) throw Bad("messages", "'messages' is required");
  if (!r.stream && r.include_usage) r.include_usage = false;
  return r;
}

namespace {

Json Header(const ResponseHeader& h, const char* object) {
  return Json{{"id", h.id}, {"object", object}, {"created", h.created}, {"model", h.model}};
}

Json UsageJson(const Usage& u) {
  return Json{{"prompt_tokens", u.prompt_tokens},
              {"completion_tokens", u.completion_tokens},
              {"total_tokens", u.prompt_tokens + u.completion_tokens},
              {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

Json Reason(const std::string& finish_reason) { return finish_reason.empty() ? Json(nullptr) : Json(finish_reason); }

}  // namespace

std::string ResponseJson(const ResponseHeader& h, const std::string& text, const std::string& finish_reason,
                         const Usage& usage) {
  Json j;
  if (h.endpoint == Endpoint::kChat) {
    j = Header(h, "chat.completion");
    j["choices"] = Json::array({{{"index", 0},
                                 {"message", {{"role", "assistant"}, {"content", text}}},
                                 {"finish_reason", Reason(finish_reason)}}});
  } else {
    j = Header(h, "text_completion");
    j["choices"] =
        Json::array({{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", Reason(finish_reason)}}});
  }
  j["usage"] = UsageJson(usage);
  return Dump(j);
}

std::string ChunkJson(const ResponseHeader& h, const std::string& text, bool first, const std::string& finish_reason) {
  Json j;
  if (h.endpoint == Endpoint::kChat) {
    j = Header(h, "chat.completion.chunk");
    Json delta = Json::object();
    if (first) delta["role"] = "assistant";
    if (!text.empty() || (first && finish_reason.empty())) delta["content"] = text;
    j["choices"] = Json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", Reason(finish_reason)}}});
  } else {
    j = Header(h, "text_completion");
    j["choices"] =
        Json::array({{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", Reason(finish_reason)}}});
  }
  return Dump(j);
}

std::string UsageChunkJson(const ResponseHeader& h, const Usage& usage) {
  Json j = Header(h, h.endpoint == Endpoint::kChat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = Json::array();
  j["usage"] = UsageJson(usage);
  return Dump(j);
}

std::string ErrorJson(const ApiError& e) {
  return Dump(Json{{"error",
                    {{"message", e.what()},
                     {"type", e.type()},
                     {"param", e.param().empty() ? Json(nullptr) : Json(e.param())},
                     {"code", nullptr}}}});
}

std::string ModelsJson(const std::string& model_id, int64_t created) {
  return Dump(Json{{"object", "list"},
                   {"data", Json::array({{{"id", model_id}, {"object", "model"}, {"created", created},
                                          {"owned_by", "ingot"}}})}});
}

}  // namespace ingot::server
