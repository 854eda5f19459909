// A small RAII wrapper over one io_uring instance, on the kernel's own ABI
// (<linux/io_uring.h>, no liburing): setup with the best flags the kernel takes, the
// three mmaps, submission and completion with the memory ordering the ABI requires,
// opcode probing, a registered ring fd and provided-buffer rings.
#pragma once
#include <linux/io_uring.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace syshttp::iouring {

struct RingFeatures {
  bool singleIssuer = false;   // IORING_SETUP_SINGLE_ISSUER
  bool deferTaskrun = false;   // IORING_SETUP_DEFER_TASKRUN: completions run when we ask
  bool coopTaskrun = false;    // IORING_SETUP_COOP_TASKRUN
  bool registeredFd = false;   // IORING_REGISTER_RING_FDS
  unsigned setupFlags = 0;
};

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring();

  // Sets the ring up, trying SINGLE_ISSUER|COOP_TASKRUN (SINGLE_ISSUER|DEFER_TASKRUN
  // first when deferTaskrun), then COOP_TASKRUN, then no flags. Returns 0 or an errno,
  // with *why saying which call failed.
  int init(unsigned entries, bool deferTaskrun, std::string* why);

  int fd() const { return fd_; }
  const RingFeatures& features() const { return features_; }

  // The next free submission entry, zeroed; nullptr when the queue is full (submit first).
  io_uring_sqe* nextSqe();
  unsigned pending() const { return sqeTail_ - submitted_; }
  // io_uring_enter: submit what is queued; with getEvents, also run deferred task work
  // so that completions are posted. Returns the kernel's result (negative errno).
  int enter(bool getEvents);
  // Submits, then blocks until at least one completion is posted (teardown only).
  int enterWait();

  // Calls f(const io_uring_cqe&) for each posted completion, then releases them.
  template <typename F>
  unsigned reap(F&& f) {
    unsigned head = *cqHead_;
    unsigned tail = __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    for (; head != tail; ++head, ++n) f(cqes_[head & cqMask_]);
    __atomic_store_n(cqHead_, head, __ATOMIC_RELEASE);
    return n;
  }

  // Signals `fd` on every posted completion (and, with DEFER_TASKRUN, on queued work).
  int registerEventfd(int fd);

  // Whether the kernel implements this opcode (IORING_REGISTER_PROBE).
  bool supports(unsigned opcode) const;

  // Registers a provided-buffer ring of `count` (a power of two) buffers of `size` bytes
  // as group `group`. Returns 0 or an errno.
  int registerBufferRing(uint16_t group, unsigned count, unsigned size);
  // Gives buffer `id` of the group back to the kernel.
  void recycleBuffer(unsigned id);
  char* buffer(unsigned id) const { return bufferMemory_ + static_cast<size_t>(id) * bufferSize_; }
  bool hasBufferRing() const { return bufRing_ != nullptr; }

 private:
  int setup(unsigned entries, unsigned flags);
  void unmap();
  void probe();

  int fd_ = -1;
  int enterFd_ = -1;            // the registered index, or fd_
  unsigned enterFlags_ = 0;     // IORING_ENTER_REGISTERED_RING when registered
  RingFeatures features_;
  void* sqMap_ = nullptr;
  size_t sqMapSize_ = 0;
  void* cqMap_ = nullptr;
  size_t cqMapSize_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqesSize_ = 0;
  unsigned* sqHead_ = nullptr;
  unsigned* sqTail_ = nullptr;
  unsigned sqMask_ = 0;
  unsigned sqEntries_ = 0;
  unsigned sqeTail_ = 0;        // our copy; published to *sqTail_ by enter()
  unsigned submitted_ = 0;
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  unsigned cqMask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
  uint8_t supported_[256] = {};

  io_uring_buf_ring* bufRing_ = nullptr;
  size_t bufRingSize_ = 0;
  char* bufferMemory_ = nullptr;
  size_t bufferMemorySize_ = 0;
  unsigned bufferSize_ = 0;
  unsigned bufferCount_ = 0;
  uint16_t bufferGroup_ = 0;
  uint16_t bufTail_ = 0;
};

}  // namespace syshttp::iouring
