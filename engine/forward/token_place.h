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

// The positions n tokens attend to, all told: the attention's work, which decides its threads.
inline int64_t AttendedPositions(const TokenPlace* places, int32_t n) {
  int64_t seen = 0;
  for (int32_t t = 0; t < n; ++t) seen += places[t].pos + 1;
  return seen;
}

// The tokens of a forward call whose logits are wanted: indexes into the call, ascending.
struct LogitRows {
  const int32_t* rows = nullptr;
  int32_t count = 0;
};

}  // namespace ingot
