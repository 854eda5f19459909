// Blocks (and a field table) shared by a backend's connections. A connection takes output blocks while it
// has output queued and gives them back when it is flushed, and its input buffer (one
// kLarge block) while received bytes wait to be parsed, so an idle keep-alive connection
// holds none, and a large response reuses memory the heap already has instead of
// mapping (and page-faulting in) fresh pages for each response. Bounded: past
// `kMaxFree` blocks of a size, freed blocks go back to the allocator. One per backend,
// used on the loop thread only.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "parser.h"

namespace syshttp::http {

class BlockPool {
 public:
  static constexpr size_t kSmall = 16 * 1024;  // heads and small bodies
  static constexpr size_t kLarge = 64 * 1024;  // slices of large bodies
  static constexpr size_t kMaxFree = 64;       // per size: 1 MiB small, 4 MiB large

  std::unique_ptr<char[]> take(size_t size) {
    std::vector<std::unique_ptr<char[]>>& list = size == kLarge ? large_ : small_;
    if (list.empty()) return std::unique_ptr<char[]>(new char[size]);
    std::unique_ptr<char[]> b = std::move(list.back());
    list.pop_back();
    return b;
  }

  void give(std::unique_ptr<char[]> block, size_t size) {
    std::vector<std::unique_ptr<char[]>>& list = size == kLarge ? large_ : small_;
    if (list.size() < kMaxFree) list.push_back(std::move(block));
  }

  // The table a connection parses a request head into: used only while parseHead() runs
  // (the batch copies what it reports), so the backend's connections share one instead of
  // each holding 32 fields (512 bytes) while idle. Sized by its first user, grown on demand.
  std::vector<Field> fields;

 private:
  std::vector<std::unique_ptr<char[]>> small_;
  std::vector<std::unique_ptr<char[]>> large_;
};

}  // namespace syshttp::http
