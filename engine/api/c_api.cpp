// The C API (include/ingot/ingot.h) over the C++ engine, one file per handle: c_api_model.cpp,
// c_api_session.cpp, c_api_file.cpp; here the version, the status names and the text check.
// Every function checks its C arguments, calls the engine and copies the results out, inside
// guard.h's Guard: nothing escapes, and the library writes nothing to stdout or stderr.
#include "ingot/ingot.h"

#include <string_view>

#include "engine/api/guard.h"
#include "model_io/unicode.h"

#ifndef INGOT_RELEASE
#error "engine/CMakeLists.txt defines INGOT_RELEASE, the project's version"
#endif

extern "C" {

int32_t ingot_version(int32_t* api_major, int32_t* api_minor, const char** release) {
  if (api_major != nullptr) *api_major = INGOT_API_VERSION_MAJOR;
  if (api_minor != nullptr) *api_minor = INGOT_API_VERSION_MINOR;
  if (release != nullptr) *release = INGOT_RELEASE;
  return INGOT_OK;
}

int32_t ingot_status_name(int32_t status, const char** name) {
  static const char* const kNames[] = {
      "INGOT_OK",           "INGOT_ERROR_INVALID_ARGUMENT", "INGOT_ERROR_STRUCT_SIZE",  "INGOT_ERROR_IO",
      "INGOT_ERROR_MODEL_FORMAT", "INGOT_ERROR_UNSUPPORTED", "INGOT_ERROR_CONTEXT_FULL", "INGOT_ERROR_CANCELLED",
      "INGOT_ERROR_OUT_OF_MEMORY", "INGOT_ERROR_BUFFER_TOO_SMALL", "INGOT_ERROR_BUSY", "INGOT_ERROR_INVALID_STATE",
      "INGOT_ERROR_INTERNAL"};
  if (name == nullptr) return INGOT_ERROR_INVALID_ARGUMENT;
  constexpr int32_t kCount = static_cast<int32_t>(sizeof(kNames) / sizeof(kNames[0]));
  *name = status >= 0 && status < kCount ? kNames[status] : "unknown status";
  return INGOT_OK;
}

int32_t ingot_utf8_check(const char* text, size_t length, int64_t* invalid_offset) {
  return Guard("ingot_utf8_check", INGOT_ERROR_INTERNAL, [&] {
    if (length > 0) Require(text, "text");
    Require(invalid_offset, "invalid_offset");
    const size_t bad = ingot::FindInvalidUtf8(std::string_view(text != nullptr ? text : "", length));
    *invalid_offset = bad == std::string_view::npos ? -1 : static_cast<int64_t>(bad);
  });
}

}  // extern "C"
