// File: tests/testing/rapportd_process.h
//
// Runs the real rapportd binary as a child process on 127.0.0.1:0 and reads
// the address it prints. For crash and signal tests.
#ifndef RAPPORT_TESTS_TESTING_RAPPORTD_PROCESS_H_
#define RAPPORT_TESTS_TESTING_RAPPORTD_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace rapport::testing {

class RapportdProcess {
 public:
  // Starts `binary` with the given extra flags; its stderr (the logfmt log)
  // goes to `stderr_path` when given, else is inherited. address() is empty
  // on failure.
  RapportdProcess(const std::string& binary, const std::string& data_dir,
                  std::vector<std::string> extra_flags = {}, const std::string& stderr_path = "") {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      if (!stderr_path.empty()) {
        FILE* err = std::fopen(stderr_path.c_str(), "w");
        if (err == nullptr) _exit(126);
        dup2(fileno(err), STDERR_FILENO);
      }
      std::vector<std::string> args = {binary, "--data-dir", data_dir, "--listen", "127.0.0.1:0"};
      for (auto& f : extra_flags) args.push_back(f);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
    char line[256];
    const std::string marker = "rapportd listening on ";
    while (stdout_ && fgets(line, sizeof line, stdout_)) {
      std::string s(line);
      if (s.rfind(marker, 0) == 0) {
        address_ = s.substr(marker.size());
        while (!address_.empty() && (address_.back() == '\n' || address_.back() == '\r'))
          address_.pop_back();
        break;
      }
    }
  }
  ~RapportdProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_) fclose(stdout_);
  }

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits; returns the wait status.
  int KillAndWait(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

  // SIGTERM, then waits up to `limit`; returns the wait status, or -1 if the
  // process was still running (it is then SIGKILLed by the destructor).
  int TerminateAndWait(std::chrono::seconds limit) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  FILE* stdout_ = nullptr;
  std::string address_;
};

}  // namespace rapport::testing

#endif  // RAPPORT_TESTS_TESTING_RAPPORTD_PROCESS_H_
