#include "apps/server/stop_text.h"

#include <algorithm>

namespace ingot::server {

std::string StopText::Push(const std::string& piece, bool* stopped) {
  *stopped = false;
  held_ += piece;
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    *stopped = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }
  // Hold the longest tail that is a proper prefix of a stop string. A stop string is valid
  // UTF-8, so the cut falls between characters.
  size_t keep = 0;
  for (const std::string& stop : stops_) {
    for (size_t n = std::min(stop.size() - 1, held_.size()); n > keep; --n) {
      if (held_.compare(held_.size() - n, n, stop, 0, n) == 0) {
        keep = n;
        break;
      }
    }
  }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopText::Flush() {
  std::string out;
  out.swap(held_);
  return out;
}

}  // namespace ingot::server
