// A socket address in the compact form the bridge hands to JS (20 bytes): family
// (4 or 6), a zero byte, the port (little-endian), then 16 address bytes.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

namespace syshttp::linux_io {

constexpr size_t kPackedAddressSize = 20;

inline void packAddress(const sockaddr_storage& ss, uint8_t out[kPackedAddressSize]) {
  std::memset(out, 0, kPackedAddressSize);
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    uint16_t port = ntohs(a.sin_port);
    out[0] = 4;
    out[2] = static_cast<uint8_t>(port & 0xff);
    out[3] = static_cast<uint8_t>(port >> 8);
    std::memcpy(out + 4, &a.sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    uint16_t port = ntohs(a.sin6_port);
    out[0] = 6;
    out[2] = static_cast<uint8_t>(port & 0xff);
    out[3] = static_cast<uint8_t>(port >> 8);
    std::memcpy(out + 4, &a.sin6_addr, 16);
  }
}

}  // namespace syshttp::linux_io
