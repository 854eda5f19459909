// The native→JS batch format. One batch is one ArrayBuffer per loop turn: a Uint32Array
// of records followed by the bytes they point into. The constants are exported to JS
// (addon.cc) so that lib/native.ts never keeps a second copy of these numbers.
//
// Every record starts with [type, connectionId, seq]; offsets point into the byte area.
//   Request   + [flags, methodOff, methodLen, targetOff, targetLen, contentLengthLo,
//                contentLengthHi, addressOff, fieldCount, (nameOff, nameLen, valueOff, valueLen)*]
//   Body      + [offset, length]
//   BodyEnd   + [trailerCount, (nameOff, nameLen, valueOff, valueLen)*]
//   BodyError + [httpStatus]
//   Raw       + [offset, length]   (seq 0: bytes of a detached, upgraded connection)
//   ClientError + [httpStatus, addressOff, receivedOff, receivedLen, parsed]
//                (seq 0: the native side answered a protocol error with httpStatus and
//                closes the connection; with kClientErrorDeferred set in the status word,
//                nothing was answered and the connection is a raw stream, as a detached
//                one; the word's top byte is the http::ParseFault of a head refused for
//                its syntax; received: the head's bytes so far, at most kClientErrorBytes,
//                parsed: where in them the parser stopped)
//   ConnectionOpen + [addressOff]   (seq 0; only when the JS layer asked for connection
//                events: syshttp/node's 'connection' at accept)
//   ConnectionClosed + [bytesReadLo, bytesReadHi, bytesWrittenLo, bytesWrittenHi]
//                (ConnectionOpen's pair: the connection's final byte counts)
//   Drain, Abort, ShutdownComplete, RawEnd:
//                the header only (a Drain with seq 0 is a
//                detached connection's)
// addressOff: 40 bytes, local then remote address (socket_address.h's packed form).
#pragma once
#include <cstdint>

namespace syshttp::bridge {

enum RecordType : uint32_t {
  kRecordRequest = 1,
  kRecordBody = 2,
  kRecordBodyEnd = 3,
  kRecordBodyError = 4,
  kRecordDrain = 5,
  kRecordAbort = 6,
  kRecordShutdownComplete = 7,
  kRecordRaw = 8,
  kRecordRawEnd = 9,
  kRecordClientError = 10,
  kRecordConnectionOpen = 11,
  kRecordConnectionClosed = 12,
  kRecordInputCopy = 13,
};

constexpr uint32_t kRecordHeaderWords = 3;
constexpr uint32_t kClientErrorDeferred = 1u << 16;  // in ClientError's status word
constexpr uint32_t kClientErrorFaultShift = 24;      // and http::ParseFault in its top byte
constexpr size_t kClientErrorBytes = 64 * 1024;      // a refused head's bytes that go along
constexpr uint32_t kRequestFixedWords = kRecordHeaderWords + 9;
constexpr uint32_t kWordsPerField = 4;

enum RequestFlags : uint32_t {
  kRequestHttp10 = 1u << 0,
  kRequestKeepAlive = 1u << 1,
  kRequestHasBody = 1u << 2,
  kRequestChunked = 1u << 3,
  kRequestExpectContinue = 1u << 4,
  kRequestUpgrade = 1u << 5,
  kRequestHasContentLength = 1u << 6,
  kRequestNoHost = 1u << 7,  // HTTP/1.1 without Host, taken (HeadLimits::requireHost off)
  kRequestSameFields = 1u << 8,  // field lines byte for byte those of request seq - 1 (Linux backends)
};

}  // namespace syshttp::bridge
