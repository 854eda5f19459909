// The "limit" server of the benchmarks: what one core does with no JavaScript at all.
// Single-threaded, edge-free (level-triggered) epoll, non-blocking sockets, one fixed
// response per request. It answers every request head it sees ("\r\n\r\n" ends one) with
// the same bytes, so pipelined requests get pipelined answers; request bodies are not
// supported (GET only). Not a server for anything but measuring: no parsing, no limits.
// A request whose line starts "GET /json" gets the TechEmpower JSON response, any other
// the plaintext one (bench/bench.js runs it in the plaintext, pipelined, JSON, idle and
// latency workloads only).
//
//   cc -O2 -o limit bench/limit/limit.c && ./limit [port]   (prints "listening <port>")
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define MAX_CONNS 65536
#define OUT_CAP (16 * 1024)

struct conn {
  int matched;       // how many bytes of "\r\n\r\n" the input ended with
  size_t headLength; // bytes of the current request head seen so far
  char start[16];    // its first bytes (method and the start of the target)
  size_t outLength;  // response bytes waiting for the socket
  char* out;         // OUT_CAP bytes, allocated (not touched) at the first request
};

static struct conn* conns[MAX_CONNS];
static char response[256];
static size_t responseLength;
static char jsonResponse[256];
static size_t jsonResponseLength;

// The TechEmpower plaintext and JSON responses, with a Date refreshed once a second.
static void makeResponse(void) {
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  responseLength = (size_t)snprintf(response, sizeof response,
                                    "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\nDate: %s\r\n"
                                    "Content-Length: 13\r\n\r\nHello, World!",
                                    date);
  jsonResponseLength = (size_t)snprintf(jsonResponse, sizeof jsonResponse,
                                        "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: application/json\r\n"
                                        "Date: %s\r\nContent-Length: 27\r\n\r\n{\"message\":\"Hello, World!\"}",
                                        date);
}

static void closeConn(int epfd, int fd) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(conns[fd]->out);
  free(conns[fd]);
  conns[fd] = NULL;
}

static int flushOut(int fd, struct conn* c) {
  if (c->outLength == 0) return 0;
  size_t done = 0;
  while (done < c->outLength) {
    ssize_t w = send(fd, c->out + done, c->outLength - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    return -1;
  }
  memmove(c->out, c->out + done, c->outLength - done);
  c->outLength -= done;
  return 0;
}

// Reads what is there and queues one response per request head; -1: close.
static int onReadable(int fd, struct conn* c) {
  static const char end[] = "\r\n\r\n";
  char in[16 * 1024];
  for (;;) {
    ssize_t r = read(fd, in, sizeof in);
    if (r == 0) return -1;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      return -1;
    }
    for (ssize_t i = 0; i < r; i++) {
      if (c->headLength < sizeof c->start) c->start[c->headLength] = in[i];
      c->headLength++;
      c->matched = in[i] == end[c->matched] ? c->matched + 1 : (in[i] == '\r' ? 1 : 0);
      if (c->matched == 4) {
        int json = c->headLength >= 9 && memcmp(c->start, "GET /json", 9) == 0;
        const char* res = json ? jsonResponse : response;
        size_t len = json ? jsonResponseLength : responseLength;
        c->matched = 0;
        c->headLength = 0;
        if (c->out == NULL && (c->out = malloc(OUT_CAP)) == NULL) return -1;
        if (c->outLength + len > OUT_CAP && flushOut(fd, c) != 0) return -1;
        if (c->outLength + len > OUT_CAP) return -1;  // a client that does not read
        memcpy(c->out + c->outLength, res, len);
        c->outLength += len;
      }
    }
    if ((size_t)r < sizeof in) return 0;
  }
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the harness that started us
  makeResponse();
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) return perror("socket"), 1;
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0) return perror("bind"), 1;
  if (listen(lfd, 511) != 0) return perror("listen"), 1;
  socklen_t alen = sizeof addr;
  if (getsockname(lfd, (struct sockaddr*)&addr, &alen) != 0) return perror("getsockname"), 1;
  printf("listening %d limit-epoll\n", ntohs(addr.sin_port));
  fflush(stdout);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return perror("epoll_create1"), 1;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) != 0) return perror("epoll_ctl"), 1;
  time_t lastDate = time(NULL);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, 1000);
    if (n < 0 && errno != EINTR) return perror("epoll_wait"), 1;
    time_t now = time(NULL);
    if (now != lastDate) {
      lastDate = now;
      makeResponse();
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          if (cfd >= MAX_CONNS) {
            close(cfd);
            continue;
          }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns[cfd] = calloc(1, sizeof(struct conn));
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = cfd};
          if (conns[cfd] == NULL || epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &cev) != 0) {
            free(conns[cfd]);
            conns[cfd] = NULL;
            close(cfd);
          }
        }
        continue;
      }
      struct conn* c = conns[fd];
      if (c == NULL) continue;
      uint32_t e = events[i].events;
      if ((e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && onReadable(fd, c) != 0) {
        closeConn(epfd, fd);
        continue;
      }
      if (flushOut(fd, c) != 0) {
        closeConn(epfd, fd);
        continue;
      }
      // Wait for the socket to take the rest before reading more (one interest change
      // only when output is stuck, which a well-behaved load generator never causes).
      struct epoll_event mod = {.events = c->outLength > 0 ? EPOLLOUT | EPOLLRDHUP : EPOLLIN | EPOLLRDHUP,
                                .data.fd = fd};
      if ((c->outLength > 0) != ((e & EPOLLOUT) != 0)) epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &mod);
    }
  }
}
