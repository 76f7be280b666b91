#include "jobs/command_job.hpp"

#include <string.h> // sigabbrev_np

#include <nlohmann/json.hpp>

#include "domain/duration.hpp"
#include "jobs/child_process.hpp"

namespace cdp {

namespace {

constexpr std::string_view white_space = " \t\r\n";

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string_view last_non_empty_line(std::string_view text) {
  for (;;) {
    auto end = text.find_last_not_of(white_space);
    if (end == std::string_view::npos)
      return {};
    text = text.substr(0, end + 1);
    auto start = text.find_last_of('\n');
    auto line = start == std::string_view::npos ? text : text.substr(start + 1);
    auto first = line.find_first_not_of(white_space);
    if (first != std::string_view::npos)
      return line.substr(first);
    text = text.substr(0, start);
  }
}

std::optional<int64_t> count_field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end())
    return int64_t{0};
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    return std::nullopt;
  return it->get<int64_t>();
}

std::string with_tail(std::string message, std::string_view stderr_text) {
  auto tail = stderr_tail(stderr_text);
  if (!tail.empty())
    message += ": " + tail;
  return message;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? "SIG" + std::string{abbrev} : "signal " + std::to_string(sig);
}

} // namespace

std::vector<std::string> substitute_arguments(const std::vector<std::string>& argv,
                                              const std::string& advertiser_id,
                                              year_month month) {
  std::vector<std::string> result = argv;
  auto month_text = month.to_string();
  for (auto& arg : result) {
    replace_all(arg, "{advertiser}", advertiser_id);
    replace_all(arg, "{month}", month_text);
  }
  return result;
}

std::optional<reported_counts> parse_reported_counts(std::string_view stdout_text) {
  auto line = last_non_empty_line(stdout_text);
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || (!json.contains("processed") && !json.contains("failed")))
    return std::nullopt;
  auto processed = count_field(json, "processed");
  auto failed = count_field(json, "failed");
  if (!processed || !failed)
    return std::nullopt;
  return reported_counts{*processed, *failed};
}

std::string stderr_tail(std::string_view stderr_text) {
  constexpr std::size_t keep = 900;
  auto end = stderr_text.find_last_not_of(white_space);
  if (end == std::string_view::npos)
    return {};
  auto text = stderr_text.substr(0, end + 1);
  if (text.size() > keep) {
    text = text.substr(text.size() - keep);
    // Do not start inside a multi-byte character.
    while (!text.empty() && (static_cast<unsigned char>(text.front()) & 0xC0) == 0x80)
      text.remove_prefix(1);
  }
  return std::string{text};
}

job_result command_job::run(const job_request& request) {
  try {
    process_limits limits;
    limits.timeout = request.timeout;
    limits.kill_grace = kill_grace_;
    auto ran = run_process(substitute_arguments(argv_, request.advertiser_id, request.month),
                           limits);
    if (!ran)
      return job_result{.error = ran.error().message};
    using ending = process_result::ending;
    switch (ran->how) {
      case ending::exited:
        if (ran->code == 0) {
          auto counts = parse_reported_counts(ran->stdout_tail).value_or(reported_counts{});
          return job_result{.succeeded = true,
                            .processed_records = counts.processed,
                            .failed_records = counts.failed,
                            .error = {}};
        }
        return job_result{.error = with_tail("exit status " + std::to_string(ran->code),
                                             ran->stderr_tail)};
      case ending::signalled:
        return job_result{.error = with_tail("killed by " + signal_name(ran->code),
                                             ran->stderr_tail)};
      case ending::timed_out:
        return job_result{.error = with_tail("timed out after " + format_duration(request.timeout),
                                             ran->stderr_tail)};
      case ending::unknown:
        break;
    }
    return job_result{.error = "the program's exit status was lost (is SIGCHLD ignored?)"};
  } catch (const std::exception& e) {
    return job_result{.error = std::string{"command job: "} + e.what()};
  }
}

} // namespace cdp
