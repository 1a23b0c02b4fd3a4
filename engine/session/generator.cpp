#include "engine/session/generator.h"

#include <algorithm>
#include <optional>

#include "model_io/error.h"
#include "model_io/unicode.h"

namespace ingot {
namespace {

Error Cancelled() { return Error("cancelled", ErrorKind::kCancelled); }

// A text of at most this many bytes per free position is tokenized whole; a longer one is
// first counted in pieces, so that a prompt far beyond the context is refused after its first
// pieces, in constant memory, instead of tokenized in full (a 100 MB prompt took minutes).
constexpr size_t kWholeBytesPerToken = 64;
constexpr size_t kPieceBytes = size_t{1} << 16;

// The number of tokens text needs, counted piece by piece up to limit: more than limit means it
// cannot fit. Pieces end before a space (or at a character boundary when there is none near),
// and each may cost up to two tokens more than the whole text would (a word cut in two, a
// dummy prefix), which the count allows for.
bool NeedsMoreTokensThan(const Tokenizer& tokenizer, std::string_view text, int64_t limit) {
  int64_t count = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.size(), at + kPieceBytes);
    const size_t space = text.rfind(' ', end);
    if (end < text.size() && space != std::string_view::npos && space > at) end = space;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;  // not mid-character
    count += static_cast<int64_t>(tokenizer.Encode(text.substr(at, end - at), false).size()) - 2;
    if (count > limit) return true;
    at = end;
  }
  return false;
}

}  // namespace

// Holds busy_ for one call; a second claim fails instead of waiting.
class Generator::Claim {
 public:
  explicit Claim(const Generator& g) : busy_(g.busy_) {
    if (busy_.exchange(true, std::memory_order_acquire)) {
      throw Error("the session is busy: another call on it is running", ErrorKind::kBusy);
    }
  }
  ~Claim() { busy_.store(false, std::memory_order_release); }
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;

 private:
  std::atomic<bool>& busy_;
};

Generator::Generator(const Model& model, const SessionOptions& session, const SamplerParams& sampling)
    : sampler_(sampling, model.config().n_vocab), session_(model, session) {}

void Generator::StopIfCancelled() {
  if (cancel_.exchange(false)) throw Cancelled();
}

void Generator::RequireLogits() const {
  if (logit_rows_ == 0) throw Error("nothing evaluated yet: evaluate a prompt first", ErrorKind::kInvalidState);
}

void Generator::Eval(const int32_t* tokens, int32_t n_tokens) {
  const Claim claim(*this);
  if (n_tokens < 1) {
    throw Error("n_tokens must be at least 1, got " + std::to_string(n_tokens), ErrorKind::kInvalidArgument);
  }
  session_.CheckTokens(tokens, n_tokens);  // bad input is refused before a pending cancel is taken
  StopIfCancelled();
  Run(tokens, n_tokens, session_.logits_all());
}

void Generator::EvalPrompt(std::string_view text) {
  const Claim claim(*this);
  const Tokenizer& tokenizer = model().tokenizer();
  const int64_t free = session_.n_ctx() - session_.n_past();
  if (text.size() > static_cast<size_t>(free) * kWholeBytesPerToken && NeedsMoreTokensThan(tokenizer, text, free)) {
    throw Error("the prompt does not fit: its " + std::to_string(text.size()) + " bytes need more than the " +
                    std::to_string(free) + " free positions of n_ctx " + std::to_string(session_.n_ctx()),
                ErrorKind::kContextFull);
  }
  const std::vector<int32_t> ids =
      text.empty() ? std::vector<int32_t>{} : tokenizer.Encode(text, session_.n_past() == 0 && tokenizer.add_bos());
  if (ids.empty()) throw Error("the prompt is empty", ErrorKind::kInvalidArgument);
  session_.CheckFits(static_cast<int64_t>(ids.size()));  // before the count is narrowed to int32
  StopIfCancelled();
  Run(ids.data(), static_cast<int32_t>(ids.size()), false);
}

// A cancel that arrives meanwhile stops Session::Eval between two batches.
void Generator::Run(const int32_t* tokens, int32_t n_tokens, bool all_logits) {
  const int32_t start = session_.n_past();
  auto forget = [&] {  // the tokens of this call, and the logits they may have half overwritten
    session_.Rewind(start);
    logit_rows_ = 0;
  };
  bool finished = false;
  try {
    finished = session_.Eval(tokens, n_tokens, all_logits, &cancel_);
  } catch (const Error& e) {
    // Session::Eval refuses what does not fit or is out of range before it computes anything.
    if (e.kind() != ErrorKind::kInvalidArgument && e.kind() != ErrorKind::kContextFull) forget();
    throw;
  } catch (...) {
    forget();
    throw;
  }
  if (!finished) {
    forget();
    throw Cancelled();
  }
  history_.insert(history_.end(), tokens, tokens + n_tokens);
  logit_rows_ = all_logits ? n_tokens : 1;
}

const float* Generator::LastLogits() const {
  const size_t n_vocab = static_cast<size_t>(model().config().n_vocab);
  return session_.logits() + static_cast<size_t>(logit_rows_ - 1) * n_vocab;
}

int32_t Generator::Sample() {
  const Claim claim(*this);
  RequireLogits();
  return sampler_.Sample(LastLogits(), history_);
}

void Generator::AddStopToken(int32_t token) {
  const Claim claim(*this);
  if (token < 0 || token >= model().config().n_vocab) {
    throw Error("stop token " + std::to_string(token) + " is out of the vocabulary (" +
                    std::to_string(model().config().n_vocab) + " tokens)",
                ErrorKind::kInvalidArgument);
  }
  stop_tokens_.push_back(token);
}

void Generator::Generate(int32_t max_tokens, const OnPiece& on_piece, int32_t* n_generated) {
  *n_generated = 0;
  const Claim claim(*this);
  if (max_tokens < 0) throw Error("max_tokens is negative", ErrorKind::kInvalidArgument);
  RequireLogits();
  const Tokenizer& tokenizer = model().tokenizer();
  Utf8Stream stream;
  int32_t last = -1;  // the last token streamed
  std::optional<Error> stop;  // why the loop ended early, thrown after the flush
  while (*n_generated < max_tokens) {
    if (cancel_.exchange(false)) {
      stop = Cancelled();
      break;
    }
    if (session_.n_past() >= session_.n_ctx()) {
      stop.emplace("the context is full (n_ctx " + std::to_string(session_.n_ctx()) + ")", ErrorKind::kContextFull);
      break;
    }
    const int32_t token = sampler_.Sample(LastLogits(), history_);
    if (token == tokenizer.eos_id() || std::ranges::find(stop_tokens_, token) != stop_tokens_.end()) break;
    Run(&token, 1, false);
    ++*n_generated;
    last = token;
    const std::string piece = stream.Push(tokenizer.TokenToPiece(token));
    if (on_piece && !on_piece(piece, token)) return;  // a caller that asked to stop gets nothing more
  }
  // What the tokens so far leave of an unfinished character (U+FFFD), on every other way out.
  const std::string rest = stream.Flush();
  if (!rest.empty() && on_piece) on_piece(rest, last);
  if (stop) throw *stop;
}

void Generator::Reset() {
  const Claim claim(*this);
  session_.Reset();
  history_.clear();
  logit_rows_ = 0;
  cancel_.store(false);
}

const float* Generator::Logits(int32_t* rows) const {
  const Claim claim(*this);
  RequireLogits();
  if (rows != nullptr) *rows = logit_rows_;
  return session_.logits();
}

const int32_t* Generator::LogitsQ16(int32_t* rows) const {
  const Claim claim(*this);
  if (session_.mode() != Mode::kInt8) {
    throw Error("integer logits exist in int8 mode only (this session is fp32)", ErrorKind::kUnsupported);
  }
  RequireLogits();
  if (rows != nullptr) *rows = logit_rows_;
  return session_.logits_q16();
}

int32_t Generator::n_past() const {
  const Claim claim(*this);
  return session_.n_past();
}

}  // namespace ingot
