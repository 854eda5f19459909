#include "ring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace syshttp::iouring {
namespace {

int sysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(::syscall(__NR_io_uring_setup, entries, p));
}
int sysEnter(int fd, unsigned toSubmit, unsigned minComplete, unsigned flags) {
  return static_cast<int>(::syscall(__NR_io_uring_enter, fd, toSubmit, minComplete, flags, nullptr, 0));
}
int sysRegister(int fd, unsigned op, void* arg, unsigned count) {
  return static_cast<int>(::syscall(__NR_io_uring_register, fd, op, arg, count));
}

void* mapRing(int fd, size_t size, off_t offset) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

Ring::~Ring() {
  // Closing the ring fd unregisters buffer rings and cancels what is in flight.
  unmap();
  if (fd_ >= 0) ::close(fd_);
  if (bufRing_ != nullptr) ::munmap(bufRing_, bufRingSize_);
  if (bufferMemory_ != nullptr) ::munmap(bufferMemory_, bufferMemorySize_);
}

void Ring::unmap() {
  if (sqes_ != nullptr) ::munmap(sqes_, sqesSize_);
  if (cqMap_ != nullptr && cqMap_ != sqMap_) ::munmap(cqMap_, cqMapSize_);
  if (sqMap_ != nullptr) ::munmap(sqMap_, sqMapSize_);
  sqes_ = nullptr;
  cqMap_ = sqMap_ = nullptr;
}

int Ring::init(unsigned entries, bool deferTaskrun, std::string* why) {
  // The best set first; a kernel that lacks a flag says EINVAL and we drop to the next.
  // DEFER_TASKRUN only when asked (the bench's ablation): the loop sleeps in epoll, not in
  // io_uring_enter, and the kernel (seen on 6.18) signals the eventfd for work deferred
  // while it sleeps only ~16 ms late, so an idle server answered each new connection and
  // each request after a pause that much later. COOP_TASKRUN posts completions when the
  // thread next enters the kernel, or wakes it if it sleeps.
  const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_SUBMIT_ALL,
      0,
  };
  int err = EINVAL;
  for (unsigned flags : attempts) {
    if (!deferTaskrun && (flags & IORING_SETUP_DEFER_TASKRUN) != 0) continue;
    err = setup(entries, flags);
    if (err != EINVAL) break;  // success, or a refusal no other flag set will change
  }
  if (err != 0) {
    *why = std::string("io_uring_setup: ") + std::strerror(err);
    return err;
  }
  probe();
  // A registered ring fd saves the fd lookup on every io_uring_enter.
  io_uring_rsrc_update update{};
  update.offset = ~0u;  // any free slot
  update.data = static_cast<uint64_t>(fd_);
  if (sysRegister(fd_, IORING_REGISTER_RING_FDS, &update, 1) == 1) {
    enterFd_ = static_cast<int>(update.offset);
    enterFlags_ = IORING_ENTER_REGISTERED_RING;
    features_.registeredFd = true;
  }
  return 0;
}

int Ring::setup(unsigned entries, unsigned flags) {
  io_uring_params p{};
  // Multishot operations post many completions per submission: a larger CQ ring.
  p.flags = flags | IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int fd = sysSetup(entries, &p);
  if (fd < 0) return errno;
  fd_ = fd;
  enterFd_ = fd;
  sqMapSize_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cqMapSize_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) sqMapSize_ = cqMapSize_ = sqMapSize_ > cqMapSize_ ? sqMapSize_ : cqMapSize_;
  int err = 0;
  sqMap_ = mapRing(fd, sqMapSize_, IORING_OFF_SQ_RING);
  if (sqMap_ == nullptr) err = errno;
  if (err == 0) {
    cqMap_ = single ? sqMap_ : mapRing(fd, cqMapSize_, IORING_OFF_CQ_RING);
    if (cqMap_ == nullptr) err = errno;
  }
  if (err == 0) {
    sqesSize_ = p.sq_entries * sizeof(io_uring_sqe);
    sqes_ = static_cast<io_uring_sqe*>(mapRing(fd, sqesSize_, IORING_OFF_SQES));
    if (sqes_ == nullptr) err = errno;
  }
  if (err != 0) {
    unmap();
    ::close(fd_);
    fd_ = enterFd_ = -1;
    return err;
  }
  char* sq = static_cast<char*>(sqMap_);
  sqHead_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
  sqTail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
  sqMask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
  sqEntries_ = p.sq_entries;
  auto* array = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; ++i) array[i] = i;
  sqeTail_ = submitted_ = *sqTail_;
  char* cq = static_cast<char*>(cqMap_);
  cqHead_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
  cqTail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
  cqMask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);

  features_.setupFlags = flags;
  features_.singleIssuer = (flags & IORING_SETUP_SINGLE_ISSUER) != 0;
  features_.deferTaskrun = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
  features_.coopTaskrun = (flags & IORING_SETUP_COOP_TASKRUN) != 0;
  return 0;
}

void Ring::probe() {
  std::vector<char> buffer(sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op), 0);
  auto* p = reinterpret_cast<io_uring_probe*>(buffer.data());
  if (sysRegister(fd_, IORING_REGISTER_PROBE, p, 256) < 0) return;  // nothing known: all unsupported
  for (unsigned i = 0; i < p->ops_len; ++i) {
    if (p->ops[i].flags & IO_URING_OP_SUPPORTED) supported_[p->ops[i].op] = 1;
  }
}

int Ring::registerEventfd(int fd) {
  return sysRegister(fd_, IORING_REGISTER_EVENTFD, &fd, 1) < 0 ? errno : 0;
}

bool Ring::supports(unsigned opcode) const { return opcode < 256 && supported_[opcode] != 0; }

io_uring_sqe* Ring::nextSqe() {
  unsigned head = __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE);
  if (sqeTail_ - head >= sqEntries_) return nullptr;
  io_uring_sqe* sqe = &sqes_[sqeTail_ & sqMask_];
  ++sqeTail_;
  std::memset(sqe, 0, sizeof(*sqe));
  return sqe;
}

int Ring::enter(bool getEvents) {
  unsigned toSubmit = sqeTail_ - submitted_;
  if (toSubmit == 0 && !getEvents) return 0;
  // The entries must be visible to the kernel before the tail that publishes them.
  __atomic_store_n(sqTail_, sqeTail_, __ATOMIC_RELEASE);
  unsigned flags = enterFlags_ | (getEvents ? IORING_ENTER_GETEVENTS : 0u);
  int r;
  do {
    r = sysEnter(enterFd_, toSubmit, 0, flags);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  submitted_ += static_cast<unsigned>(r);
  return r;
}

int Ring::enterWait() {
  unsigned toSubmit = sqeTail_ - submitted_;
  __atomic_store_n(sqTail_, sqeTail_, __ATOMIC_RELEASE);
  int r;
  do {
    r = sysEnter(enterFd_, toSubmit, 1, enterFlags_ | IORING_ENTER_GETEVENTS);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  submitted_ += static_cast<unsigned>(r);
  return r;
}

int Ring::registerBufferRing(uint16_t group, unsigned count, unsigned size) {
  bufRingSize_ = count * sizeof(io_uring_buf);
  void* ring = ::mmap(nullptr, bufRingSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (ring == MAP_FAILED) return errno;
  std::memset(ring, 0, bufRingSize_);  // fault the pages in before the kernel pins them
  bufferMemorySize_ = static_cast<size_t>(count) * size;
  void* memory = ::mmap(nullptr, bufferMemorySize_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    int err = errno;
    ::munmap(ring, bufRingSize_);
    return err;
  }
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring);
  reg.ring_entries = count;
  reg.bgid = group;
  if (sysRegister(fd_, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) {
    int err = errno;
    ::munmap(ring, bufRingSize_);
    ::munmap(memory, bufferMemorySize_);
    return err;
  }
  bufRing_ = static_cast<io_uring_buf_ring*>(ring);
  bufferMemory_ = static_cast<char*>(memory);
  bufferSize_ = size;
  bufferCount_ = count;
  bufferGroup_ = group;
  bufTail_ = 0;
  for (unsigned i = 0; i < count; ++i) recycleBuffer(i);
  return 0;
}

void Ring::recycleBuffer(unsigned id) {
  // Entries start at offset 0 of the ring (the ABI). Not through `bufRing_->bufs`: in C++
  // the header's flexible-array wrapper has a 1-byte empty struct, which moves `bufs` to
  // offset 8 and every entry with it.
  io_uring_buf& b = reinterpret_cast<io_uring_buf*>(bufRing_)[bufTail_ & (bufferCount_ - 1)];
  b.addr = reinterpret_cast<uint64_t>(buffer(id));
  b.len = bufferSize_;
  b.bid = static_cast<uint16_t>(id);
  ++bufTail_;
  // The entry must be visible before the tail that hands it to the kernel.
  __atomic_store_n(&bufRing_->tail, bufTail_, __ATOMIC_RELEASE);
}

}  // namespace syshttp::iouring
