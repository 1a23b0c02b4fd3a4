// Generated text on its way to a client, cut at the first stop string: text that might be the
// start of a stop string is held back until the next piece shows whether it is.
#pragma once

#include <string>
#include <vector>

namespace ingot::server {

class StopText {
 public:
  explicit StopText(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Appends a piece; returns the text that is now safe to send. *stopped: a stop string was
  // found, and what came before it is the last text (the stop string and after are dropped).
  std::string Push(const std::string& piece, bool* stopped);
  // What is held back, at the end of a generation that did not stop on a string.
  std::string Flush();

 private:
  std::vector<std::string> stops_;
  std::string held_;
};

}  // namespace ingot::server
