// Helpers shared by the C API's tests (test_c_api*.cpp).
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "ingot/ingot.h"

namespace ingot::test {

// A zeroed info struct with its struct_size set.
template <typename T>
T Sized() {
  T value{};
  value.struct_size = sizeof(T);
  return value;
}

// The calling thread's last C API error message.
inline std::string LastError() {
  const char* message = "";
  ingot_last_error(&message);
  return message;
}

inline std::string StatusName(int32_t status) {
  const char* name = nullptr;
  ingot_status_name(status, &name);
  return name;
}

}  // namespace ingot::test

// Checks a call's status and that its message mentions `needle`.
#define CHECK_FAILS(call, status, needle)                                                                 \
  do {                                                                                                    \
    const int32_t got_ = (call);                                                                          \
    CHECK_MESSAGE(got_ == (status), #call << " gave " << ingot::test::StatusName(got_) << ": " << ingot::test::LastError()); \
    CHECK_MESSAGE(ingot::test::LastError().find(needle) != std::string::npos, ingot::test::LastError());  \
  } while (0)
