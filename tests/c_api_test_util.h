// Helpers shared by the C API's tests (test_c_api*.cpp).
#pragma once

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

}  // namespace ingot::test
