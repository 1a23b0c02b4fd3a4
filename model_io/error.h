// ingot::Error: the one exception type of model_io and engine.
// Messages name the file (or object) and what is wrong, on one line:
//   "model.gguf: tensor 'blk.0.attn_q.weight' data ends past end of file (offset 123 + 456 > 500)"
// The C API catches it and turns its kind into a status; apps print what() and exit 1.
#pragma once

#include <stdexcept>
#include <string>

namespace ingot {

// What went wrong, for the C API's status (ingot.h's INGOT_ERROR_* of the same name). A check
// that the engine makes gives its error a kind, so the C API need not make it again.
enum class ErrorKind {
  kUnspecified,      // a problem with the input: the C API gives the status of the call it
                     // came through (a load's INGOT_ERROR_MODEL_FORMAT, a session's
                     // INGOT_ERROR_INVALID_ARGUMENT)
  kInvalidArgument,  // a value out of range
  kIo,               // a file is missing, not a regular file, or unreadable
  kModelFormat,      // not a model, truncated, corrupted, or inconsistent
  kUnsupported,      // valid, but not something ingot does (e.g. fp32 on an int8-only file)
  kContextFull,      // the tokens do not fit in the context
  kCancelled,        // a cancel stopped the call
  kInvalidState,     // e.g. sampling before anything was evaluated
  kBusy,             // another thread is using the object (a session)
  kOutOfMemory,      // more memory than allowed or available
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kUnspecified)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace ingot
