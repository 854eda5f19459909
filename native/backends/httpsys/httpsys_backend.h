// The HTTP.sys backend (Windows): HTTP Server API v2 through overlapped I/O on one
// completion port. HTTP.sys parses requests, owns connections and enforces its own
// limits; this backend moves parsed requests into the bridge's batch and responses back
// to the kernel, with the same record format and call results as the Linux backends.
//
// Kernel objects, set up in this order and torn down in the reverse one (the members
// below are declared in set-up order, so a failure half-way unwinds by destruction):
//   1. HttpApi        HttpInitialize(v2, server)              … HttpTerminate
//   2. ServerSession  HttpCreateServerSession                 … HttpCloseServerSession
//   3. UrlGroup       HttpCreateUrlGroup(session)             … HttpCloseUrlGroup
//   4. RequestQueue   HttpCreateRequestQueue(name, mode)      … HttpCloseRequestQueue
//   5. binding        HttpSetUrlGroupProperty(Binding, queue)   (undone by 3's close)
//   6. CompletionPort the queue associated; thread + thread-safe function
//   7. receives       HttpReceiveHttpRequest × N, kept outstanding
//   8. URLs           HttpAddUrlToUrlGroup, at listen()       … removed at stop / close
// The destructor closes the queue first (that cancels every outstanding call), lets the
// completion thread see the cancelled calls complete, and only then frees their buffers.
// A queue opened with requestQueueMode 'attach' has no session or group of its own: the
// process that created it owns its URLs and properties.
#pragma once
#include <node_api.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "backends/httpsys/completion_port.h"
#include "backends/httpsys/http_api.h"
#include "backends/httpsys/httpsys_options.h"
#include "backends/httpsys/request_queue.h"
#include "backends/httpsys/request_record.h"
#include "backends/httpsys/response_head.h"
#include "backends/httpsys/server_session.h"
#include "backends/httpsys/url_group.h"
#include "bridge/batch.h"

namespace syshttp::httpsys {

class HttpSysBackend final : public backends::Backend {
 public:
  // Null on failure, with the Win32 error and the call that failed.
  static std::unique_ptr<HttpSysBackend> create(napi_env env, const http::ServerLimits& limits,
                                                bridge::Batch& batch, backends::BackendOwner& owner,
                                                const HttpSysOptions& options, ULONG* error,
                                                std::string* call);
  ~HttpSysBackend() override;

  const char* name() const override { return "httpsys"; }
  // What is in use, and what this http.sys ignored (Wine): for backendInfo().detail.
  std::string describe() const;

  backends::ListenOutcome listen(const backends::ListenRequest& request) override;
  void closeListeners() override;
  backends::SendResult send(uint32_t connection, uint32_t seq, int status, const char* head,
                            size_t headLength, const char* body, size_t bodyLength, uint32_t flags,
                            int64_t declaredLength) override;
  void setResponseCache(uint32_t connection, uint32_t seq, uint32_t ttlSeconds) override;
  backends::BodyCallResult readBody(uint32_t connection, uint32_t seq, uint64_t maxBodySize) override;
  backends::BodyCallResult pauseBody(uint32_t connection, uint32_t seq, bool paused) override;
  // Upgrades (WebSocket and the like) go through HTTP.sys's opaque mode
  // (HTTP_SEND_RESPONSE_FLAG_OPAQUE), which this backend does not do yet: an upgrade
  // request is answered as an ordinary request.
  backends::SendResult detach(uint32_t, uint32_t, bool, std::string*) override { return backends::SendResult::NotUpgradable; }
  backends::SendResult writeRaw(uint32_t, const char*, size_t) override { return backends::SendResult::Gone; }
  backends::SendResult endRaw(uint32_t, bool) override { return backends::SendResult::Gone; }
  void pauseRaw(uint32_t, bool) override {}
  void abort(uint32_t id, bool reset, bool flushInFlight) override;
  void beginShutdown(bool keepConnections) override;
  void closeAll() override;
  size_t connectionCount() const override { return conns_.size(); }
  void setRef(bool ref) override { port_.setRef(ref); }
  void whenClosed(void (*callback)(void*), void* arg) override;

 private:
  struct Op;
  struct Request;
  struct Conn;

  HttpSysBackend(const http::ServerLimits& limits, bridge::Batch& batch, backends::BackendOwner& owner,
                 const HttpSysOptions& options);
  ULONG setUp(napi_env env, std::string* call);
  void configure();

  static void onCompletions(void* self, std::vector<OVERLAPPED_ENTRY>& completions);
  void completed(Op& op, ULONG error, ULONG bytes);

  // ---- receiving requests -----------------------------------------------------------
  void postReceives();
  bool postReceive(Op& op, HTTP_REQUEST_ID id);
  void received(Op& op, ULONG error, ULONG bytes);
  void deliver(const HTTP_REQUEST& r);

  // ---- request bodies ---------------------------------------------------------------
  void readMore(Request& req);
  void bodyRead(Op& op, ULONG error, ULONG bytes);

  // ---- responses ---------------------------------------------------------------------
  backends::SendResult sendWhole(Request& req, const std::string& head, int status, const char* body,
                                 size_t bodyLength);
  backends::SendResult sendStart(Request& req, const std::string& head, int status, const char* body,
                                 size_t bodyLength, bool ending);
  backends::SendResult sendMore(Request& req, const char* body, size_t bodyLength, bool ending);
  bool issue(Request& req, std::unique_ptr<Op> op, bool first, ULONG flags);
  void sent(Op& op, ULONG error);
  void disconnected(Op& op, ULONG error);

  // ---- bookkeeping ---------------------------------------------------------------------
  Op& newOp(int kind);
  std::unique_ptr<Op> takeOp(Op& op);
  Request* findRequest(uint32_t connection, uint32_t seq);
  void finish(Request& req);
  void connectionLost(uint32_t connection);
  void cancel(Request& req);
  void wake();
  void maybeShutdownComplete();

  const http::ServerLimits& limits_;
  bridge::Batch& batch_;
  backends::BackendOwner& owner_;
  HttpSysOptions options_;

  // Set-up order (see the top of this file); destroyed in reverse.
  HttpApi api_;
  ServerSession session_;
  UrlGroup group_;
  RequestQueue queue_;
  CompletionPort port_;

  bool attached_ = false;
  bool listening_ = false;
  bool shuttingDown_ = false;
  bool shutdownReported_ = false;
  bool closing_ = false;
  uint32_t receiveTarget_ = 0;    // receives to keep outstanding (grows with load)
  uint32_t receivesOut_ = 0;
  uint32_t nextConnId_ = 1;
  std::string ignored_;           // properties this http.sys refused (Wine): for describe()
  std::vector<std::wstring> urls_;

  RequestRecord record_;
  std::unordered_map<Op*, std::unique_ptr<Op>> ops_;
  std::unordered_map<uint64_t, std::unique_ptr<Request>> requests_;  // (connection << 32) | seq
  std::unordered_map<uint32_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<HTTP_CONNECTION_ID, uint32_t> connIds_;
};

}  // namespace syshttp::httpsys
