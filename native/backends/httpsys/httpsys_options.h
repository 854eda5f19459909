// The Windows-only server options (lib/options.ts, `windows`), as the bridge reads them.
// Plain data: no Win32 types, so native_server.cc fills it without <windows.h>.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace syshttp::httpsys {

struct HttpSysOptions {
  // Prefixes such as "http://+:8080/app/". Empty: listen(host, port) registers
  // "http://<host>:<port>/" instead.
  std::vector<std::string> urlPrefixes;
  std::string requestQueueName;       // empty: an anonymous queue
  std::string requestQueueMode = "create";  // "create" | "attach" | "createOrAttach"
  uint32_t requestQueueLimit = 0;     // 0: HTTP.sys's default (1000)
  uint32_t maxConnections = 0;        // 0: unlimited
  uint32_t receives = 0;              // receives kept outstanding; 0: the default
  // HTTP_TIMEOUT_LIMIT_INFO, seconds (0: HTTP.sys's default); minSendRate in bytes/s.
  uint32_t entityBodyTimeout = 0;
  uint32_t drainEntityBodyTimeout = 0;
  uint32_t requestQueueTimeout = 0;
  uint32_t idleConnectionTimeout = 0;
  uint32_t headerWaitTimeout = 0;
  uint32_t minSendBytesPerSecond = 0;
};

}  // namespace syshttp::httpsys
