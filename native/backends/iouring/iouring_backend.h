// The io_uring backend: accepts, receives and sends as completions on one ring per
// server, driven from the libuv loop through a uv_poll on the ring fd (no native I/O
// thread, no SQPOLL). Multishot accept, and multishot receive into a provided-buffer
// ring where the kernel has them; single-shot operations where it does not. One send in
// flight per connection, covering everything queued (writev-like sendmsg).
#pragma once
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/iouring/ring.h"
#include "backends/linux/linux_backend.h"

namespace syshttp::backends {

struct IoUringOptions {
  bool multishotAccept = true;
  bool multishotRecv = true;  // with a provided-buffer ring
  bool deferTaskrun = false;  // IORING_SETUP_DEFER_TASKRUN (ablation only: late wake-ups when idle, see Ring::init)
};

class IoUringBackend final : public LinuxBackend {
 public:
  // Returns nullptr with *error (errno) and *why when the ring or an opcode it needs is
  // not available (old kernel, seccomp, kernel.io_uring_disabled).
  static std::unique_ptr<IoUringBackend> create(uv_loop_t* loop, const http::ServerLimits& limits,
                                                bridge::Batch& batch, BackendOwner& owner,
                                                const IoUringOptions& options, int* error,
                                                std::string* why);
  ~IoUringBackend() override;
  const char* name() const override { return "io_uring"; }
  // What the ring runs with, for server.backendInfo and the bench's ablation.
  std::string describe() const;

 private:
  static constexpr int kIovecs = 64;
  static constexpr size_t kStagingSize = 16 * 1024;

  struct SendVector {
    iovec iov[kIovecs];
    msghdr msg;
  };
  // Spare SendVectors (most connections never have a multi-block send in flight at once).
  static constexpr size_t kMaxSpareSendVectors = 64;

  struct UringConn : Conn {
    using Conn::Conn;
    unsigned ops = 0;          // operations the kernel still holds (our memory in use)
    bool recvArmed = false;
    bool recvCancelling = false;  // a cancel of the multishot receive is in (feed)
    bool hangupArmed = false;  // a poll for the peer hanging up while we do not read
    bool multishot = false;    // the armed receive is multishot
    bool sending = false;
    bool closing = false;      // released: freed once ops reaches 0
    bool eofSeen = false;
    std::vector<char> stash;   // received but not yet taken by the Connection
    std::unique_ptr<char[]> staging;  // single-shot receive buffer
    // A SENDMSG's msghdr and iovecs, held only while it is in flight (the kernel may read
    // them until it completes); a single-block send needs none (IORING_OP_SEND).
    std::unique_ptr<SendVector> sendVector;
  };

  IoUringBackend(uv_loop_t* loop, const http::ServerLimits& limits, bridge::Batch& batch,
                 BackendOwner& owner, const IoUringOptions& options);
  int init(std::string* why);

  void onReadable() override;
  std::unique_ptr<Conn> makeConn(uint32_t id, linux_io::UniqueFd fd) override;
  bool startConn(Conn& c) override;
  void flush(Conn& c) override;
  void release(Conn& c, bool reset) override;
  bool watchListener(int fd, size_t index) override;
  void unwatchListeners() override;
  void onTick() override;
  void afterFlush() override;

  io_uring_sqe* sqe();
  void armAccept(size_t index);
  void armRecv(UringConn& c);
  void armHangupWatch(UringConn& c);
  void onHangup(UringConn& c, const io_uring_cqe& cqe);
  // The client's end reaches the Connection (after the stashed bytes it still takes).
  void endOfInput(UringConn& c);
  void cancel(uint64_t tag);
  void complete(const io_uring_cqe& cqe);
  void onAccept(size_t index, const io_uring_cqe& cqe);
  void onRecv(UringConn& c, const io_uring_cqe& cqe);
  void onSend(UringConn& c, const io_uring_cqe& cqe);
  void feed(UringConn& c, const char* data, size_t length);
  bool drainStash(UringConn& c);
  void opDone(UringConn& c);

  iouring::Ring ring_;
  linux_io::UniqueFd eventfd_;  // signalled by the ring, polled by the loop
  IoUringOptions options_;
  bool bufferRing_ = false;
  bool sendOp_ = false;   // IORING_OP_SEND for a single block (else always SENDMSG)
  std::vector<uint8_t> acceptArmed_;     // per listener
  std::vector<uint8_t> listenerClosing_; // per listener: close when its accept ends
  bool acceptPaused_ = false;
  char discard_[4096];                   // lingering reads land here
  iovec scratchIov_[kIovecs];            // output gathered before a send is chosen
  std::vector<std::unique_ptr<SendVector>> spareSendVectors_;
};

}  // namespace syshttp::backends
