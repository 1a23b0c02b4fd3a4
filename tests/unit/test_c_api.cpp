// The C API (ingot/ingot.h): statuses and messages for bad input, nothing on stdout, and the
// same results as the C++ engine. Threads and cancel: test_c_api_threads.cpp.
#include <doctest/doctest.h>

#include <cstddef>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ingot/ingot.h"
#include "tests/c_api_test_util.h"
#include "tests/test_util.h"

namespace {

using ingot::test::LastError;
using ingot::test::StatusName;
using ingot::test::Sized;

// A session over stories260K: int8 by default; 1 thread (the tests run in parallel).
struct Fixture {
  ingot_model* model = nullptr;
  std::string path;

  explicit Fixture(int32_t prepare_int8 = 1) {
    path = ingot::test::FindAsset("models/stories260K/stories260K.bin");
    if (path.empty()) return;
    ingot_model_params params;
    ingot_model_params_init(&params);
    params.n_threads = 1;
    params.prepare_int8 = prepare_int8;
    REQUIRE_MESSAGE(ingot_model_load(path.c_str(), &params, &model) == INGOT_OK, LastError());
  }
  ~Fixture() { CHECK(ingot_model_free(model) == INGOT_OK); }

  ingot_session* Session(int32_t mode = INGOT_MODE_INT8) const {
    ingot_session_params params;
    ingot_session_params_init(&params);
    params.n_threads = 1;
    params.mode = mode;
    params.temperature = 0.0f;  // greedy, without the repetition penalty
    params.repeat_penalty = 1.0f;
    ingot_session* session = nullptr;
    REQUIRE_MESSAGE(ingot_session_create(model, &params, &session) == INGOT_OK, LastError());
    return session;
  }
};

#define SKIP_WITHOUT_MODEL(f)                                                  \
  if ((f).model == nullptr) {                                                  \
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");          \
    return;                                                                    \
  }

int32_t Collect(const char* text, size_t length, int32_t token, void* user_data) {
  auto* out = static_cast<std::pair<std::string, std::vector<int32_t>>*>(user_data);
  out->first.append(text, length);
  out->second.push_back(token);
  return 0;
}

TEST_CASE("version, status names and params_init") {
  int32_t major = 0, minor = -1;
  const char* release = nullptr;
  CHECK(ingot_version(&major, &minor, &release) == INGOT_OK);
  CHECK(major == INGOT_API_VERSION_MAJOR);
  CHECK(minor == INGOT_API_VERSION_MINOR);
  CHECK(std::string(release).size() >= 5);
  CHECK(StatusName(INGOT_ERROR_IO) == "INGOT_ERROR_IO");
  CHECK(StatusName(INGOT_ERROR_INTERNAL) == "INGOT_ERROR_INTERNAL");
  CHECK(StatusName(99) == "unknown status");
  const char* message = nullptr;
  CHECK(ingot_last_error(&message) == INGOT_OK);
  CHECK(message != nullptr);
  ingot_session_params sp;
  CHECK(ingot_session_params_init(&sp) == INGOT_OK);
  CHECK(sp.struct_size == sizeof sp);
  CHECK(sp.n_ctx == INGOT_N_CTX_MODEL);
  CHECK(sp.mode == INGOT_MODE_INT8);
  CHECK_FAILS(ingot_session_params_init(nullptr), INGOT_ERROR_INVALID_ARGUMENT, "params is NULL");
}

TEST_CASE("bad paths and bad files are refused with a status and a message naming them") {
  ingot_model* model = reinterpret_cast<ingot_model*>(0x1);
  CHECK_FAILS(ingot_model_load("/nonexistent/model.gguf", nullptr, &model), INGOT_ERROR_IO,
              "/nonexistent/model.gguf: cannot open: No such file or directory");
  CHECK(model == reinterpret_cast<ingot_model*>(0x1));  // untouched on failure
  CHECK_FAILS(ingot_model_load(ingot::test::ScratchDir().c_str(), nullptr, &model), INGOT_ERROR_IO, "is a directory, not a file");
  CHECK_FAILS(ingot_model_load(nullptr, nullptr, &model), INGOT_ERROR_INVALID_ARGUMENT, "path is NULL");
  CHECK_FAILS(ingot_model_load("x.gguf", nullptr, nullptr), INGOT_ERROR_INVALID_ARGUMENT, "model is NULL");
  const std::string garbage = ingot::test::WriteScratchFile("garbage.bin", std::string(100, 'x'));
  CHECK_FAILS(ingot_model_load(garbage.c_str(), nullptr, &model), INGOT_ERROR_MODEL_FORMAT, "garbage.bin");
  const std::string empty = ingot::test::WriteScratchFile("empty.gguf", "");
  CHECK_FAILS(ingot_model_load(empty.c_str(), nullptr, &model), INGOT_ERROR_MODEL_FORMAT, "empty.gguf");
  CHECK_FAILS(ingot_model_load_from_memory("GGUF", 4, "four-bytes", nullptr, &model), INGOT_ERROR_MODEL_FORMAT,
              "four-bytes");
}

TEST_CASE("truncated models are refused, never read past their end") {
  for (const char* relative : {"models/stories260K/stories260K.bin", "models/docs-llama-7m/model.f32.gguf"}) {
    const std::string path = ingot::test::FindAsset(relative);
    if (path.empty()) {
      MESSAGE("skipped: " << relative << " not found");
      continue;
    }
    const std::string bytes = ingot::test::ReadFile(path);
    for (const size_t keep : {bytes.size() / 2, bytes.size() - 1, size_t{64}}) {
      CAPTURE(relative);
      CAPTURE(keep);
      const std::string cut = ingot::test::WriteScratchFile("truncated.model", bytes.substr(0, keep));
      ingot_model_params params;
      ingot_model_params_init(&params);
      params.tokenizer_path = nullptr;
      ingot_model* model = nullptr;
      const int32_t status = ingot_model_load(cut.c_str(), &params, &model);
      CHECK_MESSAGE(status == INGOT_ERROR_MODEL_FORMAT, StatusName(status) << ": " << LastError());
      CHECK(model == nullptr);
      CHECK(LastError().find("truncated.model") != std::string::npos);
    }
  }
}

TEST_CASE("wrong struct_size, n_ctx 0 and other bad parameters are refused") {
  Fixture f;
  SKIP_WITHOUT_MODEL(f);
  ingot_model_params mp;
  ingot_model_params_init(&mp);
  mp.struct_size = sizeof mp - 8;
  ingot_model* other = nullptr;
  CHECK_FAILS(ingot_model_load(f.path.c_str(), &mp, &other), INGOT_ERROR_STRUCT_SIZE, "struct_size");
  mp.struct_size = 0;
  CHECK_FAILS(ingot_model_load(f.path.c_str(), &mp, &other), INGOT_ERROR_STRUCT_SIZE, "struct_size is 0");
  // API 1.1's struct (without the low-bit fields) still loads, with their defaults.
  mp.struct_size = offsetof(ingot_model_params, weight_bits);
  mp.weight_bits = "not read";
  REQUIRE(ingot_model_load(f.path.c_str(), &mp, &other) == INGOT_OK);
  CHECK(ingot_model_free(other) == INGOT_OK);
  other = nullptr;
  ingot_model_params_init(&mp);
  mp.weight_bits = "5";
  CHECK_FAILS(ingot_model_load(f.path.c_str(), &mp, &other), INGOT_ERROR_INVALID_ARGUMENT, "--bits: '5': a width is 2, 4, 8 or int8");

  ingot_session_params sp;
  ingot_session_params_init(&sp);
  ingot_session* session = nullptr;
  sp.struct_size = sizeof sp + 16;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_STRUCT_SIZE, "params->struct_size");
  ingot_session_params_init(&sp);
  sp.n_ctx = 0;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_INVALID_ARGUMENT, "n_ctx must be 1 to 512");
  sp.n_ctx = 513;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_INVALID_ARGUMENT,
              "n_ctx 513 is larger than the model allows (512 tokens)");
  ingot_session_params_init(&sp);
  sp.n_threads = -1;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_INVALID_ARGUMENT, "n_threads");
  ingot_session_params_init(&sp);
  sp.mode = 7;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_INVALID_ARGUMENT, "mode");
  ingot_session_params_init(&sp);
  sp.top_p = 0.0f;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_INVALID_ARGUMENT, "top");
  ingot_session_params_init(&sp);
  sp.fp_modules = "nonsense";
  CHECK_FAILS(ingot_session_create(f.model, &sp, &session), INGOT_ERROR_INVALID_ARGUMENT, "nonsense");
  CHECK(session == nullptr);

  ingot_model_info info{};
  info.struct_size = 3;
  CHECK_FAILS(ingot_model_get_info(f.model, &info), INGOT_ERROR_STRUCT_SIZE, "info->struct_size is 3");
  info.struct_size = sizeof info;
  REQUIRE(ingot_model_get_info(f.model, &info) == INGOT_OK);
  CHECK(std::string(info.architecture) == "llama");
  CHECK(std::string(info.format) == "llama2.c");
  CHECK(info.n_vocab == 512);
  CHECK(info.n_ctx_train == 512);
  CHECK(info.has_int8 == 1);
  CHECK(info.has_fp32 == 1);
}

TEST_CASE("NULL handles are refused by every function; free accepts NULL") {
  ingot_session* none = nullptr;
  int32_t token = 0, n = 0, rows = 0, vocab = 0, bits = 0;
  size_t length = 0;
  const float* logits = nullptr;
  const int32_t* logits_q16 = nullptr;
  auto si = Sized<ingot_session_info>();
  auto mi = Sized<ingot_model_info>();
  CHECK_FAILS(ingot_model_get_info(nullptr, &mi), INGOT_ERROR_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(ingot_session_create(nullptr, nullptr, &none), INGOT_ERROR_INVALID_ARGUMENT, "model is NULL");
  CHECK_FAILS(ingot_session_eval(none, &token, 1), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_eval_prompt(none, "x"), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_generate(none, 1, nullptr, nullptr, &n), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK(n == 0);
  CHECK_FAILS(ingot_session_sample(none, &token), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_tokenize(none, "x", 1, &token, 1, &n), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_detokenize(none, &token, 1, nullptr, 0, &length), INGOT_ERROR_INVALID_ARGUMENT,
              "session is NULL");
  CHECK_FAILS(ingot_session_cancel(none), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_reset(none), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_get_info(none, &si), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_get_logits(none, &logits, &rows, &vocab), INGOT_ERROR_INVALID_ARGUMENT, "session is NULL");
  CHECK_FAILS(ingot_session_get_logits_int32(none, &logits_q16, &bits, &rows, &vocab), INGOT_ERROR_INVALID_ARGUMENT,
              "session is NULL");
  CHECK(ingot_last_error(nullptr) == INGOT_ERROR_INVALID_ARGUMENT);
  CHECK(ingot_session_free(nullptr) == INGOT_OK);
  CHECK(ingot_model_free(nullptr) == INGOT_OK);
}

TEST_CASE("session misuse: generate first, out-of-range ids, a full context, small buffers, a busy model") {
  Fixture f;
  SKIP_WITHOUT_MODEL(f);
  ingot_session* s = f.Session();
  int32_t n = -1;
  CHECK_FAILS(ingot_session_generate(s, 4, nullptr, nullptr, &n), INGOT_ERROR_INVALID_STATE, "evaluate a prompt first");
  CHECK(n == 0);
  const int32_t bad[] = {1, 512};
  CHECK_FAILS(ingot_session_eval(s, bad, 2), INGOT_ERROR_INVALID_ARGUMENT, "token id 512 (at 1) is out of range [0, 512)");
  CHECK_FAILS(ingot_session_eval(s, bad, 0), INGOT_ERROR_INVALID_ARGUMENT, "n_tokens must be at least 1");
  CHECK_FAILS(ingot_session_eval_prompt(s, ""), INGOT_ERROR_INVALID_ARGUMENT, "empty");
  std::vector<int32_t> many(600, 300);
  CHECK_FAILS(ingot_session_eval(s, many.data(), 600), INGOT_ERROR_CONTEXT_FULL, "600 tokens do not fit");
  auto info = Sized<ingot_session_info>();
  REQUIRE(ingot_session_get_info(s, &info) == INGOT_OK);
  CHECK(info.n_past == 0);
  CHECK(info.n_ctx == 512);
  CHECK(info.mode == INGOT_MODE_INT8);

  int32_t ids[4];
  int32_t n_ids = 0;
  CHECK_FAILS(ingot_session_tokenize(s, "Once upon a time", 1, ids, 4, &n_ids), INGOT_ERROR_BUFFER_TOO_SMALL,
              "do not fit in capacity 4");
  CHECK(n_ids == 5);
  std::vector<int32_t> prompt(static_cast<size_t>(n_ids));
  REQUIRE(ingot_session_tokenize(s, "Once upon a time", 1, prompt.data(), n_ids, &n_ids) == INGOT_OK);
  size_t length = 0;
  char small[4];
  CHECK_FAILS(ingot_session_detokenize(s, prompt.data(), n_ids, small, sizeof small, &length),
              INGOT_ERROR_BUFFER_TOO_SMALL, "do not fit");
  CHECK(length == std::string("Once upon a time").size());
  std::vector<char> text(length + 1);
  REQUIRE(ingot_session_detokenize(s, prompt.data(), n_ids, text.data(), text.size(), &length) == INGOT_OK);
  CHECK(std::string(text.data()) == "Once upon a time");

  // A context of 510 tokens leaves room for 2: generation stops with CONTEXT_FULL, tokens kept.
  std::vector<int32_t> fill(505, 300);
  REQUIRE(ingot_session_eval(s, prompt.data(), n_ids) == INGOT_OK);
  REQUIRE(ingot_session_eval(s, fill.data(), 505) == INGOT_OK);
  CHECK_FAILS(ingot_session_generate(s, 10, nullptr, nullptr, &n), INGOT_ERROR_CONTEXT_FULL, "the context is full");
  CHECK(n == 2);
  CHECK(ingot_session_reset(s) == INGOT_OK);
  CHECK(ingot_session_get_info(s, &info) == INGOT_OK);
  CHECK(info.n_past == 0);

  CHECK_FAILS(ingot_model_free(f.model), INGOT_ERROR_BUSY, "1 session(s)");
  CHECK(ingot_session_free(s) == INGOT_OK);
}

TEST_CASE("an int8 session needs int8 weights; integer logits need an int8 session") {
  Fixture f(0);
  SKIP_WITHOUT_MODEL(f);
  ingot_session_params sp;
  ingot_session_params_init(&sp);
  ingot_session* s = nullptr;
  CHECK_FAILS(ingot_session_create(f.model, &sp, &s), INGOT_ERROR_UNSUPPORTED, "prepare_int8");
  s = f.Session(INGOT_MODE_FP32);
  REQUIRE(ingot_session_eval_prompt(s, "Hello") == INGOT_OK);
  const int32_t* q = nullptr;
  int32_t bits = 0;
  CHECK_FAILS(ingot_session_get_logits_int32(s, &q, &bits, nullptr, nullptr), INGOT_ERROR_UNSUPPORTED, "int8 mode only");
  ingot_session_free(s);
}

TEST_CASE("greedy generation through the C API gives the golden ids in fp32, and int8 logits are Q16") {
  Fixture f;
  SKIP_WITHOUT_MODEL(f);
  ingot_session* s = f.Session(INGOT_MODE_FP32);
  REQUIRE(ingot_session_eval_prompt(s, "Once upon a time, there was a little girl named Lily.") == INGOT_OK);
  std::pair<std::string, std::vector<int32_t>> out;
  int32_t n = 0;
  REQUIRE(ingot_session_generate(s, 48, Collect, &out, &n) == INGOT_OK);
  CHECK(n == 48);
  // tests/unit/test_golden.cpp's ids (an independent float64 reference agrees).
  const std::vector<int32_t> golden = {338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426,
                                       385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426, 338, 391, 266,
                                       267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13,  438};
  CHECK(out.second == golden);
  size_t length = 0;
  ingot_session_detokenize(s, golden.data(), 48, nullptr, 0, &length);
  std::vector<char> text(length + 1);
  REQUIRE(ingot_session_detokenize(s, golden.data(), 48, text.data(), text.size(), &length) == INGOT_OK);
  // The streamed pieces are the decoded text with sentencepiece's leading space.
  CHECK(out.first == " " + std::string(text.data()));
  ingot_session_free(s);

  s = f.Session(INGOT_MODE_INT8);
  REQUIRE(ingot_session_eval_prompt(s, "Once upon a time") == INGOT_OK);
  const float* logits = nullptr;
  const int32_t* q = nullptr;
  int32_t rows = 0, vocab = 0, bits = 0;
  REQUIRE(ingot_session_get_logits(s, &logits, &rows, &vocab) == INGOT_OK);
  REQUIRE(ingot_session_get_logits_int32(s, &q, &bits, &rows, &vocab) == INGOT_OK);
  CHECK(rows == 1);
  CHECK(vocab == 512);
  CHECK(bits == 16);
  for (int32_t i = 0; i < vocab; ++i) CHECK(logits[i] == static_cast<float>(q[i]) / 65536.0f);
  int32_t token = -1;
  REQUIRE(ingot_session_sample(s, &token) == INGOT_OK);
  int32_t best = 0;
  for (int32_t i = 1; i < vocab; ++i) best = q[i] > q[best] ? i : best;
  CHECK(token == best);  // temperature 0: argmax of the integer logits
  ingot_session_free(s);
}

TEST_CASE("a GGUF model loads from memory and gives the logits of the same file loaded from its path") {
  const std::string path = ingot::test::FindAsset("models/docs-llama-7m/model.f32.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/docs-llama-7m/model.f32.gguf not found");
    return;
  }
  const std::string bytes = ingot::test::ReadFile(path);
  ingot_model_params mp;
  ingot_model_params_init(&mp);
  mp.n_threads = 1;
  ingot_model* from_file = nullptr;
  ingot_model* from_memory = nullptr;
  REQUIRE(ingot_model_load(path.c_str(), &mp, &from_file) == INGOT_OK);
  REQUIRE_MESSAGE(ingot_model_load_from_memory(bytes.data(), bytes.size(), "docs-llama-7m", &mp, &from_memory) == INGOT_OK,
                  LastError());
  std::vector<std::vector<int32_t>> logits;
  for (ingot_model* model : {from_file, from_memory}) {
    ingot_session_params sp;
    ingot_session_params_init(&sp);
    sp.n_threads = 1;
    sp.n_ctx = 64;
    ingot_session* s = nullptr;
    REQUIRE(ingot_session_create(model, &sp, &s) == INGOT_OK);
    REQUIRE(ingot_session_eval_prompt(s, "The tower is 324 metres tall.") == INGOT_OK);
    const int32_t* q = nullptr;
    int32_t vocab = 0;
    REQUIRE(ingot_session_get_logits_int32(s, &q, nullptr, nullptr, &vocab) == INGOT_OK);
    logits.emplace_back(q, q + vocab);
    ingot_session_free(s);
  }
  CHECK(logits[0] == logits[1]);
  ingot_model_free(from_file);
  ingot_model_free(from_memory);
}

struct LogRecord {
  std::vector<std::pair<int32_t, std::string>> lines;
};
void RecordLog(int32_t level, const char* message, void* user_data) {
  static_cast<LogRecord*>(user_data)->lines.emplace_back(level, message);
}

TEST_CASE("the library writes nothing to stdout or stderr; diagnostics go to the log callback") {
  LogRecord log;
  REQUIRE(ingot_set_log_callback(RecordLog, &log) == INGOT_OK);
  std::fflush(stdout);
  std::fflush(stderr);
  const std::string captured = ingot::test::ScratchDir() + "/captured.txt";
  FILE* sink = std::fopen(captured.c_str(), "w");
  REQUIRE(sink != nullptr);
  const int saved_out = dup(1), saved_err = dup(2);
  dup2(fileno(sink), 1);
  dup2(fileno(sink), 2);
  {
    ingot_model* model = nullptr;
    ingot_model_load("/nonexistent.gguf", nullptr, &model);
    Fixture f;
    if (f.model != nullptr) {
      ingot_session* s = f.Session();
      ingot_session_eval_prompt(s, "Once upon a time");
      ingot_session_generate(s, 20, nullptr, nullptr, nullptr);
      ingot_session_eval(s, nullptr, 3);
      ingot_session_free(s);
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  std::fclose(sink);
  CHECK(ingot::test::ReadFile(captured).empty());
  REQUIRE(ingot_set_log_callback(nullptr, nullptr) == INGOT_OK);
  REQUIRE(!log.lines.empty());
  CHECK(log.lines[0].first == INGOT_LOG_ERROR);
  CHECK(log.lines[0].second == "ingot_model_load: /nonexistent.gguf: cannot open: No such file or directory");
  bool loaded = false;
  for (const auto& [level, line] : log.lines) loaded = loaded || (level == INGOT_LOG_INFO && line.find("loaded ") == 0);
  CHECK(loaded == !ingot::test::FindAsset("models/stories260K/stories260K.bin").empty());
}

}  // namespace
