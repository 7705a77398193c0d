// File: tools/rapportctl/progress.h
//
// Progress of a long command on stderr: a bar redrawn in place when stderr
// is a terminal, otherwise a plain line every 5 seconds and one at the end
// (what logs and tests read). Used by import, export, backup and backfill.
//
//   Progress progress("export", "records");
//   progress.Update(n);                  // unknown total: a count and a rate
//   progress.Update(n, 0.42);            // known fraction: a bar and an ETA
//   progress.Finish(n);
#ifndef RAPPORT_TOOLS_RAPPORTCTL_PROGRESS_H_
#define RAPPORT_TOOLS_RAPPORTCTL_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>

namespace rapport::ctl {

class Progress {
 public:
  // `what`: the command ("import"); `unit`: what is counted ("rows").
  Progress(std::string what, std::string unit);

  // `fraction` in 0..1, or negative when the total is unknown.
  void Update(uint64_t count, double fraction = -1);
  // The last line (on a terminal, ends the bar's line).
  void Finish(uint64_t count, double fraction = -1);
  // Work whose amount is unknown until it ends (a backup): the time so far,
  // then how long it took.
  void Waiting();
  void Done();
  // The work failed or was given up: on a terminal, ends the progress line
  // so the error that follows starts on its own.
  void Abandon();
  // Runs `work` on a thread of its own and shows Waiting() until it returns.
  template <typename Work>
  auto WaitFor(Work work) -> decltype(work());

  double seconds() const;

 private:
  void Draw(uint64_t count, double fraction, bool finished);

  std::string what_, unit_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  double last_plain_ = -10;
  double last_drawn_ = -1;
};

template <typename Work>
auto Progress::WaitFor(Work work) -> decltype(work()) {
  auto result = std::async(std::launch::async, std::move(work));
  while (result.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) Waiting();
  return result.get();
}

}  // namespace rapport::ctl

#endif  // RAPPORT_TOOLS_RAPPORTCTL_PROGRESS_H_
