// perplexity: llama.cpp's method (llama-perplexity), so numbers compare side by side:
// the text is tokenized once (BOS first), cut into non-overlapping chunks of n_ctx tokens,
// each chunk's first token replaced by BOS, and only the second half of each chunk scored.
// With --split-on, the text is cut into documents instead, each one sequence from BOS, all
// of its tokens scored. Log-probabilities are evaluation, not inference: float here is fine.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common.h"

namespace ingot::apps {
namespace {

// --save-logits file: "INGOTLGT", u32 version, u32 n_vocab, u64 n_records; then per scored
// token: u32 target id, f32 min log-prob, f32 step, u16[n_vocab] log-probs as min + q * step
// (llama.cpp stores its KL-divergence base the same compact way).
constexpr char kLogitsMagic[8] = {'I', 'N', 'G', 'O', 'T', 'L', 'G', 'T'};
constexpr uint32_t kLogitsVersion = 1;

struct Sequence {
  std::vector<int32_t> tokens;
  int32_t first_scored = 0;  // logits at positions >= first_scored predict the next token
};

// Log-softmax of one row in double: out [n].
void LogSoftmax(const float* logits, int32_t n, std::vector<double>& out) {
  double max = logits[0];
  for (int32_t i = 1; i < n; ++i) max = std::max(max, static_cast<double>(logits[i]));
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  const double log_sum = std::log(sum) + max;
  for (int32_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<double>(logits[i]) - log_sum;
}

// Mean and its standard error from a running sum and sum of squares.
struct Accumulator {
  double sum = 0.0, sum_sq = 0.0;
  int64_t n = 0;
  void Add(double v) { sum += v; sum_sq += v * v; ++n; }
  double Mean() const { return n ? sum / static_cast<double>(n) : 0.0; }
  double StdError() const {
    if (n < 2) return 0.0;
    const double mean = Mean();
    const double var = std::max(0.0, sum_sq / static_cast<double>(n) - mean * mean);
    return std::sqrt(var / static_cast<double>(n - 1));
  }
};

class LogitsWriter {
 public:
  LogitsWriter(const std::string& path, int32_t n_vocab) : path_(path), n_vocab_(n_vocab) {
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) throw Error(path + ": cannot write logits file: " + std::strerror(errno));
    const uint64_t zero = 0;
    const uint32_t version = kLogitsVersion, vocab = static_cast<uint32_t>(n_vocab);
    out_.write(kLogitsMagic, 8);
    out_.write(reinterpret_cast<const char*>(&version), 4);
    out_.write(reinterpret_cast<const char*>(&vocab), 4);
    out_.write(reinterpret_cast<const char*>(&zero), 8);
    row_.resize(static_cast<size_t>(n_vocab));
  }
  void Add(int32_t target, const std::vector<double>& log_probs) {
    const double min = *std::min_element(log_probs.begin(), log_probs.end());
    const double max = *std::max_element(log_probs.begin(), log_probs.end());
    const float min_f = static_cast<float>(min);
    const float step = static_cast<float>(std::max(max - min, 1e-30) / 65535.0);
    for (size_t i = 0; i < row_.size(); ++i) {
      row_[i] = static_cast<uint16_t>(std::clamp(std::lround((log_probs[i] - min_f) / step), 0L, 65535L));
    }
    const uint32_t t = static_cast<uint32_t>(target);
    out_.write(reinterpret_cast<const char*>(&t), 4);
    out_.write(reinterpret_cast<const char*>(&min_f), 4);
    out_.write(reinterpret_cast<const char*>(&step), 4);
    out_.write(reinterpret_cast<const char*>(row_.data()), static_cast<std::streamsize>(row_.size() * 2));
    ++n_records_;
  }
  void Finish() {
    out_.seekp(16);
    out_.write(reinterpret_cast<const char*>(&n_records_), 8);
    out_.close();
    if (!out_) throw Error(path_ + ": error writing logits file");
  }

 private:
  std::string path_;
  int32_t n_vocab_;
  std::ofstream out_;
  std::vector<uint16_t> row_;
  uint64_t n_records_ = 0;
};

class LogitsReader {
 public:
  const std::string& path() const { return path_; }
  LogitsReader(const std::string& path, int32_t n_vocab) : path_(path) {
    in_.open(path, std::ios::binary);
    if (!in_) throw Error(path + ": cannot open logits file: " + std::strerror(errno));
    char magic[8] = {};
    uint32_t version = 0, vocab = 0;
    in_.read(magic, 8);
    in_.read(reinterpret_cast<char*>(&version), 4);
    in_.read(reinterpret_cast<char*>(&vocab), 4);
    in_.read(reinterpret_cast<char*>(&n_records_), 8);
    if (!in_ || std::memcmp(magic, kLogitsMagic, 8) != 0) throw Error(path + ": not an ingot logits file (made by perplexity --save-logits)");
    if (version != kLogitsVersion) throw Error(path + ": logits file version " + std::to_string(version) + " is not supported");
    if (vocab != static_cast<uint32_t>(n_vocab)) {
      throw Error(path + ": logits file has vocabulary " + std::to_string(vocab) + ", the model " + std::to_string(n_vocab));
    }
    row_.resize(vocab);
  }
  uint64_t n_records() const { return n_records_; }
  // Reads the next record as renormalized log-probs; returns its target token.
  int32_t Next(std::vector<double>& log_probs) {
    uint32_t target = 0;
    float min = 0.0f, step = 0.0f;
    in_.read(reinterpret_cast<char*>(&target), 4);
    in_.read(reinterpret_cast<char*>(&min), 4);
    in_.read(reinterpret_cast<char*>(&step), 4);
    in_.read(reinterpret_cast<char*>(row_.data()), static_cast<std::streamsize>(row_.size() * 2));
    if (!in_) throw Error(path_ + ": logits file is truncated");
    double sum = 0.0;
    for (size_t i = 0; i < row_.size(); ++i) {
      log_probs[i] = min + static_cast<double>(row_[i]) * step;
      sum += std::exp(log_probs[i]);
    }
    const double log_sum = std::log(sum);
    for (double& v : log_probs) v -= log_sum;
    return static_cast<int32_t>(target);
  }

 private:
  std::string path_;
  std::ifstream in_;
  std::vector<uint16_t> row_;
  uint64_t n_records_ = 0;
};

// What tokenizing needs of the model (ingot_model_info).
struct TokenizerInfo {
  const ingot_session* session;
  bool add_bos;
  int32_t bos_id;
};

std::vector<Sequence> MakeChunks(const TokenizerInfo& tok, const std::string& text, int32_t n_ctx, int32_t max_chunks) {
  const std::vector<int32_t> tokens = Tokenize(tok.session, text, tok.add_bos);
  const int64_t n_chunks_all = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (n_chunks_all == 0) {
    throw Error("the text has " + std::to_string(tokens.size()) + " tokens, fewer than one chunk of n_ctx " +
                std::to_string(n_ctx) + " (use a smaller -c)");
  }
  const int64_t n_chunks = max_chunks > 0 ? std::min<int64_t>(max_chunks, n_chunks_all) : n_chunks_all;
  std::vector<Sequence> chunks(static_cast<size_t>(n_chunks));
  for (int64_t i = 0; i < n_chunks; ++i) {
    Sequence& s = chunks[static_cast<size_t>(i)];
    s.tokens.assign(tokens.begin() + i * n_ctx, tokens.begin() + (i + 1) * n_ctx);
    if (tok.add_bos && tok.bos_id >= 0) s.tokens[0] = tok.bos_id;
    s.first_scored = n_ctx / 2;
  }
  return chunks;
}

std::vector<Sequence> MakeDocuments(const TokenizerInfo& tok, const std::string& text, const std::string& separator,
                                    int32_t n_ctx, int32_t max_chunks) {
  std::vector<Sequence> docs;
  size_t start = 0;
  while (start <= text.size() && (max_chunks <= 0 || static_cast<int32_t>(docs.size()) < max_chunks)) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    std::string doc = text.substr(start, end - start);
    const size_t first = doc.find_first_not_of(" \t\r\n");
    const size_t last = doc.find_last_not_of(" \t\r\n");
    if (first != std::string::npos) {
      Sequence s;
      s.tokens = Tokenize(tok.session, doc.substr(first, last - first + 1), tok.add_bos);
      if (static_cast<int32_t>(s.tokens.size()) > n_ctx) s.tokens.resize(static_cast<size_t>(n_ctx));
      if (s.tokens.size() >= 2) docs.push_back(std::move(s));
    }
    start = end + separator.size();
  }
  if (docs.empty()) throw Error("no document with at least two tokens in the text");
  return docs;
}

struct Result {
  Accumulator nll, kld, same_top1, ref_nll;
};

// Scores every sequence with one session (logits_all); writes or compares scored distributions
// when asked.
Result Evaluate(ingot_session* session, int32_t n_vocab, const std::vector<Sequence>& sequences, LogitsWriter* writer,
                LogitsReader* reader, const std::string& label) {
  Result r;
  std::vector<double> log_probs(static_cast<size_t>(n_vocab)), ref_log_probs(static_cast<size_t>(n_vocab));
  const bool interactive = isatty(fileno(stderr)) != 0;
  const double start = NowSeconds();
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Sequence& s = sequences[i];
    Check(ingot_session_reset(session));
    Check(ingot_session_eval(session, s.tokens.data(), static_cast<int32_t>(s.tokens.size())));
    const float* logits = nullptr;
    int32_t n_rows = 0, row_size = 0;
    Check(ingot_session_get_logits(session, &logits, &n_rows, &row_size));
    if (n_rows != static_cast<int32_t>(s.tokens.size()) || row_size != n_vocab) {
      throw Error("the session returned " + std::to_string(n_rows) + " rows of " + std::to_string(row_size) +
                  " logits, expected " + std::to_string(s.tokens.size()) + " of " + std::to_string(n_vocab));
    }
    for (size_t pos = static_cast<size_t>(s.first_scored); pos + 1 < s.tokens.size(); ++pos) {
      const int32_t target = s.tokens[pos + 1];
      LogSoftmax(logits + pos * static_cast<size_t>(n_vocab), n_vocab, log_probs);
      r.nll.Add(-log_probs[static_cast<size_t>(target)]);
      if (writer) writer->Add(target, log_probs);
      if (reader) {
        if (r.nll.n > static_cast<int64_t>(reader->n_records())) throw Error(reader->path() + ": has fewer scored tokens than this run");
        if (reader->Next(ref_log_probs) != target) {
          throw Error(reader->path() + ": scored tokens differ from this run (another text, -c or tokenizer?)");
        }
        double kl = 0.0;
        for (size_t v = 0; v < log_probs.size(); ++v) kl += std::exp(ref_log_probs[v]) * (ref_log_probs[v] - log_probs[v]);
        r.kld.Add(std::max(kl, 0.0));
        const auto top = [](const std::vector<double>& lp) { return std::max_element(lp.begin(), lp.end()) - lp.begin(); };
        r.same_top1.Add(top(log_probs) == top(ref_log_probs) ? 1.0 : 0.0);
        r.ref_nll.Add(-ref_log_probs[static_cast<size_t>(target)]);
      }
    }
    const double elapsed = NowSeconds() - start;
    const double eta = elapsed / static_cast<double>(i + 1) * static_cast<double>(sequences.size() - i - 1);
    // On a terminal one line is redrawn; in a log, a line every 5% of the work.
    const size_t every = std::max<size_t>(1, sequences.size() / 20);
    if (interactive || (i + 1) % every == 0 || i + 1 == sequences.size()) {
      std::fprintf(stderr, "%sperplexity%s: [%zu/%zu] PPL %.4f, %.1f s elapsed, ETA %.0f s%s", interactive ? "\r" : "",
                   label.c_str(), i + 1, sequences.size(), std::exp(r.nll.Mean()), elapsed, eta, interactive ? "   " : "\n");
      std::fflush(stderr);
    }
  }
  if (interactive) std::fprintf(stderr, "\n");
  if (reader && static_cast<uint64_t>(r.nll.n) != reader->n_records()) {
    throw Error(reader->path() + ": has " + std::to_string(reader->n_records()) + " scored tokens, this run " +
                std::to_string(r.nll.n) + " (another text, -c, --chunks or tokenizer?)");
  }
  return r;
}

void PrintComparison(const Result& r) {
  const double ppl = std::exp(r.nll.Mean()), ref_ppl = std::exp(r.ref_nll.Mean());
  std::printf("reference PPL = %.4f, PPL ratio = %.6f\n", ref_ppl, ppl / ref_ppl);
  std::printf("mean KLD = %.6f +/- %.6f\n", r.kld.Mean(), r.kld.StdError());
  std::printf("same top-1 = %.3f %% +/- %.3f %%\n", 100.0 * r.same_top1.Mean(), 100.0 * r.same_top1.StdError());
}

// One run per module kind with only that module in float, against the FP32 reference: what
// each integer approximation costs. reference is an fp32 session (logits_all); options those of
// the int8 sessions made here (fp_modules is set per run).
void Sensitivity(ingot_model* model, SessionHandle reference, const std::vector<Sequence>& sequences,
                 ingot_session_params options) {
  char ref_path[] = "/tmp/ingot-sensitivity-XXXXXX";
  const int fd = mkstemp(ref_path);
  if (fd < 0) throw Error("cannot create a temporary file for the reference logits");
  close(fd);
  struct Remove {
    const char* path;
    ~Remove() { std::remove(path); }
  } remove_ref{ref_path};
  const ingot_model_info info = ModelInfo(model);
  const int32_t n_vocab = info.n_vocab;
  {
    LogitsWriter writer(ref_path, n_vocab);
    Evaluate(reference.get(), n_vocab, sequences, &writer, nullptr, " fp32");
    writer.Finish();
  }
  reference.reset();
  // The architecture's module kinds (gpt2: layernorm and gelu for norm and act, no rope).
  std::vector<std::string> modules{""};
  std::stringstream kinds(info.fp_modules);
  for (std::string kind; std::getline(kinds, kind, ',');) {
    if (!kind.empty()) modules.push_back(kind);
  }
  std::printf("\n%-26s %12s %10s %10s %12s\n", "module in float", "PPL", "ratio", "mean KLD", "same top-1");
  double ref_ppl = 0.0;
  for (const std::string& module : modules) {
    options.mode = INGOT_MODE_INT8;
    options.fp_modules = module.empty() ? nullptr : module.c_str();
    LogitsReader reader(ref_path, n_vocab);
    SessionHandle session = CreateSession(model, options);
    const Result r = Evaluate(session.get(), n_vocab, sequences, nullptr, &reader,
                              " int8 +" + (module.empty() ? std::string("none") : module));
    ref_ppl = std::exp(r.ref_nll.Mean());
    const double ppl = std::exp(r.nll.Mean());
    std::printf("%-26s %12.4f %10.5f %10.6f %11.3f%%\n", module.empty() ? "none (integer-only)" : module.c_str(), ppl, ppl / ref_ppl,
                r.kld.Mean(), 100.0 * r.same_top1.Mean());
    std::fflush(stdout);
  }
  std::printf("%-26s %12.4f %10.5f %10.6f %11.3f%%\n", "all (fp32 reference)", ref_ppl, 1.0, 0.0, 100.0);
}

int Run(int argc, char** argv) {
  std::string model_path, tokenizer_path, text_path, save_path, kld_path, split_on, fp_modules;
  int32_t n_ctx = 512, max_chunks = 0, n_threads = 0;
  uint64_t max_memory_mib = 0;
  std::string mode = "fp32";
  bool sensitivity = false;
  ArgParser parser("perplexity", "-m MODEL -f TEXT [options]",
                   "Perplexity of a model on a text, by llama.cpp's method: non-overlapping chunks of n_ctx tokens,\n"
                   "BOS first, only the second half of each chunk scored; prints PPL with its standard error.\n"
                   "--save-logits keeps the scored distributions; --kl-divergence compares against such a file\n"
                   "(mean KL divergence and same-top-1 %). --sensitivity measures, module by module, what the\n"
                   "integer path's approximations cost against FP32. Progress goes to stderr.");
  parser.AddString("-m,--model", &model_path, "model: a GGUF file or a llama2.c checkpoint");
  parser.AddString("--tokenizer", &tokenizer_path, "sentencepiece tokenizer.model (llama2.c checkpoints)");
  parser.AddString("-f,--file", &text_path, "UTF-8 text to score");
  parser.AddInt("-c,--ctx-size", &n_ctx, "tokens per chunk (at most the model's context)");
  parser.AddInt("--chunks", &max_chunks, "score at most this many chunks (0: all)");
  parser.AddInt("-t,--threads", &n_threads, "threads (0: all cores)");
  parser.AddUint64("--max-memory", &max_memory_mib, "MiB a session may take besides the model (0: what is available)");
  parser.AddString("--split-on", &split_on, "score documents separated by this string instead of chunks (e.g. '<|endoftext|>')");
  parser.AddString("--save-logits", &save_path, "write the scored log-probabilities to this file");
  parser.AddString("--kl-divergence", &kld_path, "compare against a --save-logits file: mean KLD and same-top-1 %");
  parser.AddString("--mode", &mode, "fp32 (the float reference) or int8 (integer-only)");
  parser.AddString("--fp-modules", &fp_modules, "int8 mode: modules run in float: norm,rope,act,softmax,kv,lm_head,layer:N (gpt2: layernorm,gelu,softmax,kv,lm_head,layer:N)");
  parser.AddFlag("--sensitivity", &sensitivity, "table of PPL / KLD with each module kind alone in float");
  WeightOptions weights;
  weights.Add(parser);
  int exit_code = 0;
  if (!parser.Parse(argc, argv, &exit_code)) return exit_code;
  if (text_path.empty()) throw Error("no text file given (-f TEXT)");
  int32_t run_mode = INGOT_MODE_FP32;
  if (!ParseMode(mode, &run_mode)) throw Error("--mode must be fp32 or int8, not '" + mode + "'");
  if (n_ctx < 8) throw Error("-c must be at least 8, got " + std::to_string(n_ctx));
  if (!save_path.empty() && !kld_path.empty()) throw Error("--save-logits and --kl-divergence go in separate runs");
  if (sensitivity && (!save_path.empty() || !kld_path.empty())) throw Error("--sensitivity makes its own reference; drop --save-logits / --kl-divergence");

  const std::string text = ReadTextFile(text_path, "text file");
  if (model_path.empty()) model_path = FindDefaultModel();
  ingot_model_params model_params;
  Check(ingot_model_params_init(&model_params));
  model_params.tokenizer_path = tokenizer_path.empty() ? nullptr : tokenizer_path.c_str();
  model_params.prepare_int8 = run_mode == INGOT_MODE_INT8 || sensitivity ? 1 : 0;
  model_params.n_threads = n_threads;
  weights.Apply(model_params);
  ModelHandle model = LoadModel(model_path, model_params);
  const ingot_model_info info = ModelInfo(model.get());
  const int32_t n_vocab = info.n_vocab;
  ingot_session_params session_params;
  Check(ingot_session_params_init(&session_params));
  session_params.n_ctx = n_ctx;
  session_params.n_threads = n_threads;
  session_params.logits_all = 1;
  session_params.mode = run_mode;
  session_params.fp_modules = fp_modules.empty() ? nullptr : fp_modules.c_str();
  session_params.max_memory = max_memory_mib > (UINT64_MAX >> 20) ? UINT64_MAX : max_memory_mib << 20;
  // The session that scores (--sensitivity: the fp32 reference) also tokenizes.
  ingot_session_params first_params = session_params;
  if (sensitivity) first_params.mode = INGOT_MODE_FP32;
  SessionHandle session = CreateSession(model.get(), first_params);
  const TokenizerInfo tok{session.get(), info.add_bos != 0, info.bos_id};
  const std::vector<Sequence> sequences = split_on.empty() ? MakeChunks(tok, text, n_ctx, max_chunks)
                                                           : MakeDocuments(tok, text, split_on, n_ctx, max_chunks);
  std::fprintf(stderr, "perplexity: %s (%s), mode %s%s%s (kernels %s), %zu %s of up to %d tokens\n", model_path.c_str(),
               info.format, ModeName(run_mode), fp_modules.empty() ? "" : ", float modules ", fp_modules.c_str(),
               info.isa, sequences.size(), split_on.empty() ? "chunks" : "documents", n_ctx);
  if (sensitivity) {
    Sensitivity(model.get(), std::move(session), sequences, session_params);
    return 0;
  }

  std::unique_ptr<LogitsWriter> writer;
  std::unique_ptr<LogitsReader> reader;
  if (!save_path.empty()) writer = std::make_unique<LogitsWriter>(save_path, n_vocab);
  if (!kld_path.empty()) reader = std::make_unique<LogitsReader>(kld_path, n_vocab);
  const Result r = Evaluate(session.get(), n_vocab, sequences, writer.get(), reader.get(), "");
  if (writer) writer->Finish();
  const double ppl = std::exp(r.nll.Mean());
  std::printf("scored %lld tokens in %zu %s of %d tokens\n", static_cast<long long>(r.nll.n), sequences.size(),
              split_on.empty() ? "chunks" : "documents", n_ctx);
  std::printf("PPL = %.4f +/- %.4f\n", ppl, ppl * r.nll.StdError());
  if (reader) PrintComparison(r);
  if (writer) std::printf("saved %lld scored distributions to %s\n", static_cast<long long>(r.nll.n), save_path.c_str());
  return 0;
}

}  // namespace
}  // namespace ingot::apps

int main(int argc, char** argv) {
  return ingot::apps::RunMain("perplexity", [&] { return ingot::apps::Run(argc, argv); });
}
