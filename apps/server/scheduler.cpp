#include "apps/server/scheduler.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "model_io/error.h"

namespace ingot::server {

Job::Update Job::Wait(int32_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return done_ || !text_.empty(); });
  Update u;
  u.text.swap(text_);
  u.done = done_;
  if (done_) {
    u.finish_reason = finish_reason_;
    u.error = error_;
    u.usage = usage_;
  }
  return u;
}

void Job::Emit(const std::string& text) {
  if (text.empty()) return;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    text_ += text;
  }
  changed_.notify_all();
}

void Job::Finish(const std::string& finish_reason, const Usage& usage, const std::string& error) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    finish_reason_ = finish_reason;
    usage_ = usage;
    error_ = error;
  }
  changed_.notify_all();
}

namespace {

SessionOptions SessionFor(const SchedulerOptions& o) {
  SessionOptions s;
  s.n_ctx = o.n_ctx;
  s.n_threads = o.n_threads;
  s.n_batch = o.n_batch;
  s.n_seq = o.n_slots;
  s.mode = o.mode;
  s.max_memory = o.max_memory;
  s.fp_modules = o.fp_modules;
  return s;
}

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

Scheduler::Scheduler(const Model& model, const SchedulerOptions& options)
    : model_(model),
      session_(model, SessionFor(options)),
      slots_(static_cast<size_t>(options.n_slots)),
      queue_size_(std::max(0, options.queue_size)),
      thread_([this] { Loop(); }) {}

Scheduler::~Scheduler() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool Scheduler::Submit(std::shared_ptr<Job> job) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    const bool free_slot = busy_ + static_cast<int32_t>(queue_.size()) < n_slots();
    if (stopping_ || (!free_slot && static_cast<int32_t>(queue_.size()) >= queue_size_)) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_all();
  return true;
}

Scheduler::Load Scheduler::load() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return Load{busy_, static_cast<int32_t>(queue_.size())};
}

void Scheduler::Loop() {
  bool worked = false;  // since the server was last idle
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (worked && !stopping_ && busy_ == 0 && queue_.empty()) {
        // Idle: the memory freed by the requests (theirs and their HTTP threads') goes back to
        // the system, so that a server's footprint after a burst is what it was before.
        lock.unlock();
        malloc_trim(0);
        worked = false;
        lock.lock();
      }
      wake_.wait(lock, [&] { return stopping_ || busy_ > 0 || !queue_.empty(); });
      if (stopping_) break;
    }
    worked = true;
    try {
      Admit();
      if (!Step()) {
        // Every busy slot was cancelled and finished in Admit, or nothing was admitted yet.
        std::this_thread::yield();
      }
    } catch (const std::exception& e) {
      // Nothing a request can cause throws here (Step catches the evaluation's errors); out of
      // memory, say, ends the jobs in the slots, not the server.
      for (int32_t s = 0; s < n_slots(); ++s) {
        if (slots_[static_cast<size_t>(s)].job) Finish(s, "", e.what());
      }
    }
  }
  // Shutting down: every job still here ends with an error.
  for (int32_t s = 0; s < n_slots(); ++s) {
    if (slots_[static_cast<size_t>(s)].job) Finish(s, "", "the server is shutting down");
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& job : queue_) job->Finish("", Usage{}, "the server is shutting down");
  queue_.clear();
}

void Scheduler::Admit() {
  for (int32_t s = 0; s < n_slots(); ++s) {
    Slot& slot = slots_[static_cast<size_t>(s)];
    if (slot.job && slot.job->cancelled()) Finish(s, "", "cancelled");
  }
  std::unique_lock<std::mutex> lock(mutex_);
  while (!queue_.empty()) {
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    if (job->cancelled()) {
      job->Finish("", Usage{}, "cancelled");
      continue;
    }
    // The free slot holding the longest prefix of the prompt when that is at least half of it
    // (a continued conversation); else the least recently used free slot, so that a BOS in
    // common does not evict a conversation another slot could have taken.
    int32_t best = -1, oldest = -1;
    size_t best_prefix = 0;
    for (int32_t s = 0; s < n_slots(); ++s) {
      const Slot& slot = slots_[static_cast<size_t>(s)];
      if (slot.job) continue;
      const size_t prefix = CommonPrefix(slot.tokens, job->spec().prompt);
      if (best < 0 || prefix > best_prefix) {
        best = s;
        best_prefix = prefix;
      }
      if (oldest < 0 || slot.last_used < slots_[static_cast<size_t>(oldest)].last_used) oldest = s;
    }
    if (best < 0) {
      queue_.push_front(std::move(job));
      break;
    }
    if (2 * best_prefix < job->spec().prompt.size()) {
      best = oldest;
      best_prefix = CommonPrefix(slots_[static_cast<size_t>(best)].tokens, job->spec().prompt);
    }
    const JobSpec& spec = job->spec();
    SamplerParams sampling = spec.sampling;
    if (sampling.seed == 0) sampling.seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
    std::unique_ptr<Sampler> sampler;
    try {
      sampler = std::make_unique<Sampler>(sampling, model_.config().n_vocab);
    } catch (const std::exception& e) {  // parameters the request checks let through
      job->Finish("", Usage{}, e.what());
      continue;
    }
    ++busy_;
    lock.unlock();
    Slot& slot = slots_[static_cast<size_t>(best)];
    // The last prompt token is always evaluated again: its logits give the first token.
    const size_t reuse = std::min(best_prefix, spec.prompt.size() - 1);
    session_.Rewind(static_cast<int32_t>(reuse), best);
    slot.tokens.resize(reuse);
    slot.prompt_done = reuse;
    slot.sampler = std::move(sampler);
    slot.stop = std::make_unique<StopText>(spec.stop);
    slot.utf8 = Utf8Stream();
    slot.next = -1;
    slot.usage = Usage{static_cast<int32_t>(spec.prompt.size()), 0, static_cast<int32_t>(reuse)};
    slot.last_used = ++admissions_;
    slot.job = std::move(job);
    lock.lock();
  }
}

// One forward pass (Session::EvalBatch): one token of every generating slot, and as much of the
// waiting prompts as n_batch leaves room for, slots taken in turn, each prompt's last token's
// logits wanted when it ends in this pass. So a decode step costs the slots no extra pass over
// the weights when a prompt comes in, and the prompt no extra pass either.
bool Scheduler::Step() {
  batch_tokens_.clear();
  batch_seqs_.clear();
  batch_rows_.clear();
  row_seqs_.clear();
  chunks_.clear();
  const int32_t n_batch = session_.n_batch();
  for (int32_t k = 0; k < n_slots() && static_cast<int32_t>(batch_tokens_.size()) < n_batch; ++k) {
    const int32_t s = (turn_ + k) % n_slots();
    const Slot& slot = slots_[static_cast<size_t>(s)];
    if (!slot.job || slot.next < 0) continue;
    batch_rows_.push_back(static_cast<int32_t>(batch_tokens_.size()));
    row_seqs_.push_back(s);
    batch_tokens_.push_back(slot.next);
    batch_seqs_.push_back(s);
  }
  for (int32_t k = 0; k < n_slots() && static_cast<int32_t>(batch_tokens_.size()) < n_batch; ++k) {
    const int32_t s = (turn_ + k) % n_slots();
    const Slot& slot = slots_[static_cast<size_t>(s)];
    if (!slot.job || slot.next >= 0 || slot.prompt_done >= slot.job->spec().prompt.size()) continue;
    const std::vector<int32_t>& prompt = slot.job->spec().prompt;
    const size_t n = std::min(prompt.size() - slot.prompt_done, static_cast<size_t>(n_batch) - batch_tokens_.size());
    batch_tokens_.insert(batch_tokens_.end(), prompt.begin() + static_cast<std::ptrdiff_t>(slot.prompt_done),
                         prompt.begin() + static_cast<std::ptrdiff_t>(slot.prompt_done + n));
    batch_seqs_.insert(batch_seqs_.end(), n, s);
    chunks_.push_back({s, n});
    if (slot.prompt_done + n == prompt.size()) {
      batch_rows_.push_back(static_cast<int32_t>(batch_tokens_.size()) - 1);
      row_seqs_.push_back(s);
    }
  }
  turn_ = (turn_ + 1) % n_slots();
  if (batch_tokens_.empty()) return false;
  try {
    session_.EvalBatch(batch_tokens_.data(), batch_seqs_.data(), static_cast<int32_t>(batch_tokens_.size()),
                       LogitRows{batch_rows_.data(), static_cast<int32_t>(batch_rows_.size())});
  } catch (const std::exception& e) {
    for (const int32_t s : batch_seqs_) {
      if (slots_[static_cast<size_t>(s)].job) Finish(s, "", e.what());
    }
    return true;
  }
  // What each slot's KV cache now holds, then each wanted row's token.
  for (const int32_t s : row_seqs_) {
    Slot& slot = slots_[static_cast<size_t>(s)];
    if (slot.next >= 0) slot.tokens.push_back(slot.next);
    slot.next = -1;
  }
  for (const auto& [s, n] : chunks_) {
    Slot& slot = slots_[static_cast<size_t>(s)];
    const int32_t* prompt = slot.job->spec().prompt.data() + slot.prompt_done;
    slot.tokens.insert(slot.tokens.end(), prompt, prompt + n);
    slot.prompt_done += n;
  }
  const size_t n_vocab = static_cast<size_t>(model_.config().n_vocab);
  for (size_t r = 0; r < row_seqs_.size(); ++r) {
    Slot& slot = slots_[static_cast<size_t>(row_seqs_[r])];
    Take(row_seqs_[r], slot.sampler->Sample(session_.logits() + r * n_vocab, slot.tokens));
  }
  return true;
}

// Generator::Generate's rules, so that greedy text equals run-model's: a stop token ends the
// turn unevaluated; every other token is text, counted, and evaluated by the next step unless
// max_tokens or the context ends the generation first.
void Scheduler::Take(int32_t seq, int32_t token) {
  Slot& slot = slots_[static_cast<size_t>(seq)];
  const JobSpec& spec = slot.job->spec();
  const Tokenizer& tokenizer = model_.tokenizer();
  if (token == tokenizer.eos_id() || std::find(spec.stop_tokens.begin(), spec.stop_tokens.end(), token) != spec.stop_tokens.end()) {
    return Finish(seq, "stop");
  }
  ++slot.usage.completion_tokens;
  bool stopped = false;
  slot.job->Emit(slot.stop->Push(slot.utf8.Push(tokenizer.TokenToPiece(token)), &stopped));
  if (stopped) return Finish(seq, "stop", "", false);  // nothing after the stop string
  if (slot.usage.completion_tokens == spec.max_tokens || session_.n_past(seq) >= session_.n_ctx()) return Finish(seq, "length");
  slot.next = token;
}

void Scheduler::Finish(int32_t seq, const std::string& reason, const std::string& error, bool flush) {
  Slot& slot = slots_[static_cast<size_t>(seq)];
  if (error.empty() && flush) {
    // The bytes of an unfinished character (as U+FFFD) and the text held for the stop strings.
    bool stopped = false;
    std::string rest = slot.stop->Push(slot.utf8.Flush(), &stopped);
    if (!stopped) rest += slot.stop->Flush();
    slot.job->Emit(rest);
  }
  slot.job->Finish(reason, slot.usage, error);
  if (!error.empty() && error != "cancelled") {
    // After a failed evaluation the cache's contents are not known: start the slot afresh.
    slot.tokens.clear();
    session_.Rewind(0, seq);
  }
  slot.job.reset();
  slot.next = -1;
  const std::lock_guard<std::mutex> lock(mutex_);
  --busy_;
}

}  // namespace ingot::server
