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
#include "external_bytes.h"

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
        std::memcpy(tail.base + tail.end, data, length);
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
        std::memcpy(b.base, data, n);
        b.end = n;
        size_ += n;
        data += n;
        length -= n;
      }
      return;
    }
    Block& b = addBlock(length > kBlockSize ? length : kBlockSize);
    std::memcpy(b.base, data, length);
    b.end = length;
    size_ += length;
  }

  // Sends `length` bytes where they are, without a copy: `lender` is released once they
  // are written or the chain is dropped. Nothing is appended into them.
  void appendExternal(const char* data, size_t length, const ExternalBytes& lender) {
    Block b{};
    b.base = const_cast<char*>(data);  // only ever read (by writev)
    b.capacity = length;
    b.end = length;
    b.release = lender.release;
    b.releaseCtx = lender.ctx;
    blocks_.push_back(std::move(b));
    size_ += length;
  }

  // Contiguous room for `length` bytes at the tail; commit() what was written.
  char* reserve(size_t length) {
    if (!blocks_.empty()) {
      Block& tail = blocks_.back();
      if (tail.capacity - tail.end >= length) return tail.base + tail.end;
    }
    Block& b = addBlock(length > kBlockSize ? length : kBlockSize);
    return b.base;
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
      iov[n].iov_base = b.base + b.begin;
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
      if (blocks_.size() == 1 && head.data != nullptr && head.capacity == kBlockSize && pool_ == nullptr) {
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
    std::unique_ptr<char[]> data;  // owned memory (null for lent bytes)
    char* base = nullptr;          // data.get(), or the lent bytes
    size_t capacity = 0;
    size_t begin = 0;
    size_t end = 0;
    void (*release)(void*) = nullptr;  // lent bytes: given back when the block goes
    void* releaseCtx = nullptr;
  };
  static bool poolable(size_t capacity) {
    return capacity == BlockPool::kSmall || capacity == BlockPool::kLarge;
  }
  Block& addBlock(size_t capacity) {
    std::unique_ptr<char[]> data = pool_ != nullptr && poolable(capacity)
                                       ? pool_->take(capacity)
                                       : std::unique_ptr<char[]>(new char[capacity]);
    Block b{};
    b.base = data.get();
    b.data = std::move(data);
    b.capacity = capacity;
    blocks_.push_back(std::move(b));
    return blocks_.back();
  }
  void dropFront() {
    Block& b = blocks_.front();
    if (b.release != nullptr) {
      void (*release)(void*) = b.release;
      void* ctx = b.releaseCtx;
      blocks_.pop_front();
      release(ctx);
      return;
    }
    if (pool_ != nullptr && b.data != nullptr && poolable(b.capacity)) pool_->give(std::move(b.data), b.capacity);
    blocks_.pop_front();
  }

  BlockPool* pool_ = nullptr;
  std::deque<Block> blocks_;
  size_t size_ = 0;
};

}  // namespace syshttp::http
