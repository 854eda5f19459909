// The HTTP Server API library, initialised for this server instance (HttpInitialize is
// reference counted by httpapi.dll, so each instance initialises and terminates its own
// use: no globals). Also the entry points that not every httpapi.dll has: resolved at
// run time with GetProcAddress so that the addon still loads where they are missing
// (Wine 8's httpapi.dll does not export HttpWaitForDisconnect at all).
#pragma once
#include "backends/httpsys/win32.h"

namespace syshttp::httpsys {

using WaitForDisconnectFn = ULONG(WINAPI*)(HANDLE, HTTP_CONNECTION_ID, LPOVERLAPPED);

class HttpApi {
 public:
  HttpApi() = default;
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;
  ~HttpApi();

  // HttpInitialize(v2, server). Returns a Win32 error, NO_ERROR on success.
  ULONG initialize();

  // HttpWaitForDisconnect, or nullptr where httpapi.dll lacks it.
  WaitForDisconnectFn waitForDisconnect() const { return waitForDisconnect_; }

  // Wine's http.sys is partial (see README, Windows): some entry points are exported as
  // stubs that abort the process when called (HttpSendResponseEntityBody,
  // HttpCancelHttpRequest, HttpShutdownRequestQueue, the query-property calls). Under
  // Wine the backend avoids them and says so in backendInfo().detail. Detected by the
  // export every Wine ntdll.dll has.
  bool underWine() const { return underWine_; }

 private:
  bool initialized_ = false;
  bool underWine_ = false;
  WaitForDisconnectFn waitForDisconnect_ = nullptr;
};

}  // namespace syshttp::httpsys
