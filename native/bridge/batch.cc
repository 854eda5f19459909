#include "batch.h"

#include <algorithm>
#include <cstring>

#include "records.h"

namespace syshttp::bridge {

uint32_t Batch::appendBytes(const char* data, size_t length) {
  uint32_t offset = static_cast<uint32_t>(bytes_.size());
  bytes_.insert(bytes_.end(), data, data + length);
  return offset;
}

void Batch::header(uint32_t type, uint32_t connection, uint32_t seq) {
  words_.push_back(type);
  words_.push_back(connection);
  words_.push_back(seq);
}

void Batch::fields(const http::Field* f, uint32_t count, uint32_t base) {
  words_.push_back(count);
  for (uint32_t i = 0; i < count; ++i) {
    words_.push_back(base + f[i].name.offset);
    words_.push_back(f[i].name.length);
    words_.push_back(base + f[i].value.offset);
    words_.push_back(f[i].value.length);
  }
}

void Batch::request(uint32_t connection, uint32_t seq, const http::RequestHead& head,
                    const char* base, const uint8_t* addresses) {
  // The head's bytes are copied once; JS decodes names and values from them lazily.
  uint32_t at = appendBytes(base, head.headLength);
  uint32_t addressOff = appendBytes(reinterpret_cast<const char*>(addresses), 40);
  uint32_t flags = 0;
  if (head.versionMinor == 0) flags |= kRequestHttp10;
  if (head.keepAlive) flags |= kRequestKeepAlive;
  if (head.bodyKind == http::BodyKind::Chunked) flags |= kRequestChunked | kRequestHasBody;
  if (head.bodyKind == http::BodyKind::ContentLength) {
    flags |= kRequestHasContentLength;
    if (head.contentLength > 0) flags |= kRequestHasBody;
  }
  if (head.expectContinue) flags |= kRequestExpectContinue;
  if (head.upgrade) flags |= kRequestUpgrade;
  if (head.noHost) flags |= kRequestNoHost;
  if (head.sameFields) flags |= kRequestSameFields;
  header(kRecordRequest, connection, seq);
  words_.push_back(flags);
  words_.push_back(at + head.method.offset);
  words_.push_back(head.method.length);
  words_.push_back(at + head.target.offset);
  words_.push_back(head.target.length);
  words_.push_back(static_cast<uint32_t>(head.contentLength & 0xffffffffu));
  words_.push_back(static_cast<uint32_t>(head.contentLength >> 32));
  words_.push_back(addressOff);
  fields(head.fields, head.fieldCount, at);
}

void Batch::body(uint32_t connection, uint32_t seq, const char* data, size_t length) {
  header(kRecordBody, connection, seq);
  words_.push_back(appendBytes(data, length));
  words_.push_back(static_cast<uint32_t>(length));
}

void Batch::bodyEnd(uint32_t connection, uint32_t seq, const http::ChunkedDecoder* trailers) {
  header(kRecordBodyEnd, connection, seq);
  if (trailers == nullptr || trailers->trailerCount() == 0) {
    words_.push_back(0);
    return;
  }
  const std::string& block = trailers->trailerBlock();
  uint32_t at = appendBytes(block.data(), block.size());
  fields(trailers->trailerFields(), trailers->trailerCount(), at);
}

void Batch::bodyError(uint32_t connection, uint32_t seq, int status) {
  header(kRecordBodyError, connection, seq);
  words_.push_back(static_cast<uint32_t>(status));
}

void Batch::drain(uint32_t connection, uint32_t seq) { header(kRecordDrain, connection, seq); }

void Batch::abort(uint32_t connection) { header(kRecordAbort, connection, 0); }

void Batch::shutdownComplete() { header(kRecordShutdownComplete, 0, 0); }

void Batch::raw(uint32_t connection, const char* data, size_t length) {
  header(kRecordRaw, connection, 0);
  words_.push_back(appendBytes(data, length));
  words_.push_back(static_cast<uint32_t>(length));
}

void Batch::rawEnd(uint32_t connection) { header(kRecordRawEnd, connection, 0); }

void Batch::inputCopy(uint32_t connection, const char* data, size_t length) {
  header(kRecordInputCopy, connection, 0);
  words_.push_back(appendBytes(data, length));
  words_.push_back(static_cast<uint32_t>(length));
}

void Batch::clientError(uint32_t connection, int status, bool deferred, const http::ClientErrorDetail& detail,
                        const uint8_t* addresses) {
  uint32_t addressOff = appendBytes(reinterpret_cast<const char*>(addresses), 40);
  const size_t receivedLength = std::min(detail.received.size(), kClientErrorBytes);
  uint32_t receivedOff = appendBytes(detail.received.data(), receivedLength);
  header(kRecordClientError, connection, 0);
  words_.push_back(static_cast<uint32_t>(status) | (deferred ? kClientErrorDeferred : 0u) |
                   (uint32_t{static_cast<uint8_t>(detail.fault)} << kClientErrorFaultShift));
  words_.push_back(addressOff);
  words_.push_back(receivedOff);
  words_.push_back(static_cast<uint32_t>(receivedLength));
  words_.push_back(detail.parsed);
}

void Batch::connectionOpen(uint32_t connection, const uint8_t* addresses) {
  uint32_t addressOff = appendBytes(reinterpret_cast<const char*>(addresses), 40);
  header(kRecordConnectionOpen, connection, 0);
  words_.push_back(addressOff);
}

void Batch::connectionClosed(uint32_t connection, uint64_t bytesRead, uint64_t bytesWritten) {
  header(kRecordConnectionClosed, connection, 0);
  words_.push_back(static_cast<uint32_t>(bytesRead));
  words_.push_back(static_cast<uint32_t>(bytesRead >> 32));
  words_.push_back(static_cast<uint32_t>(bytesWritten));
  words_.push_back(static_cast<uint32_t>(bytesWritten >> 32));
}

}  // namespace syshttp::bridge
