// File: core/plugin_runner/wire.h
//
// The framing of the runner protocol (protos/rapport/runner/v1/runner.proto)
// that rapportd and rapport-plugin-runner speak over Unix socket pairs: a
// 4-byte little-endian length, then one serialized Frame. Also the passing
// of a socket to the child (SCM_RIGHTS). Used by both ends.
#ifndef RAPPORT_CORE_PLUGIN_RUNNER_WIRE_H_
#define RAPPORT_CORE_PLUGIN_RUNNER_WIRE_H_

#include <cstdint>

#include "rapport/runner/v1/runner.pb.h"

namespace rapport::runner {

// The largest frame either end accepts; a larger length is a broken peer.
inline constexpr uint32_t kMaxFrameBytes = 64u << 20;

// Writes `frame` whole by `deadline_micros` (CLOCK_MONOTONIC microseconds,
// 0: no limit); false when the peer is gone, stops reading past the
// deadline, or the frame is too big.
bool WriteFrame(int fd, const v1::Frame& frame, int64_t deadline_micros = 0);

enum class ReadStatus {
  kOk,
  kClosed,   // the peer closed its end (or died)
  kTimeout,  // nothing whole by the deadline
  kBroken,   // a length over kMaxFrameBytes or bytes that do not parse
};

// Reads one frame. `deadline_micros`: CLOCK_MONOTONIC microseconds by which
// the whole frame must be in, or 0 for no limit. Memory grows with the bytes
// that arrive, not with the length the peer claims.
ReadStatus ReadFrame(int fd, v1::Frame* frame, int64_t deadline_micros);

// CLOCK_MONOTONIC in microseconds (the clock of ReadFrame's deadline).
int64_t MonotonicMicros();

// Sends descriptor `fd` over the Unix socket `socket`, waiting for room at
// most until `deadline_micros` (CLOCK_MONOTONIC, 0: no limit); false on
// failure (the peer is gone, or not reading by the deadline).
bool SendFd(int socket, int fd, int64_t deadline_micros = 0);
// Receives a descriptor sent by SendFd; -1 when the socket closed or broke.
int ReceiveFd(int socket);

}  // namespace rapport::runner

#endif  // RAPPORT_CORE_PLUGIN_RUNNER_WIRE_H_
