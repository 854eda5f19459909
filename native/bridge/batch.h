// Collects what one loop turn produced for JS (requests, body bytes, drains, aborts)
// so that it crosses into JS in a single call. Knows nothing of N-API.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "http/chunked_decoder.h"
#include "http/parser.h"

namespace syshttp::bridge {

class Batch {
 public:
  // addresses: 40 bytes, local then remote (packed).
  void request(uint32_t connection, uint32_t seq, const http::RequestHead& head, const char* base,
               const uint8_t* addresses);
  void body(uint32_t connection, uint32_t seq, const char* data, size_t length);
  void bodyEnd(uint32_t connection, uint32_t seq, const http::ChunkedDecoder* trailers);
  void bodyError(uint32_t connection, uint32_t seq, int status);
  void drain(uint32_t connection, uint32_t seq);
  void abort(uint32_t connection);
  void shutdownComplete();
  void raw(uint32_t connection, const char* data, size_t length);
  void rawEnd(uint32_t connection);
  // A copy of bytes an HTTP connection received, as they came (mirrorInput; they are
  // parsed all the same).
  void inputCopy(uint32_t connection, const char* data, size_t length);
  // addresses: as for request().
  // detail: the head's bytes received so far go along, at most kClientErrorBytes of them.
  void clientError(uint32_t connection, int status, bool deferred, const http::ClientErrorDetail& detail,
                   const uint8_t* addresses);
  void connectionOpen(uint32_t connection, const uint8_t* addresses);
  void connectionClosed(uint32_t connection, uint64_t bytesRead, uint64_t bytesWritten);

  bool empty() const { return words_.empty(); }
  const std::vector<uint32_t>& words() const { return words_; }
  const std::vector<char>& bytes() const { return bytes_; }
  void clear() {
    words_.clear();
    bytes_.clear();
  }
  void swap(Batch& other) {
    words_.swap(other.words_);
    bytes_.swap(other.bytes_);
  }

 private:
  uint32_t appendBytes(const char* data, size_t length);
  void header(uint32_t type, uint32_t connection, uint32_t seq);
  void fields(const http::Field* fields, uint32_t count, uint32_t base);

  std::vector<uint32_t> words_;
  std::vector<char> bytes_;
};

}  // namespace syshttp::bridge
