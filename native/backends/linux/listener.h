// Opens a listening socket: TCP (IPv4 or IPv6, port 0, backlog, SO_REUSEPORT) or a Unix
// stream socket at a path.
#pragma once
#include <sys/socket.h>

#include <string>

#include "unique_fd.h"

namespace syshttp::linux_io {

struct ListenConfig {
  std::string address;   // numeric IPv4 or IPv6 (JS resolves names first)
  int port = 0;
  int backlog = 511;
  bool reusePort = false;
  bool ipv6Only = false;
  // A Unix socket file path instead of address and port (JS refuses abstract names). The
  // file is not removed first: an existing one is EADDRINUSE.
  std::string path;
};

struct ListenResult {
  UniqueFd fd;
  sockaddr_storage bound{};   // the real address and port (after port 0)
  int error = 0;              // errno of the call that failed
  const char* syscall = "";   // which call failed
};

ListenResult openListener(const ListenConfig& config);

}  // namespace syshttp::linux_io
