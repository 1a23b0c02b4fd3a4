// The C API under threads: one model shared by four sessions on four threads gives exactly
// the texts of four sequential runs, and a cancel from another thread stops generation within
// one token. scripts/test also runs this file under ThreadSanitizer.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingot/ingot.h"
#include "tests/c_api_test_util.h"
#include "tests/test_util.h"

namespace {

using ingot::test::LastError;
using ingot::test::Sized;

// stories260K with int8 weights, every piece of work on the calling thread (no OpenMP team,
// so ThreadSanitizer sees only our threads).
ingot_model* LoadModel() {
  const std::string path = ingot::test::FindAsset("models/stories260K/stories260K.bin");
  if (path.empty()) return nullptr;
  ingot_model_params params;
  ingot_model_params_init(&params);
  params.n_threads = 1;
  ingot_model* model = nullptr;
  REQUIRE_MESSAGE(ingot_model_load(path.c_str(), &params, &model) == INGOT_OK, LastError());
  return model;
}

ingot_session* NewSession(ingot_model* model, uint64_t seed) {
  ingot_session_params params;
  ingot_session_params_init(&params);
  params.n_threads = 1;
  params.seed = seed;  // temperature 0.8: sampling is part of what must be reproducible
  ingot_session* session = nullptr;
  REQUIRE_MESSAGE(ingot_session_create(model, &params, &session) == INGOT_OK, LastError());
  return session;
}

int32_t AppendText(const char* text, size_t length, int32_t, void* user_data) {
  static_cast<std::string*>(user_data)->append(text, length);
  return 0;
}

// One whole run: its own session, a prompt, 64 sampled tokens. Returns the text, or the error.
// (No doctest macros here: they are not thread-safe.)
std::string Story(ingot_model* model, const char* prompt, uint64_t seed) {
  ingot_session_params params;
  ingot_session_params_init(&params);
  params.n_threads = 1;
  params.seed = seed;
  ingot_session* session = nullptr;
  if (ingot_session_create(model, &params, &session) != INGOT_OK) return "error: " + LastError();
  std::string text;
  int32_t status = ingot_session_eval_prompt(session, prompt);
  if (status == INGOT_OK) status = ingot_session_generate(session, 64, AppendText, &text, nullptr);
  if (status != INGOT_OK) text = "error: " + LastError();
  ingot_session_free(session);
  return text;
}

const char* const kPrompts[] = {"Once upon a time", "Lily went to the park", "The dog was very happy", "Tom had a red ball"};

TEST_CASE("four sessions of one model on four threads give the texts of four sequential runs") {
  ingot_model* model = LoadModel();
  if (model == nullptr) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  std::vector<std::string> sequential, parallel(4);
  for (uint64_t i = 0; i < 4; ++i) sequential.push_back(Story(model, kPrompts[i], 100 + i));
  std::vector<std::thread> threads;
  for (uint64_t i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { parallel[i] = Story(model, kPrompts[i], 100 + i); });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(sequential[i].find("error") != 0);
    CHECK(sequential[i].size() > 40);
    CHECK(parallel[i] == sequential[i]);
  }
  CHECK(sequential[0] != sequential[1]);
  CHECK(ingot_model_free(model) == INGOT_OK);
}

// The callback stops at its 10th token until another thread has cancelled: the session must
// then return INGOT_ERROR_CANCELLED without another token.
struct Handshake {
  std::mutex mutex;
  std::condition_variable changed;
  int32_t tokens = 0;
  bool at_tenth = false;
  bool cancelled = false;
};

int32_t WaitAtTenth(const char*, size_t, int32_t, void* user_data) {
  auto* h = static_cast<Handshake*>(user_data);
  std::unique_lock<std::mutex> lock(h->mutex);
  if (++h->tokens == 10) {
    h->at_tenth = true;
    h->changed.notify_all();
    h->changed.wait(lock, [&] { return h->cancelled; });
  }
  return 0;
}

TEST_CASE("a cancel from another thread stops generation within one token") {
  ingot_model* model = LoadModel();
  if (model == nullptr) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  ingot_session* session = NewSession(model, 7);
  REQUIRE(ingot_session_eval_prompt(session, "Once upon a time") == INGOT_OK);
  Handshake h;
  int32_t status = -1, generated = -1;
  std::thread worker([&] { status = ingot_session_generate(session, 400, WaitAtTenth, &h, &generated); });
  std::thread canceller([&] {
    std::unique_lock<std::mutex> lock(h.mutex);
    h.changed.wait(lock, [&] { return h.at_tenth; });
    ingot_session_cancel(session);
    h.cancelled = true;
    h.changed.notify_all();
  });
  canceller.join();
  worker.join();
  CHECK(status == INGOT_ERROR_CANCELLED);
  CHECK(generated == 10);
  CHECK(h.tokens == 10);
  auto info = Sized<ingot_session_info>();
  REQUIRE(ingot_session_get_info(session, &info) == INGOT_OK);
  CHECK(info.n_past == 5 + 10);  // BOS + 4 prompt tokens, and the 10 generated ones stay

  // Free-running: a cancel at any moment is followed by at most one more token (the one being
  // evaluated when it came). The callback is slowed down so the story cannot end first.
  std::atomic<int32_t> count{0};
  std::atomic<int32_t> at_cancel{-1};
  auto counting = [](const char*, size_t, int32_t, void* user_data) -> int32_t {
    static_cast<std::atomic<int32_t>*>(user_data)->fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return 0;
  };
  REQUIRE(ingot_session_reset(session) == INGOT_OK);
  REQUIRE(ingot_session_eval_prompt(session, "Once upon a time") == INGOT_OK);
  worker = std::thread([&] { status = ingot_session_generate(session, 400, counting, &count, &generated); });
  while (count.load() < 3) std::this_thread::yield();
  ingot_session_cancel(session);
  at_cancel = count.load();
  worker.join();
  CHECK(status == INGOT_ERROR_CANCELLED);
  CHECK(generated - at_cancel.load() <= 1);

  // A cancel while idle stops the next call at once; reset clears it.
  ingot_session_cancel(session);
  CHECK(ingot_session_generate(session, 5, nullptr, nullptr, &generated) == INGOT_ERROR_CANCELLED);
  CHECK(generated == 0);
  ingot_session_cancel(session);
  CHECK(ingot_session_reset(session) == INGOT_OK);
  CHECK(ingot_session_eval_prompt(session, "Once upon a time") == INGOT_OK);
  CHECK(ingot_session_generate(session, 5, nullptr, nullptr, &generated) == INGOT_OK);
  CHECK(generated == 5);
  ingot_session_free(session);
  CHECK(ingot_model_free(model) == INGOT_OK);
}

}  // namespace
