// The Win32 and HTTP Server API headers, included in the one order that works: winsock2
// before windows.h (or windows.h drags in the old winsock.h), and http.h after both.
// Only the httpsys backend includes this; nothing portable may.
#pragma once
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// HTTP Server API v2 needs Vista or later; we build for Windows 10 / Server 2016 and up.
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <http.h>

// Not in every SDK's http.h (mingw-w64's lacks them); values from the HTTP Server API.
#ifndef HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING
#define HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING 0x00000001
#endif
#ifndef HTTP_CREATE_REQUEST_QUEUE_FLAG_CONTROLLER
#define HTTP_CREATE_REQUEST_QUEUE_FLAG_CONTROLLER 0x00000002
#endif
