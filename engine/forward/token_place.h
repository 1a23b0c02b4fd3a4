// Where a token of a forward call goes: which sequence's KV cache, at which position. One
// sequence's prompt is consecutive positions of one sequence; a batched decode step is one
// token of each of several sequences (the server's slots), each at its own position.
#pragma once

#include <cstdint>

namespace ingot {

struct TokenPlace {
  int32_t seq = 0;
  int32_t pos = 0;
};

// The tokens of a forward call whose logits are wanted: indexes into the call, ascending.
struct LogitRows {
  const int32_t* rows = nullptr;
  int32_t count = 0;
};

}  // namespace ingot
