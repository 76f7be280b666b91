#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace cdp::load {

/// Where a run is, as the progress display shows it.
struct progress_view {
  int64_t months_done = 0;
  int64_t months_due = 0;
  double jobs_per_s = 0;
  double elapsed_s = 0;
  /// This process's; none when the work runs in another (a daemon).
  std::optional<double> rss_mb;
};

/// "[######------]  1234/5000 months  4321 jobs/s  ETA 3s  80 MB" in `width` columns.
std::string progress_bar(const progress_view& p, int width);
/// One plain line for logs: "cdpload: 1234/5000 months, 4321 jobs/s, 2.0 s, ETA 3s, RSS 80 MB".
std::string progress_line(const progress_view& p);

/// Progress on a stream: a bar redrawn in place on a terminal, a plain line
/// every few seconds otherwise.
class progress_display {
public:
  explicit progress_display(std::FILE* out);
  /// Shows `p` if it is time to.
  void show(const progress_view& p);
  /// Ends the bar's line.
  void finish(const progress_view& p);

private:
  std::FILE* out_;
  bool terminal_;
  std::chrono::steady_clock::time_point last_{};
};

} // namespace cdp::load
