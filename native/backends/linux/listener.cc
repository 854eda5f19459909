#include "listener.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>

#include <cstddef>

namespace syshttp::linux_io {
namespace {

ListenResult failure(const char* syscall, int error) {
  ListenResult r;
  r.error = error;
  r.syscall = syscall;
  return r;
}

ListenResult openUnixListener(const ListenConfig& config) {
  sockaddr_un un{};
  // sun_path holds the path and its terminating NUL.
  if (config.path.size() + 1 > sizeof(un.sun_path) || config.path.find('\0') != std::string::npos) {
    return failure("bind", config.path.find('\0') != std::string::npos ? EINVAL : ENAMETOOLONG);
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, config.path.data(), config.path.size());
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + config.path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return failure("socket", errno);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&un), length) != 0) return failure("bind", errno);
  if (::listen(fd.get(), config.backlog > 0 ? config.backlog : 511) != 0) return failure("listen", errno);
  ListenResult r;
  r.bound.ss_family = AF_UNIX;
  r.fd = std::move(fd);
  return r;
}

}  // namespace

ListenResult openListener(const ListenConfig& config) {
  if (!config.path.empty()) return openUnixListener(config);
  sockaddr_storage ss{};
  socklen_t length = 0;
  if (config.port < 0 || config.port > 65535) return failure("bind", EINVAL);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, config.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(config.port));
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, config.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(config.port));
    length = sizeof(sockaddr_in6);
  } else {
    return failure("inet_pton", EINVAL);
  }

  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return failure("socket", errno);
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return failure("setsockopt", errno);
  }
  if (config.reusePort &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return failure("setsockopt", errno);
  }
  if (ss.ss_family == AF_INET6) {
    int only = config.ipv6Only ? 1 : 0;
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only)) != 0) {
      return failure("setsockopt", errno);
    }
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), length) != 0) return failure("bind", errno);
  if (::listen(fd.get(), config.backlog > 0 ? config.backlog : 511) != 0) {
    return failure("listen", errno);
  }
  ListenResult r;
  socklen_t boundLength = sizeof(r.bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&r.bound), &boundLength) != 0) {
    return failure("getsockname", errno);
  }
  r.fd = std::move(fd);
  return r;
}

}  // namespace syshttp::linux_io
