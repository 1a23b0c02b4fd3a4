// Whether a request's client is still there. cpp-httplib 0.11 (Debian's) does not give a
// handler its socket nor tell it of a disconnect until a write fails, and a non-streaming
// request writes nothing until the end: so the socket is found by its two addresses among the
// process's descriptors, and watched with a non-blocking peek.
#pragma once

#include <string>

namespace ingot::server {

// cpp-httplib 0.11 listens with a backlog of 5 (a compile-time constant of Debian's library):
// 32 clients connecting at once would see dropped connections and retransmission delays. This
// finds the listening socket on the port and listens again with the system's maximum (Linux
// takes a second listen() as a new backlog). False when the socket was not found.
bool WidenListenBacklog(int port);

class PeerWatch {
 public:
  // The connection from remote_addr:remote_port to local_port (httplib::Request's fields).
  PeerWatch(const std::string& remote_addr, int remote_port, int local_port);
  // False once the client has closed the connection or it failed; true while it is open, and
  // when the socket could not be found (then only a failed write tells).
  bool Open() const;

 private:
  int fd_ = -1;
};

}  // namespace ingot::server
