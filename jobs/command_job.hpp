#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/month_job.hpp"

namespace cdp {

/// `argv` with `{advertiser}` and `{month}` replaced in every argument.
std::vector<std::string> substitute_arguments(const std::vector<std::string>& argv,
                                              const std::string& advertiser_id,
                                              year_month month);

/// The counts a program reports on its last non-empty stdout line,
/// `{"processed":N,"failed":M}`; nullopt when that line is anything else.
struct reported_counts {
  int64_t processed = 0;
  int64_t failed = 0;
};
std::optional<reported_counts> parse_reported_counts(std::string_view stdout_text);

/// The end of a program's stderr that goes into the error message: its last
/// ~900 bytes (whole UTF-8 characters), trailing white space dropped, so the
/// message fits the month's 1000-byte error_message.
std::string stderr_tail(std::string_view stderr_text);

/// The `command` job: runs a configured program per month (no shell), in its
/// own process group, killed as a group when the request's timeout passes.
/// Exit 0 is success; a non-zero exit or a signal is a failure carrying the
/// stderr tail.
class command_job final : public month_job {
public:
  explicit command_job(std::vector<std::string> argv,
                       std::chrono::milliseconds kill_grace = std::chrono::seconds{2})
    : argv_(std::move(argv)), kill_grace_(kill_grace) {}

  job_result run(const job_request& request) override;

private:
  std::vector<std::string> argv_;
  std::chrono::milliseconds kill_grace_;
};

} // namespace cdp
