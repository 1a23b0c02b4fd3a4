// What every app shares: option parsing with --help, input-file checks, finding the default
// model, owning C API handles, peak memory, and turning errors into "app: message" + exit 1.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ingot/ingot.h"

namespace ingot::apps {

// What apps throw; RunMain prints it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The C API's message for this thread's last failed call (ingot_last_error).
std::string LastError();
// Throws Error(LastError()) unless status is INGOT_OK.
void Check(int32_t status);

// C API handles that free themselves (a model after its sessions: declare it first).
struct FreeModel {
  void operator()(ingot_model* m) const { ingot_model_free(m); }
};
struct FreeSession {
  void operator()(ingot_session* s) const { ingot_session_free(s); }
};
struct FreeFile {
  void operator()(ingot_file* f) const { ingot_file_free(f); }
};
using ModelHandle = std::unique_ptr<ingot_model, FreeModel>;
using SessionHandle = std::unique_ptr<ingot_session, FreeSession>;
using FileHandle = std::unique_ptr<ingot_file, FreeFile>;

ModelHandle LoadModel(const std::string& path, const ingot_model_params& params);
SessionHandle CreateSession(ingot_model* model, const ingot_session_params& params);
ingot_model_info ModelInfo(const ingot_model* model);
ingot_session_info SessionInfo(const ingot_session* session);
// The ids of text (BOS first when add_bos and the vocabulary has one).
std::vector<int32_t> Tokenize(const ingot_session* session, const std::string& text, bool add_bos);
// "int8" or "fp32" to INGOT_MODE_*; false for anything else.
bool ParseMode(const std::string& name, int32_t* mode);
const char* ModeName(int32_t mode);

class ArgParser {
 public:
  ArgParser(std::string program, std::string synopsis, std::string description);

  void AddString(std::string names, std::string* value, std::string help);  // names: "-m,--model"
  void AddInt(std::string names, int32_t* value, std::string help);
  void AddUint64(std::string names, uint64_t* value, std::string help);
  void AddFloat(std::string names, float* value, std::string help);
  void AddFlag(std::string names, bool* value, std::string help);
  void AddPositional(std::string name, std::string* value, std::string help, bool required);

  // Parses argv. Returns true to go on; false means stop with *exit_code (0 after --help,
  // 2 after a usage error, which is printed to stderr with the usage line).
  bool Parse(int argc, char** argv, int* exit_code);
  // True when the option (any of its names) was on the command line.
  bool Given(const std::string& name) const;

 private:
  struct Option {
    std::vector<std::string> names;
    std::string help;
    std::function<std::string(const std::string&)> set;  // returns an error or ""
    bool takes_value = true;
    std::string default_text;
    bool given = false;
  };
  struct Positional {
    std::string name;
    std::string help;
    std::string* value;
    bool required;
  };
  void PrintHelp() const;
  std::string program_, synopsis_, description_;
  std::vector<Option> options_;
  std::vector<Positional> positionals_;
};

// --bits, --group and --asym/--sym: low-bit weights for a float model quantized at load.
struct WeightOptions {
  std::string bits;
  int32_t group = 0;
  bool asym = false, sym = false;
  void Add(ArgParser& parser);
  // Into the model params (checks --asym against --sym).
  void Apply(ingot_model_params& params) const;
  // -1 (the width's default), 0 (--sym) or 1 (--asym), after the same checks.
  int32_t Asym() const;
};

// Reads a text file that must exist, be a regular file, be non-empty, contain no NUL bytes and
// be valid UTF-8. Throws Error("<path>: <what> ...") naming the problem and, for bad
// bytes, their offset. `what` is e.g. "prompt file".
std::string ReadTextFile(const std::string& path, const std::string& what);

// The default model: stories260K in ./models, then in ../shared/models (relative to the working
// directory). Throws Error saying where it looked and how to get a model.
std::string FindDefaultModel();

double PeakRssMiB();
double NowSeconds();

// Runs body, turning any exception into "program: message" on stderr and exit status 1.
int RunMain(const char* program, const std::function<int()>& body);

}  // namespace ingot::apps
