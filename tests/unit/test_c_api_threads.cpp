// The C API under threads: one model shared by four sessions on four threads gives exactly
// the texts of four sequential runs, a cancel from another thread stops generation within
// one token, and one session hammered from four threads serves one call at a time and refuses
// the others with INGOT_ERROR_BUSY. scripts/test also runs this file under ThreadSanitizer
// and AddressSanitizer.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
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

// A callback that calls back into its own session: refused as busy, and generation goes on.
struct Reentry {
  ingot_session* session = nullptr;
  std::vector<int32_t> statuses;
};

int32_t CallBackIn(const char*, size_t, int32_t, void* user_data) {
  auto* r = static_cast<Reentry*>(user_data);
  int32_t token = 0;
  r->statuses.push_back(ingot_session_sample(r->session, &token));
  r->statuses.push_back(ingot_session_reset(r->session));
  r->statuses.push_back(ingot_session_free(r->session));
  int32_t ids[8];
  int32_t n = 0;
  r->statuses.push_back(ingot_session_tokenize(r->session, "a", 0, ids, 8, &n) == INGOT_OK ? -1 : -2);  // never busy
  return 0;
}

TEST_CASE("a session serves one call at a time: a call from a generate callback is busy") {
  ingot_model* model = LoadModel();
  if (model == nullptr) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  Reentry r;
  r.session = NewSession(model, 3);
  REQUIRE(ingot_session_eval_prompt(r.session, "Once upon a time") == INGOT_OK);
  int32_t generated = 0;
  CHECK(ingot_session_generate(r.session, 3, CallBackIn, &r, &generated) == INGOT_OK);
  CHECK(generated == 3);
  REQUIRE(r.statuses.size() >= 12);
  for (size_t i = 0; i < r.statuses.size(); i += 4) {
    CHECK(r.statuses[i] == INGOT_ERROR_BUSY);
    CHECK(r.statuses[i + 1] == INGOT_ERROR_BUSY);
    CHECK(r.statuses[i + 2] == INGOT_ERROR_BUSY);
    CHECK(r.statuses[i + 3] == -1);
  }
  auto info = Sized<ingot_session_info>();
  REQUIRE(ingot_session_get_info(r.session, &info) == INGOT_OK);
  CHECK(info.n_past == 5 + 3);  // the refused reset changed nothing
  CHECK(ingot_session_free(r.session) == INGOT_OK);
  CHECK(ingot_model_free(model) == INGOT_OK);
}

// One session, four threads, every session function in random order for a while. A call
// either runs (and gives one of the statuses its own state explains) or is refused with
// INGOT_ERROR_BUSY at once; nothing else, and the sanitizers see no race and no corruption.
TEST_CASE("one session hammered from four threads with every session function: busy or done, nothing else") {
  ingot_model* model = LoadModel();
  if (model == nullptr) {
    MESSAGE("skipped: models/stories260K/stories260K.bin not found");
    return;
  }
  ingot_session_params params;
  ingot_session_params_init(&params);
  params.n_threads = 1;
  params.n_ctx = 48;  // small, so the context fills up and resets happen
  ingot_session* session = nullptr;
  REQUIRE(ingot_session_create(model, &params, &session) == INGOT_OK);
  constexpr int kThreads = 4;
  constexpr int kFunctions = 12;
  std::vector<std::vector<int64_t>> counts(kThreads, std::vector<int64_t>(kFunctions * 16, 0));  // [thread][function * 16 + status]
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(1000 + t));
      int32_t ids[64];
      char text[256];
      std::string story;
      while (std::chrono::steady_clock::now() < until) {
        const int f = static_cast<int>(rng() % kFunctions);
        int32_t status = INGOT_OK, n = 0, token = 0;
        size_t length = 0;
        const float* logits = nullptr;
        const int32_t* logits_q16 = nullptr;
        auto info = Sized<ingot_session_info>();
        switch (f) {
          case 0: status = ingot_session_tokenize(session, "Once upon a time", 1, ids, 64, &n); break;
          case 1: ids[0] = 1, ids[1] = 300; status = ingot_session_detokenize(session, ids, 2, text, sizeof text, &length); break;
          case 2: ids[0] = 42; status = ingot_session_eval(session, ids, 1); break;
          case 3: status = ingot_session_eval_prompt(session, "The dog"); break;
          case 4: story.clear(); status = ingot_session_generate(session, 3, AppendText, &story, &n); break;
          case 5: status = ingot_session_sample(session, &token); break;
          case 6: status = ingot_session_cancel(session); break;
          case 7: status = ingot_session_reset(session); break;
          case 8: status = ingot_session_get_info(session, &info); break;
          case 9: status = ingot_session_get_logits(session, &logits, &n, nullptr); break;
          case 10: status = ingot_session_get_logits_int32(session, &logits_q16, nullptr, &n, nullptr); break;
          default: status = ingot_session_generate(session, 2, nullptr, nullptr, &n); break;
        }
        counts[static_cast<size_t>(t)][static_cast<size_t>(f * 16 + (status >= 0 && status < 16 ? status : 15))]++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int64_t> total(kFunctions * 16, 0);
  for (const auto& c : counts) {
    for (size_t i = 0; i < c.size(); ++i) total[i] += c[i];
  }
  int64_t busy = 0, done = 0;
  for (int f = 0; f < kFunctions; ++f) {
    for (int status = 0; status < 16; ++status) {
      const int64_t n = total[static_cast<size_t>(f * 16 + status)];
      if (n == 0) continue;
      CAPTURE(f);
      CAPTURE(status);
      // What a call may answer: done, busy, or what the session's state at that moment explains.
      const bool allowed = status == INGOT_OK || status == INGOT_ERROR_BUSY || status == INGOT_ERROR_CANCELLED ||
                           status == INGOT_ERROR_CONTEXT_FULL || status == INGOT_ERROR_INVALID_STATE;
      CHECK(allowed);
      if (f == 0 || f == 1 || f == 6) CHECK(status == INGOT_OK);  // tokenize, detokenize, cancel: never refused
      (status == INGOT_ERROR_BUSY ? busy : done) += n;
    }
  }
  MESSAGE(done << " calls ran, " << busy << " were refused as busy");
  CHECK(busy > 0);
  CHECK(done > 0);
  CHECK(ingot_session_free(session) == INGOT_OK);
  CHECK(ingot_model_free(model) == INGOT_OK);
}

}  // namespace
