// ingot-server's engine side: N slots share one model through one Session of N sequences. A
// thread of its own runs them: each turn it admits waiting jobs into free slots (the slot
// whose KV cache holds the longest prefix of the prompt, when that is at least half of it: a
// continued conversation is not evaluated again), then runs one forward pass
// (Session::EvalBatch) over the next token of every generating slot and as much of the waiting
// prompts as fits in n_batch, and samples each slot whose logits it gave. Jobs beyond the slots
// wait in a bounded queue; HTTP threads talk to their job only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/server/openai.h"
#include "apps/server/stop_text.h"
#include "engine/model/model.h"
#include "engine/session/sampler.h"
#include "engine/session/session.h"
#include "model_io/unicode.h"

namespace ingot::server {

// What a job asks the scheduler for: the prompt's ids and how to generate.
struct JobSpec {
  std::vector<int32_t> prompt;      // not empty, fits in a slot's context
  SamplerParams sampling;
  int32_t max_tokens = -1;          // -1: until a stop token or the end of the context
  std::vector<int32_t> stop_tokens; // besides EOS (a chat template's end of turn)
  std::vector<std::string> stop;    // stop strings
};

// One request between its HTTP thread and the scheduler.
class Job {
 public:
  explicit Job(JobSpec spec) : spec_(std::move(spec)) {}

  // HTTP thread: what happened since the last call, after waiting up to timeout_ms for
  // something to.
  struct Update {
    std::string text;           // new text
    bool done = false;
    std::string finish_reason;  // "stop" or "length" when done without error
    std::string error;          // when done: why it failed ("" none)
    Usage usage;                // when done
  };
  Update Wait(int32_t timeout_ms);
  // The client went away: the scheduler stops the generation and frees the slot.
  void Cancel() { cancelled_.store(true); }

  // Scheduler side.
  const JobSpec& spec() const { return spec_; }
  bool cancelled() const { return cancelled_.load(); }
  void Emit(const std::string& text);
  void Finish(const std::string& finish_reason, const Usage& usage, const std::string& error = "");

 private:
  const JobSpec spec_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;
  bool done_ = false;
  std::string finish_reason_, error_;
  Usage usage_;
};

struct SchedulerOptions {
  int32_t n_slots = 4;
  int32_t n_ctx = 0;        // per slot; 0: the model's, at most kDefaultMaxContext
  int32_t n_threads = 0;
  int32_t n_batch = 512;    // prompt tokens per evaluation
  Mode mode = Mode::kInt8;
  int32_t queue_size = 16;  // jobs waiting for a slot; beyond, Submit refuses
  uint64_t max_memory = 0;  // SessionOptions::max_memory
  std::string fp_modules;   // SessionOptions::fp_modules
};

class Scheduler {
 public:
  // Throws ingot::Error when the session cannot be made (memory, context).
  Scheduler(const Model& model, const SchedulerOptions& options);
  ~Scheduler();  // cancels every job (they finish with an error) and joins the thread

  // Queues a job; false when the queue is full (the client gets 503).
  bool Submit(std::shared_ptr<Job> job);

  int32_t n_ctx() const { return session_.n_ctx(); }
  int32_t n_slots() const { return static_cast<int32_t>(slots_.size()); }
  struct Load {
    int32_t busy_slots = 0;
    int32_t queued = 0;
  };
  Load load() const;

 private:
  struct Slot {
    std::shared_ptr<Job> job;     // null: free
    std::vector<int32_t> tokens;  // what the slot's KV cache holds, in order
    size_t prompt_done = 0;       // prompt tokens evaluated (of job's)
    std::unique_ptr<Sampler> sampler;
    std::unique_ptr<StopText> stop;
    Utf8Stream utf8;
    int32_t next = -1;            // sampled, to be evaluated by the next step
    Usage usage;
    uint64_t last_used = 0;       // admission order, for the least recently used free slot
  };

  void Loop();
  void Admit();                          // queued jobs into free slots; cancelled ones finished
  bool Step();                           // one forward pass over the slots; false when none runs
  void Take(int32_t seq, int32_t token);  // a sampled token: text out, or the end
  // Ends the slot's job (with error: failed) and frees the slot; flush: send the text held back.
  void Finish(int32_t seq, const std::string& reason, const std::string& error = "", bool flush = true);

  const Model& model_;
  Session session_;
  std::vector<Slot> slots_;
  uint64_t admissions_ = 0;

  mutable std::mutex mutex_;  // guards queue_, busy_ and stopping_
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  int32_t queue_size_;
  int32_t busy_ = 0;
  bool stopping_ = false;
  // One pass's batch: tokens and their slots, the rows whose logits are wanted and their
  // slots, and the prompt chunks in it (slot, tokens).
  std::vector<int32_t> batch_tokens_, batch_seqs_, batch_rows_, row_seqs_;
  std::vector<std::pair<int32_t, size_t>> chunks_;
  int32_t turn_ = 0;  // the slot served first in the next pass (round robin)
  std::thread thread_;  // last: starts when everything above is ready
};

}  // namespace ingot::server
