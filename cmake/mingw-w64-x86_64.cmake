# Cross-compiling the addon for win32-x64 on Linux with mingw-w64 (Debian:
# g++-mingw-w64-x86-64-posix). Used by `npm run build:windows` (scripts/build-windows.js).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(_mingw x86_64-w64-mingw32)
# The -posix variants: their libstdc++ has std::thread and friends through winpthreads,
# linked statically (see CMakeLists.txt), so the addon needs no extra DLL.
find_program(CMAKE_C_COMPILER NAMES ${_mingw}-gcc-posix ${_mingw}-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${_mingw}-g++-posix ${_mingw}-g++ REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${_mingw}-windres)
find_program(SYSHTTP_DLLTOOL NAMES ${_mingw}-dlltool REQUIRED)
set(CMAKE_FIND_ROOT_PATH /usr/${_mingw})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
