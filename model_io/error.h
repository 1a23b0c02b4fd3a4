// ingot::Error: the one exception type of model_io and engine.
// Messages name the file (or object) and what is wrong, on one line:
//   "model.gguf: tensor 'blk.0.attn_q.weight' data ends past end of file (offset 123 + 456 > 500)"
// The C API catches it and turns it into a status; apps print what() and exit 1.
#pragma once

#include <stdexcept>
#include <string>

namespace ingot {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ingot
