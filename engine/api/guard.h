// The edge of the C API (engine/api/c_api*.cpp). Every extern "C" body runs inside Guard, which
// turns whatever it throws into a status, the calling thread's last error (ingot_last_error)
// and a line to the log callback; the library writes nothing to stdout or stderr. The checks
// here are of the C arguments themselves; what the engine checks, it checks (and its
// ingot::Error's kind gives the status).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingot/ingot.h"

namespace ingot::api {

// A failed call's status with its message, thrown inside the API and caught by Guard.
struct Failure {
  int32_t status;
  std::string message;
};

[[noreturn]] void Fail(int32_t status, const std::string& message);

// Inside a catch block: the status of the exception being handled (fallback for an
// ingot::Error of kind kUnspecified), after recording its message as function's last error.
int32_t Caught(const char* function, int32_t fallback) noexcept;

// Runs body; whatever it throws becomes a status (see Caught).
template <typename F>
int32_t Guard(const char* function, int32_t fallback, F&& body) noexcept {
  try {
    body();
    return INGOT_OK;
  } catch (...) {
    return Caught(function, fallback);
  }
}

// A line to the log callback, if one is set.
void Emit(int32_t level, const std::string& message);

template <typename T>
void Require(const T* pointer, const char* name) {
  if (pointer == nullptr) Fail(INGOT_ERROR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

// A struct passed in or filled in: not NULL, and of this library's size.
template <typename T>
void RequireSize(const T* params, const char* name) {
  Require(params, name);
  if (params->struct_size != sizeof(T)) {
    Fail(INGOT_ERROR_STRUCT_SIZE, std::string(name) + "->struct_size is " + std::to_string(params->struct_size) +
                                      ", this library expects " + std::to_string(sizeof(T)) +
                                      " (set it to sizeof, or use the *_params_init function)");
  }
}

// A struct to fill with defaults: not NULL; zeroed, with its struct_size set.
template <typename T>
void ResetParams(T* params) {
  Require(params, "params");
  *params = T{};
  params->struct_size = sizeof(T);
}

// A parameter struct, or the defaults its *_params_init fills when it is NULL.
template <typename T>
T ParamsOrDefaults(const T* params, int32_t (*init)(T*)) {
  T p;
  init(&p);
  if (params != nullptr) {
    RequireSize(params, "params");
    p = *params;
  }
  return p;
}

// 0 (all cores) to 256.
void RequireThreads(int32_t n_threads);

// index as a position in a list of `size` items: INGOT_ERROR_INVALID_ARGUMENT unless in range.
size_t RequireIndex(int64_t index, size_t size);

// Hands token ids to a caller's buffer: *n_tokens = their count always; INGOT_ERROR_BUFFER_TOO_SMALL
// (nothing written) when they exceed capacity; tokens may be NULL only for none.
void CopyTokens(const std::vector<int32_t>& ids, int32_t* tokens, int32_t capacity, int32_t* n_tokens);


}  // namespace ingot::api

// Only the C API's own files (engine/api/*.cpp) include this header; their extern "C" bodies
// name the guard unqualified.
using ingot::api::Fail;
using ingot::api::Guard;
using ingot::api::ParamsOrDefaults;
using ingot::api::ResetParams;
using ingot::api::CopyTokens;
using ingot::api::RequireIndex;
using ingot::api::Require;
using ingot::api::RequireSize;
using ingot::api::RequireThreads;
