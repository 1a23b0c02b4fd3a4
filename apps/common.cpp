#include "common.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

namespace ingot::apps {

namespace {

std::vector<std::string> SplitNames(const std::string& names) {
  std::vector<std::string> out;
  std::stringstream ss(names);
  std::string name;
  while (std::getline(ss, name, ',')) out.push_back(name);
  return out;
}

template <typename T>
std::string ParseNumber(const std::string& text, T* value) {
  std::istringstream in(text);
  T parsed{};
  in >> parsed;
  if (in.fail() || !in.eof()) return "'" + text + "' is not a valid number";
  *value = parsed;
  return "";
}

}  // namespace

ArgParser::ArgParser(std::string program, std::string synopsis, std::string description)
    : program_(std::move(program)), synopsis_(std::move(synopsis)), description_(std::move(description)) {}

void ArgParser::AddString(std::string names, std::string* value, std::string help) {
  options_.push_back({SplitNames(names), std::move(help), [value](const std::string& v) { *value = v; return std::string(); },
                      true, *value});
}

void ArgParser::AddInt(std::string names, int32_t* value, std::string help) {
  options_.push_back({SplitNames(names), std::move(help), [value](const std::string& v) { return ParseNumber(v, value); },
                      true, std::to_string(*value)});
}

void ArgParser::AddUint64(std::string names, uint64_t* value, std::string help) {
  options_.push_back({SplitNames(names), std::move(help), [value](const std::string& v) {
                        if (!v.empty() && v[0] == '-') return "'" + v + "' is not a valid number";
                        return ParseNumber(v, value);
                      },
                      true, std::to_string(*value)});
}

void ArgParser::AddFloat(std::string names, float* value, std::string help) {
  std::ostringstream def;
  def << *value;
  options_.push_back({SplitNames(names), std::move(help), [value](const std::string& v) { return ParseNumber(v, value); },
                      true, def.str()});
}

void ArgParser::AddFlag(std::string names, bool* value, std::string help) {
  options_.push_back({SplitNames(names), std::move(help), [value](const std::string&) { *value = true; return std::string(); },
                      false, ""});
}

void ArgParser::AddPositional(std::string name, std::string* value, std::string help, bool required) {
  positionals_.push_back({std::move(name), std::move(help), value, required});
}

void ArgParser::PrintHelp() const {
  std::printf("usage: %s %s\n\n%s\n\n", program_.c_str(), synopsis_.c_str(), description_.c_str());
  for (const Positional& p : positionals_) std::printf("  %-24s %s\n", p.name.c_str(), p.help.c_str());
  if (!positionals_.empty()) std::printf("\n");
  std::printf("options:\n");
  for (const Option& o : options_) {
    std::string names;
    for (const std::string& n : o.names) names += (names.empty() ? "" : ", ") + n;
    if (o.takes_value) names += " X";
    std::string help = o.help;
    if (o.takes_value && !o.default_text.empty()) help += " (default: " + o.default_text + ")";
    std::printf("  %-24s %s\n", names.c_str(), help.c_str());
  }
  std::printf("  %-24s %s\n", "-h, --help", "show this help and exit");
}

bool ArgParser::Parse(int argc, char** argv, int* exit_code) {
  auto usage_error = [&](const std::string& message) {
    std::fprintf(stderr, "%s: %s (usage: %s %s; see --help)\n", program_.c_str(), message.c_str(), program_.c_str(),
                 synopsis_.c_str());
    *exit_code = 2;
    return false;
  };
  size_t next_positional = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintHelp();
      *exit_code = 0;
      return false;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      std::string name = arg;
      std::string value;
      bool has_inline_value = false;
      if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        has_inline_value = true;
      }
      Option* option = nullptr;
      for (Option& o : options_) {
        for (const std::string& n : o.names) {
          if (n == name) option = &o;
        }
      }
      if (option == nullptr) return usage_error("unknown option '" + arg + "'");
      if (option->takes_value && !has_inline_value) {
        if (i + 1 >= argc) return usage_error("option '" + name + "' needs a value");
        value = argv[++i];
      }
      if (const std::string error = option->set(value); !error.empty()) {
        return usage_error("option '" + name + "': " + error);
      }
      option->given = true;
      continue;
    }
    if (next_positional >= positionals_.size()) return usage_error("unexpected argument '" + arg + "'");
    *positionals_[next_positional++].value = arg;
  }
  for (size_t p = next_positional; p < positionals_.size(); ++p) {
    if (positionals_[p].required) return usage_error("missing " + positionals_[p].name);
  }
  return true;
}

bool ArgParser::Given(const std::string& name) const {
  for (const Option& o : options_) {
    if (std::find(o.names.begin(), o.names.end(), name) != o.names.end()) return o.given;
  }
  return false;
}

std::string ReadTextFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(path + ": " + what + " not found");
  if (fs::is_directory(status)) throw Error(path + ": " + what + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read " + what + ": " + std::strerror(errno));
  // Read straight into one string (a stream copy would hold the file twice), in pieces, so that
  // a file that is not what its size said (a pipe, a file still growing) is read whole too.
  std::string text;
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec) text.reserve(static_cast<size_t>(size));
  char piece[1 << 16];
  while (in.read(piece, sizeof(piece)) || in.gcount() > 0) text.append(piece, static_cast<size_t>(in.gcount()));
  if (in.bad()) throw Error(path + ": cannot read " + what + ": " + std::strerror(errno));
  if (text.empty()) throw Error(path + ": " + what + " is empty");
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    throw Error(path + ": " + what + " looks binary (NUL byte at offset " + std::to_string(nul) + ")");
  }
  int64_t bad = -1;
  Check(ingot_utf8_check(text.data(), text.size(), &bad));
  if (bad >= 0) throw Error(path + ": " + what + " is not valid UTF-8 (byte offset " + std::to_string(bad) + ")");
  return text;
}

std::string FindDefaultModel() {
  const std::string relative = "stories260K/stories260K.bin";
  std::string looked;
  for (const fs::path& root : {fs::path("models"), fs::path("..") / "shared" / "models"}) {
    const fs::path candidate = root / relative;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
    looked += (looked.empty() ? "" : " and ") + fs::absolute(candidate, ec).lexically_normal().string();
  }
  throw Error("no model given (-m) and no default model found: looked for " + looked +
              "; put a model in ./models (stories260K.bin and tok512.model from the llama2.c project) "
              "or pass -m PATH to a GGUF file or llama2.c checkpoint");
}

std::string LastError() {
  const char* message = nullptr;
  ingot_last_error(&message);
  return message != nullptr ? message : "";
}

void Check(int32_t status) {
  if (status == INGOT_OK) return;
  const std::string message = LastError();
  throw Error(!message.empty() ? message : "error " + std::to_string(status));
}

void WeightOptions::Add(ArgParser& parser) {
  parser.AddString("--bits", &bits,
                   "low-bit weights at load: 2, 4 or 8 (codes in groups), and/or PATTERN=WIDTH items, e.g. "
                   "4,attn_v=8 (default: per-channel int8)");
  parser.AddInt("--group", &group, "inputs per group of --bits codes: 32, 64, 128 or 256 (default 64 for 4 and 2 bits, 32 for 8)");
  parser.AddFlag("--asym", &asym, "asymmetric groups (a zero point each; the default for 2 and 4 bits)");
  parser.AddFlag("--sym", &sym, "symmetric groups (the default for 8 bits)");
}

int32_t WeightOptions::Asym() const {
  if (asym && sym) throw Error("--asym and --sym contradict each other");
  if (bits.empty() && (group != 0 || asym || sym)) throw Error("--group, --asym and --sym need --bits");
  return asym ? 1 : (sym ? 0 : -1);
}

void WeightOptions::Apply(ingot_model_params& params) const {
  params.weight_asym = Asym();
  params.weight_bits = bits.c_str();
  params.weight_group = group;
}

ModelHandle LoadModel(const std::string& path, const ingot_model_params& params) {
  ingot_model* model = nullptr;
  Check(ingot_model_load(path.c_str(), &params, &model));
  return ModelHandle(model);
}

SessionHandle CreateSession(ingot_model* model, const ingot_session_params& params) {
  ingot_session* session = nullptr;
  Check(ingot_session_create(model, &params, &session));
  return SessionHandle(session);
}

ingot_model_info ModelInfo(const ingot_model* model) {
  ingot_model_info info{};
  info.struct_size = sizeof info;
  Check(ingot_model_get_info(model, &info));
  return info;
}

ingot_session_info SessionInfo(const ingot_session* session) {
  ingot_session_info info{};
  info.struct_size = sizeof info;
  Check(ingot_session_get_info(session, &info));
  return info;
}

std::vector<int32_t> Tokenize(const ingot_session* session, const std::string& text, bool add_bos) {
  // A token covers at least one byte; BOS and sentencepiece's leading space may add two.
  std::vector<int32_t> ids(text.size() + 2);
  int32_t n = 0;
  int32_t status = ingot_session_tokenize(session, text.c_str(), add_bos, ids.data(), static_cast<int32_t>(ids.size()), &n);
  if (status == INGOT_ERROR_BUFFER_TOO_SMALL) {
    ids.resize(static_cast<size_t>(n));
    status = ingot_session_tokenize(session, text.c_str(), add_bos, ids.data(), n, &n);
  }
  Check(status);
  ids.resize(static_cast<size_t>(n));
  return ids;
}

bool ParseMode(const std::string& name, int32_t* mode) {
  if (name != "int8" && name != "fp32") return false;
  *mode = name == "int8" ? INGOT_MODE_INT8 : INGOT_MODE_FP32;
  return true;
}

const char* ModeName(int32_t mode) { return mode == INGOT_MODE_INT8 ? "int8" : "fp32"; }

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double NowSeconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

int RunMain(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: out of memory\n", program);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
  }
  return 1;
}

}  // namespace ingot::apps
