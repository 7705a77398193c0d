// File: core/plugin_runner/wire.cc

#include "core/plugin_runner/wire.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace rapport::runner {
namespace {

// Waits until `fd` is readable (or writable: `events` POLLOUT) or the
// deadline passes; false on timeout.
bool Wait(int fd, int64_t deadline_micros, short events = POLLIN) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline_micros > 0) {
      const int64_t left = deadline_micros - MonotonicMicros();
      if (left <= 0) return false;
      timeout_ms = static_cast<int>((left + 999) / 1000);
    }
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let read report the error
  }
}

// Reads exactly `size` bytes.
ReadStatus ReadFull(int fd, char* data, size_t size, int64_t deadline_micros) {
  size_t done = 0;
  while (done < size) {
    if (!Wait(fd, deadline_micros)) return ReadStatus::kTimeout;
    const ssize_t n = read(fd, data + done, size - done);
    if (n == 0) return ReadStatus::kClosed;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ReadStatus::kClosed;
    }
    done += static_cast<size_t>(n);
  }
  return ReadStatus::kOk;
}

}  // namespace

int64_t MonotonicMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

bool WriteFrame(int fd, const v1::Frame& frame, int64_t deadline_micros) {
  const size_t size = frame.ByteSizeLong();
  if (size > kMaxFrameBytes) return false;
  std::string bytes(4 + size, '\0');
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  if (!frame.SerializeToArray(bytes.data() + 4, static_cast<int>(size))) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    // MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE.
    const ssize_t n =
        send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && Wait(fd, deadline_micros, POLLOUT)) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

ReadStatus ReadFrame(int fd, v1::Frame* frame, int64_t deadline_micros) {
  unsigned char header[4];
  ReadStatus s = ReadFull(fd, reinterpret_cast<char*>(header), 4, deadline_micros);
  if (s != ReadStatus::kOk) return s;
  const uint32_t size = static_cast<uint32_t>(header[0]) | static_cast<uint32_t>(header[1]) << 8 |
                        static_cast<uint32_t>(header[2]) << 16 |
                        static_cast<uint32_t>(header[3]) << 24;
  if (size > kMaxFrameBytes) return ReadStatus::kBroken;
  // In chunks, so a peer that claims 64 MiB and sends nothing costs nothing.
  constexpr size_t kChunk = 64 << 10;
  std::string body;
  while (body.size() < size) {
    const size_t at = body.size();
    const size_t n = std::min<size_t>(kChunk, size - at);
    body.resize(at + n);
    s = ReadFull(fd, body.data() + at, n, deadline_micros);
    if (s != ReadStatus::kOk) return s;
  }
  if (!frame->ParseFromString(body)) return ReadStatus::kBroken;
  return ReadStatus::kOk;
}

bool SendFd(int socket, int fd, int64_t deadline_micros) {
  char byte = 'f';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  for (;;) {
    if (sendmsg(socket, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) return true;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && Wait(socket, deadline_micros, POLLOUT))
      continue;
    return false;
  }
}

int ReceiveFd(int socket) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  for (;;) {
    const ssize_t n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (n == 1) break;
    if (n < 0 && errno == EINTR) continue;
    return -1;
  }
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

}  // namespace rapport::runner
