#include "engine/api/guard.h"

#include <algorithm>
#include <climits>
#include <mutex>
#include <new>

#include "model_io/error.h"

namespace ingot::api {
namespace {

constexpr int32_t kMaxThreads = 256;

thread_local std::string t_last_error;

struct LogSink {
  std::mutex mutex;
  ingot_log_callback callback = nullptr;
  void* user_data = nullptr;
};
LogSink& Log() {
  static LogSink sink;
  return sink;
}

int32_t StatusOf(ErrorKind kind, int32_t fallback) {
  switch (kind) {
    case ErrorKind::kUnspecified: return fallback;
    case ErrorKind::kInvalidArgument: return INGOT_ERROR_INVALID_ARGUMENT;
    case ErrorKind::kIo: return INGOT_ERROR_IO;
    case ErrorKind::kModelFormat: return INGOT_ERROR_MODEL_FORMAT;
    case ErrorKind::kUnsupported: return INGOT_ERROR_UNSUPPORTED;
    case ErrorKind::kContextFull: return INGOT_ERROR_CONTEXT_FULL;
    case ErrorKind::kCancelled: return INGOT_ERROR_CANCELLED;
    case ErrorKind::kInvalidState: return INGOT_ERROR_INVALID_STATE;
    case ErrorKind::kBusy: return INGOT_ERROR_BUSY;
    case ErrorKind::kOutOfMemory: return INGOT_ERROR_OUT_OF_MEMORY;
  }
  return INGOT_ERROR_INTERNAL;
}

}  // namespace

[[noreturn]] void Fail(int32_t status, const std::string& message) { throw Failure{status, message}; }

int32_t Caught(const char* function, int32_t fallback) noexcept {
  int32_t status = INGOT_ERROR_INTERNAL;
  try {
    std::string message;
    try {
      throw;
    } catch (const Failure& f) {
      status = f.status;
      message = f.message;
    } catch (const Error& e) {
      status = StatusOf(e.kind(), fallback);
      message = e.what();
    } catch (const std::bad_alloc&) {
      status = INGOT_ERROR_OUT_OF_MEMORY;
      message = "out of memory";
    } catch (const std::exception& e) {
      message = std::string("internal error: ") + e.what();
    } catch (...) {
      message = "internal error: unknown exception";
    }
    t_last_error = std::string(function) + ": " + message;
    Emit(INGOT_LOG_ERROR, t_last_error);
  } catch (...) {  // no memory even for the message: the status still says what happened
  }
  return status;
}

void Emit(int32_t level, const std::string& message) {
  ingot_log_callback callback;
  void* user_data;
  {
    std::lock_guard<std::mutex> lock(Log().mutex);
    callback = Log().callback;
    user_data = Log().user_data;
  }
  if (callback != nullptr) callback(level, message.c_str(), user_data);
}

void RequireThreads(int32_t n_threads) {
  if (n_threads < 0 || n_threads > kMaxThreads) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "n_threads must be 0 (all cores) to " + std::to_string(kMaxThreads) + ", got " +
                                           std::to_string(n_threads));
  }
}

void CopyTokens(const std::vector<int32_t>& ids, int32_t* tokens, int32_t capacity, int32_t* n_tokens) {
  Require(n_tokens, "n_tokens");
  if (capacity < 0) Fail(INGOT_ERROR_INVALID_ARGUMENT, "capacity is negative");
  if (ids.size() > static_cast<size_t>(INT32_MAX)) Fail(INGOT_ERROR_INVALID_ARGUMENT, "more than 2^31 - 1 tokens");
  *n_tokens = static_cast<int32_t>(ids.size());
  if (ids.size() > static_cast<size_t>(capacity)) {
    Fail(INGOT_ERROR_BUFFER_TOO_SMALL, std::to_string(ids.size()) + " tokens do not fit in capacity " + std::to_string(capacity));
  }
  if (!ids.empty()) Require(tokens, "tokens");
  std::copy(ids.begin(), ids.end(), tokens);
}

size_t RequireIndex(int64_t index, size_t size) {
  if (index < 0 || static_cast<uint64_t>(index) >= size) {
    Fail(INGOT_ERROR_INVALID_ARGUMENT, "index " + std::to_string(index) + " is out of range [0, " + std::to_string(size) + ")");
  }
  return static_cast<size_t>(index);
}

}  // namespace ingot::api

extern "C" {

int32_t ingot_last_error(const char** message) {
  if (message == nullptr) return INGOT_ERROR_INVALID_ARGUMENT;
  *message = ingot::api::t_last_error.c_str();
  return INGOT_OK;
}

int32_t ingot_set_log_callback(ingot_log_callback callback, void* user_data) {
  using ingot::api::Log;
  return Guard("ingot_set_log_callback", INGOT_ERROR_INTERNAL, [&] {
    std::lock_guard<std::mutex> lock(Log().mutex);
    Log().callback = callback;
    Log().user_data = user_data;
  });
}

}  // extern "C"
