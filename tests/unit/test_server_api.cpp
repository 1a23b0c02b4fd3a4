// ingot-server's request checks and text handling, without a socket: every malformed body is
// a 400 naming the field (this test also runs under ASan + UBSan), good bodies give the
// values sent, and stop strings cut the text where they start, even across pieces.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/server/openai.h"
#include "apps/server/stop_text.h"

namespace ingot::server {
namespace {

constexpr int32_t kVocab = 512;

// The ApiError a body gives: its status and parameter, and that the message contains `what`.
void CheckRefused(const std::string& body, Endpoint endpoint, const std::string& param, const std::string& what) {
  CAPTURE(body);
  try {
    ParseCompletionRequest(body, endpoint, kVocab);
    FAIL("accepted");
  } catch (const ApiError& e) {
    CHECK(e.status() == 400);
    CHECK(e.param() == param);
    CHECK(std::string(e.what()).find(what) != std::string::npos);
    const auto j = nlohmann::json::parse(ErrorJson(e));  // OpenAI's error object
    CHECK(j["error"]["message"] == e.what());
    CHECK(j["error"]["type"] == "invalid_request_error");
  }
}

TEST_CASE("malformed completion requests are 400s naming the field") {
  const Endpoint c = Endpoint::kCompletions;
  const Endpoint chat = Endpoint::kChat;
  CheckRefused("", c, "", "not valid JSON");
  CheckRefused("{\"prompt\": \"a\"", c, "", "not valid JSON");
  CheckRefused("[1, 2]", c, "", "must be a JSON object");
  CheckRefused("\"text\"", c, "", "must be a JSON object");
  CheckRefused("{\"prompt\": \"\\xff\"}", c, "", "not valid JSON");
  CheckRefused(std::string("{\"prompt\": \"a\xff\"}"), c, "", "not valid JSON");  // invalid UTF-8
  CheckRefused(std::string(100000, '[') , c, "", "not valid JSON");           // nesting, no crash
  CheckRefused("{}", c, "prompt", "'prompt' is required");
  CheckRefused("{\"prompt\": \"\"}", c, "prompt", "'prompt' is empty");
  CheckRefused("{\"prompt\": 5}", c, "prompt", "non-empty string or array of token ids");
  CheckRefused("{\"prompt\": []}", c, "prompt", "non-empty string or array of token ids");
  CheckRefused("{\"prompt\": [\"a\", \"b\"]}", c, "prompt", "one prompt per request");
  CheckRefused("{\"prompt\": [1, 512]}", c, "prompt", "'prompt' must be in [0, 511], got 512");
  CheckRefused("{\"prompt\": [1, -1]}", c, "prompt", "must be in [0, 511]");
  CheckRefused("{\"prompt\": [1, 2.5]}", c, "prompt", "must be an integer");
  CheckRefused("{\"prompt\": [1, \"x\"]}", c, "prompt", "must be an integer");
  CheckRefused("{\"prompt\": \"a\", \"temperature\": \"hot\"}", c, "temperature", "must be a number");
  CheckRefused("{\"prompt\": \"a\", \"temperature\": -0.5}", c, "temperature", "must be in [0, 2]");
  CheckRefused("{\"prompt\": \"a\", \"temperature\": 1e400}", c, "", "not valid JSON");
  CheckRefused("{\"prompt\": \"a\", \"top_p\": 0}", c, "top_p", "must be in (0, 1]");
  CheckRefused("{\"prompt\": \"a\", \"top_p\": 1.5}", c, "top_p", "must be in (0, 1]");
  CheckRefused("{\"prompt\": \"a\", \"top_k\": -1}", c, "top_k", "must be in [0, 512]");
  CheckRefused("{\"prompt\": \"a\", \"repeat_penalty\": 0}", c, "repeat_penalty", "must be in (0, 10]");
  CheckRefused("{\"prompt\": \"a\", \"max_tokens\": 0}", c, "max_tokens", "must be in [1, 2147483647]");
  CheckRefused("{\"prompt\": \"a\", \"max_tokens\": 99999999999}", c, "max_tokens", "must be in [1, 2147483647]");
  CheckRefused("{\"prompt\": \"a\", \"max_tokens\": true}", c, "max_tokens", "must be an integer");
  CheckRefused("{\"prompt\": \"a\", \"seed\": 18446744073709551615}", c, "seed", "must be in");
  CheckRefused("{\"prompt\": \"a\", \"stop\": 3}", c, "stop", "a string or an array of at most 4 strings");
  CheckRefused("{\"prompt\": \"a\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", c, "stop", "at most 4");
  CheckRefused("{\"prompt\": \"a\", \"stop\": [\"\"]}", c, "stop", "non-empty strings");
  CheckRefused("{\"prompt\": \"a\", \"stream\": \"yes\"}", c, "stream", "must be true or false");
  CheckRefused("{\"prompt\": \"a\", \"stream_options\": 1}", c, "stream_options", "must be an object");
  CheckRefused("{\"prompt\": \"a\", \"n\": 2}", c, "n", "'n' must be 1");
  CheckRefused("{\"prompt\": \"a\", \"logprobs\": 3}", c, "logprobs", "not supported");
  CheckRefused("{\"prompt\": \"a\", \"presence_penalty\": 0.5}", c, "presence_penalty", "not supported");
  CheckRefused("{\"prompt\": \"a\", \"model\": 7}", c, "model", "'model' must be a string");
  CheckRefused("{\"prompt\": \"a\"}", chat, "messages", "'messages' is required");
  CheckRefused("{\"messages\": []}", chat, "messages", "non-empty array");
  CheckRefused("{\"messages\": {}}", chat, "messages", "non-empty array");
  CheckRefused("{\"messages\": [3]}", chat, "messages[0]", "must be an object");
  CheckRefused("{\"messages\": [{\"content\": \"x\"}]}", chat, "messages[0].role", "'messages[0].role' must be a string");
  CheckRefused("{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", chat, "messages[0].role", "'wizard'");
  CheckRefused("{\"messages\": [{\"role\": \"user\"}]}", chat, "messages[0].content", "is missing");
  CheckRefused("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", chat, "messages[0].content", "string or an array");
  CheckRefused("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", chat,
               "messages[0].content", "reads text only");
}

TEST_CASE("good completion requests give the values sent, and OpenAI's defaults") {
  CompletionRequest r = ParseCompletionRequest(
      R"({"model": "m", "prompt": "Hi", "temperature": 0, "top_p": 0.5, "top_k": 7, "repeat_penalty": 1.0,
          "max_tokens": 20, "seed": 42, "stop": "\n", "stream": true, "stream_options": {"include_usage": true},
          "n": 1, "user": "ignored", "logit_bias": {}, "frequency_penalty": 0})",
      Endpoint::kCompletions, kVocab);
  CHECK(r.model == "m");
  CHECK(r.prompt == "Hi");
  CHECK(r.sampling.temperature == 0.0f);
  CHECK(r.sampling.top_p == 0.5f);
  CHECK(r.sampling.top_k == 7);
  CHECK(r.sampling.repeat_penalty == 1.0f);
  CHECK(r.max_tokens == 20);
  CHECK(r.sampling.seed == 42);
  CHECK(r.stop == std::vector<std::string>{"\n"});
  CHECK(r.stream);
  CHECK(r.include_usage);
  r = ParseCompletionRequest(R"({"prompt": [1, 2, 3], "max_tokens": 3.0})", Endpoint::kCompletions, kVocab);
  CHECK(r.prompt_is_tokens);
  CHECK(r.prompt_tokens == std::vector<int32_t>{1, 2, 3});
  CHECK(r.max_tokens == 3);
  CHECK(!r.stream);
  r = ParseCompletionRequest(R"({"prompt": "x"})", Endpoint::kCompletions, kVocab);
  CHECK(r.max_tokens == kDefaultCompletionTokens);
  CHECK(r.sampling.temperature == SamplerParams{}.temperature);
  r = ParseCompletionRequest(
      R"({"messages": [{"role": "developer", "content": "Be brief."},
                       {"role": "user", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]}]})",
      Endpoint::kChat, kVocab);
  REQUIRE(r.messages.size() == 2);
  CHECK(r.messages[0].role == "system");
  CHECK(r.messages[1].content == "Hello");
  CHECK(r.max_tokens == -1);
}

TEST_CASE("responses and chunks are OpenAI's shapes") {
  const ResponseHeader h{"chatcmpl-1", 1700000000, "model.gguf", Endpoint::kChat};
  const Usage usage{5, 3, 2};
  auto j = nlohmann::json::parse(ResponseJson(h, "Hi there", "stop", usage));
  CHECK(j["object"] == "chat.completion");
  CHECK(j["choices"][0]["message"]["content"] == "Hi there");
  CHECK(j["choices"][0]["finish_reason"] == "stop");
  CHECK(j["usage"]["total_tokens"] == 8);
  CHECK(j["usage"]["prompt_tokens_details"]["cached_tokens"] == 2);
  j = nlohmann::json::parse(ChunkJson(h, "Hi", true, ""));
  CHECK(j["object"] == "chat.completion.chunk");
  CHECK(j["choices"][0]["delta"]["role"] == "assistant");
  CHECK(j["choices"][0]["delta"]["content"] == "Hi");
  CHECK(j["choices"][0]["finish_reason"].is_null());
  j = nlohmann::json::parse(ChunkJson(h, "", false, "length"));
  CHECK(j["choices"][0]["delta"].empty());
  CHECK(j["choices"][0]["finish_reason"] == "length");
  const ResponseHeader c{"cmpl-1", 1700000000, "model.gguf", Endpoint::kCompletions};
  j = nlohmann::json::parse(ResponseJson(c, "text", "length", usage));
  CHECK(j["object"] == "text_completion");
  CHECK(j["choices"][0]["text"] == "text");
  // Text that is not UTF-8 never makes a response fail: bad bytes become U+FFFD.
  j = nlohmann::json::parse(ResponseJson(c, "a\xff", "stop", usage));
  CHECK(j["choices"][0]["text"] == "a\xEF\xBF\xBD");
}

TEST_CASE("stop strings cut the text where they start, across pieces") {
  StopText s({"\n\n", "END"});
  bool stopped = false;
  std::string out = s.Push("Hello", &stopped);
  CHECK(out == "Hello");
  out = s.Push(" wor", &stopped);
  CHECK(out == " wor");
  out = s.Push("ld\n", &stopped);  // "\n" may start "\n\n": held
  CHECK(out == "ld");
  CHECK(!stopped);
  out = s.Push("\nmore", &stopped);
  CHECK(out == "");
  CHECK(stopped);
  StopText t({"END"});
  CHECK(t.Push("theEN", &stopped) == "the");
  CHECK(t.Push("X", &stopped) == "ENX");  // not a stop after all: released
  CHECK(t.Push("E", &stopped) == "");
  CHECK(t.Flush() == "E");
  StopText u({"END"});
  CHECK(u.Push("aEND and after", &stopped) == "a");
  CHECK(stopped);
  StopText none({});
  CHECK(none.Push("anything", &stopped) == "anything");
  CHECK(none.Flush().empty());
}

}  // namespace
}  // namespace ingot::server
