#include "apps/server/connection.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ingot::server {

namespace {

// The port and printable address of a socket address (IPv4 or IPv6); false for other families.
bool Describe(const sockaddr_storage& a, std::string* addr, int* port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    *port = ntohs(in.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    *port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  *addr = text;
  return true;
}

// The first of the process's sockets for which match(fd) is true, or -1.
template <typename Match>
int FindSocket(Match match) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    struct stat st {};
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    if (match(static_cast<int>(fd))) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

// The local (or, with peer, the remote) address and port of a socket.
bool Address(int fd, bool peer, std::string* addr, int* port) {
  sockaddr_storage a{};
  socklen_t len = sizeof(a);
  const int status = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len)
                          : getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return status == 0 && Describe(a, addr, port);
}

}  // namespace

bool WidenListenBacklog(int port) {
  const int fd = FindSocket([port](int s) {
    int listening = 0;
    socklen_t len = sizeof(listening);
    std::string addr;
    int local_port = -1;
    return getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening != 0 &&
           Address(s, false, &addr, &local_port) && local_port == port;
  });
  return fd >= 0 && listen(fd, SOMAXCONN) == 0;
}

PeerWatch::PeerWatch(const std::string& remote_addr, int remote_port, int local_port) {
  fd_ = FindSocket([&](int s) {
    std::string local_addr, peer_addr;
    int lport = -1, pport = -1;
    return Address(s, false, &local_addr, &lport) && Address(s, true, &peer_addr, &pport) && lport == local_port &&
           pport == remote_port && peer_addr == remote_addr;
  });
}

bool PeerWatch::Open() const {
  if (fd_ < 0) return true;
  char byte = 0;
  const ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return true;  // the client sent more (a pipelined request): still there
  if (n == 0) return false;  // orderly close
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

}  // namespace ingot::server
