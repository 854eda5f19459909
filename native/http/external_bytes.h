// Bytes the app owns, lent to a connection's output instead of copied (large response
// bodies). Whoever takes them sets `taken` and calls release(ctx) exactly once, when the
// bytes are written or dropped; if nobody takes them, the lender releases them itself.
#pragma once
#include <cstddef>

namespace syshttp::http {

// Bodies from this size are lent rather than copied: below it a copy is cheaper than the
// bookkeeping, and small writes coalesce into one block.
constexpr size_t kLendMin = 64 * 1024;

struct ExternalBytes {
  void (*release)(void* ctx) = nullptr;
  void* ctx = nullptr;
  bool taken = false;
};

}  // namespace syshttp::http
