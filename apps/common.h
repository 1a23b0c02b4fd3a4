// What every app shares: option parsing with --help, input-file checks, finding the default
// model, UTF-8-safe streaming, peak memory, and turning errors into "app: message" + exit 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model_io/unicode.h"  // Utf8Stream, FindInvalidUtf8

namespace ingot::apps {

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

// Reads a text file that must exist, be a regular file, be non-empty, contain no NUL bytes and
// be valid UTF-8. Throws ingot::Error("<path>: <what> ...") naming the problem and, for bad
// bytes, their offset. `what` is e.g. "prompt file".
std::string ReadTextFile(const std::string& path, const std::string& what);

// The default model: stories260K in ./models, then in ../shared/models (relative to the working
// directory). Throws ingot::Error saying where it looked and how to get a model.
std::string FindDefaultModel();

double PeakRssMiB();
double NowSeconds();

// Runs body, turning any exception into "program: message" on stderr and exit status 1.
int RunMain(const char* program, const std::function<int()>& body);

}  // namespace ingot::apps
