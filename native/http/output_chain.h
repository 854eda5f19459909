// Bytes waiting to be written to a socket, kept as a chain of blocks so that large
// responses are never moved and a flush is one writev over the blocks.
#pragma once
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>

namespace syshttp::http {

class OutputChain {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;

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
    if (blocks_.size() == 1 && blocks_.front().begin == blocks_.front().end) blocks_.clear();
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
      if (blocks_.size() == 1 && head.capacity == kBlockSize) {
        // Keep the last standard block for the next response: no malloc/free (and no
        // page faults from a heap that shrinks and grows) per response.
        head.begin = head.end = 0;
        return;
      }
      blocks_.pop_front();
    }
  }

  void clear() {
    blocks_.clear();
    size_ = 0;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t capacity;
    size_t begin;
    size_t end;
  };
  Block& addBlock(size_t capacity) {
    blocks_.push_back(Block{std::unique_ptr<char[]>(new char[capacity]), capacity, 0, 0});
    return blocks_.back();
  }

  std::deque<Block> blocks_;
  size_t size_ = 0;
};

}  // namespace syshttp::http
