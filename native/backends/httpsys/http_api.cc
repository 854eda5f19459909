#include "backends/httpsys/http_api.h"

namespace syshttp::httpsys {

ULONG HttpApi::initialize() {
  HTTPAPI_VERSION version = HTTPAPI_VERSION_2;
  ULONG r = HttpInitialize(version, HTTP_INITIALIZE_SERVER, nullptr);
  if (r != NO_ERROR) return r;
  initialized_ = true;
  // Both modules are loaded already (httpapi.dll is imported, ntdll.dll always is), so
  // GetModuleHandle takes no reference that would need a FreeLibrary.
  if (HMODULE httpapi = GetModuleHandleW(L"httpapi.dll")) {
    waitForDisconnect_ =
        reinterpret_cast<WaitForDisconnectFn>(reinterpret_cast<void*>(GetProcAddress(httpapi, "HttpWaitForDisconnect")));
  }
  if (HMODULE ntdll = GetModuleHandleW(L"ntdll.dll")) {
    underWine_ = GetProcAddress(ntdll, "wine_get_version") != nullptr;
  }
  return NO_ERROR;
}

HttpApi::~HttpApi() {
  if (initialized_) HttpTerminate(HTTP_INITIALIZE_SERVER, nullptr);
}

}  // namespace syshttp::httpsys
