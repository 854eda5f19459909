// Bytes waiting to be written to a socket, kept as a chain of blocks so that large
// responses are never moved and a flush is one writev over the blocks.
#pragma once
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>

#include "block_pool.h"

namespace syshttp::http {

class OutputChain {
 public:
  static constexpr size_t kBlockSize = BlockPool::kSmall;

  OutputChain() = default;
  explicit OutputChain(BlockPool* pool) : pool_(pool) {}
  OutputChain(const OutputChain&) = delete;
  OutputChain& operator=(const OutputChain&) = delete;
  ~OutputChain() { clear(); }

  // Blocks come from (and go back to) `pool` from now on; without one, from the heap.
  void usePool(BlockPool* pool) { pool_ = pool; }

  void append(const char* data, size_t length) {
    if (length == 0) return;
    if (!blocks_.empty()) {
      Block& tail = blocks_.back();
      size_t room = tail.capacity - tail.end;
      if (room >= length) {
        std::memcpy(tail.data.get() + tail.end, data, length);
        tail.end += length;
        size_ += length;
        return;
      }
    }
    if (length > kBlockSize && pool_ != nullptr) {
      // A large body goes in pooled slices: one writev still takes many at once.
      while (length > 0) {
        size_t n = length < BlockPool::kLarge ? length : BlockPool::kLarge;
        Block& b = addBlock(BlockPool::kLarge);
        std::memcpy(b.data.get(), data, n);
        b.end = n;
        size_ += n;
        data += n;
        length -= n;
      }
      return;
    }
    Block& b = addBlock(length > kBlockSize ? length : kBlockSize);
    std::memcpy(b.data.get(), data, length);
    b.end = length;
    size_ += length;
  }

  // Contiguous room for `length` bytes at the tail; commit() what was written.
  char* reserve(size_t length) {
    if (!blocks_.empty()) {
      Block& tail = blocks_.back();
      if (tail.capacity - tail.end >= length) return tail.data.get() + tail.end;
    }
    Block& b = addBlock(length > kBlockSize ? length : kBlockSize);
    return b.data.get();
  }
  void commit(size_t length) {
    blocks_.back().end += length;
    size_ += length;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Moves every block of `other` to the end of this chain.
  void spliceFrom(OutputChain& other) {
    if (blocks_.size() == 1 && blocks_.front().begin == blocks_.front().end) dropFront();
    for (Block& b : other.blocks_) blocks_.push_back(std::move(b));
    size_ += other.size_;
    other.blocks_.clear();
    other.size_ = 0;
  }

  int fillIovec(iovec* iov, int max) const {
    int n = 0;
    for (const Block& b : blocks_) {
      if (n == max) break;
      if (b.end == b.begin) continue;
      iov[n].iov_base = b.data.get() + b.begin;
      iov[n].iov_len = b.end - b.begin;
      ++n;
    }
    return n;
  }

  void consume(size_t length) {
    size_ -= length;
    while (length > 0 && !blocks_.empty()) {
      Block& head = blocks_.front();
      size_t have = head.end - head.begin;
      if (length < have) {
        head.begin += length;
        return;
      }
      length -= have;
      if (blocks_.size() == 1 && head.capacity == kBlockSize && pool_ == nullptr) {
        // No pool: keep the last standard block for the next response (no malloc/free
        // and no page faults per response). With a pool it goes back there.
        head.begin = head.end = 0;
        return;
      }
      dropFront();
    }
  }

  void clear() {
    while (!blocks_.empty()) dropFront();
    size_ = 0;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t capacity;
    size_t begin;
    size_t end;
  };
  static bool poolable(size_t capacity) {
    return capacity == BlockPool::kSmall || capacity == BlockPool::kLarge;
  }
  Block& addBlock(size_t capacity) {
    std::unique_ptr<char[]> data = pool_ != nullptr && poolable(capacity)
                                       ? pool_->take(capacity)
                                       : std::unique_ptr<char[]>(new char[capacity]);
    blocks_.push_back(Block{std::move(data), capacity, 0, 0});
    return blocks_.back();
  }
  void dropFront() {
    Block& b = blocks_.front();
    if (pool_ != nullptr && poolable(b.capacity)) pool_->give(std::move(b.data), b.capacity);
    blocks_.pop_front();
  }

  BlockPool* pool_ = nullptr;
  std::deque<Block> blocks_;
  size_t size_ = 0;
};

}  // namespace syshttp::http
