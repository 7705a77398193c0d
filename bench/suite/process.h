// File: bench/suite/process.h
//
// Child processes and what /proc says about them: CPU time, peak and
// proportional memory, and the size of a data directory.
#ifndef RAPPORT_BENCH_SUITE_PROCESS_H_
#define RAPPORT_BENCH_SUITE_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rapport::bench {

struct SpawnOptions {
  // Run as this user (only when we are root): uid and gid.
  std::optional<std::pair<uid_t, gid_t>> user;
  bool pipe_stdin = false;
  bool pipe_stdout = false;
  // Where stdout (unless piped) and stderr go; empty: inherited.
  std::string log_file;
};

class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Spawn(const std::vector<std::string>& argv,
                                            const SpawnOptions& options);
  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Reads one line from the child's stdout (pipe_stdout), waiting up to
  // `timeout_ms`.
  absl::StatusOr<std::string> ReadLine(int timeout_ms);
  // Closes the child's stdin (the server processes take it as "shut down").
  void CloseStdin();
  // Waits for exit up to `timeout_ms`, then SIGKILLs. Returns the exit status.
  int Wait(int timeout_ms);
  void Signal(int sig);

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
};

// Sum of user and system CPU seconds of `pid` (all threads), plus its
// reaped children's when `with_children`.
double ProcessCpuSeconds(pid_t pid, bool with_children);
// Direct children of `pid`.
std::vector<pid_t> ChildPids(pid_t pid);
// A "VmHWM:"-style field of /proc/<pid>/status, in bytes (0 if absent).
int64_t ProcStatusBytes(pid_t pid, const char* field);
// Proportional set size of `pid` (shared pages divided among their users).
int64_t ProcPssBytes(pid_t pid);
// Resets the peak RSS (VmHWM) of `pid` to its current RSS.
bool ResetPeakRss(pid_t pid);
// CPU seconds of the calling thread.
double ThreadCpuSeconds();
double SelfCpuSeconds();
// CPU seconds the whole machine spent busy (all processes; /proc/stat).
double MachineBusySeconds();

// Apparent size of every regular file under `dir`; `is_wal(path)` marks the
// ones counted as write-ahead log.
struct DirSize {
  int64_t total = 0;
  int64_t wal = 0;
};
DirSize DirectorySize(const std::string& dir,
                      const std::function<bool(const std::string&)>& is_wal);

// Output of a command (stdout), trimmed; empty on failure.
std::string CommandOutput(const std::string& command);

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_SUITE_PROCESS_H_
