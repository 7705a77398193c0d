#include "tools/rapportctl/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

namespace rapport::ctl {

Progress::Progress(std::string what, std::string unit)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Update(uint64_t count, double fraction) { Draw(count, fraction, false); }
void Progress::Finish(uint64_t count, double fraction) { Draw(count, fraction, true); }

void Progress::Waiting() {
  const double s = seconds();
  if (tty_) {
    std::fprintf(stderr, "\r%s: working, %.1fs   ", what_.c_str(), s);
    last_drawn_ = s;
  } else if (s - last_plain_ >= 5) {
    last_plain_ = s;
    std::fprintf(stderr, "%s: working, %.0fs\n", what_.c_str(), s);
  }
}

void Progress::Done() {
  std::fprintf(stderr, "%s%s: done in %.1fs%s\n", tty_ ? "\r" : "", what_.c_str(), seconds(),
               tty_ ? "        " : "");
}

void Progress::Abandon() {
  if (tty_ && last_drawn_ >= 0) std::fprintf(stderr, "\n");
}

void Progress::Draw(uint64_t count, double fraction, bool finished) {
  const double s = seconds();
  const double rate = s > 0 ? static_cast<double>(count) / s : 0;
  const auto n = static_cast<unsigned long long>(count);
  if (tty_) {
    // At most 10 redraws a second.
    if (!finished && s - last_drawn_ < 0.1) return;
    last_drawn_ = s;
    if (fraction >= 0) {
      const double eta = fraction > 0 && !finished ? s * (1 - fraction) / fraction : 0;
      const int filled = static_cast<int>(std::min(fraction, 1.0) * 30);
      std::fprintf(stderr, "\r%s [%-30s] %5.1f%%  %llu %s  %.0f %s/s  %s %ds   ", what_.c_str(),
                   std::string(static_cast<size_t>(filled), '=').c_str(), fraction * 100, n,
                   unit_.c_str(), rate, unit_.c_str(), finished ? "took" : "ETA",
                   static_cast<int>(finished ? s : eta));
    } else {
      std::fprintf(stderr, "\r%s: %llu %s  %.0f %s/s  %.1fs   ", what_.c_str(), n, unit_.c_str(),
                   rate, unit_.c_str(), s);
    }
    if (finished) std::fprintf(stderr, "\n");
    return;
  }
  if (!finished && s - last_plain_ < 5) return;
  last_plain_ = s;
  if (fraction >= 0) {
    std::fprintf(stderr, "%s: %llu %s (%.1f%%), %.0f %s/s%s\n", what_.c_str(), n, unit_.c_str(),
                 fraction * 100, rate, unit_.c_str(), finished ? ", done" : "");
  } else {
    std::fprintf(stderr, "%s: %llu %s, %.0f %s/s%s\n", what_.c_str(), n, unit_.c_str(), rate,
                 unit_.c_str(), finished ? ", done" : "");
  }
}

}  // namespace rapport::ctl
