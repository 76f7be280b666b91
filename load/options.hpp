#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace cdp::load {

/// What one cdpload run does (see `cdpload --help`).
struct options {
  int64_t advertisers = 1000;
  /// Share of the advertisers that are NEW and backfill `months` months.
  double new_ratio = 0.2;
  int months = 24;
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds jitter{0};
  double failure_rate = 0.0;
  bool fail_first_only = false;
  int runners = 20;
  /// Claimed jobs that may wait for a runner.
  int queue = 1000;
  std::chrono::milliseconds tick = std::chrono::minutes{1};
  /// Delay before an automatic retry.
  std::chrono::milliseconds backoff{0};
  /// Unset: until every advertiser did its work once.
  std::optional<std::chrono::milliseconds> duration;
  uint64_t seed = 1;
  /// The report as JSON too ("" for none).
  std::string json_file;
  /// sqlite://PATH or postgresql://…; "" for a temporary SQLite file.
  std::string store_url;
  /// host:port of a running daemon's admin port ("" to run the engine in
  /// process), and how to reach it: the file holding the API token (else
  /// CDPBATCH_API_TOKEN), mutual TLS files, the longest wait for an answer.
  std::string target;
  std::string token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::chrono::milliseconds timeout = std::chrono::seconds{30};
  /// Then runs the same work one advertiser after another and compares.
  bool sequential = false;

  int64_t new_count() const;
  int64_t existing_count() const { return advertisers - new_count(); }
  /// Months that must complete once: every NEW one's backfill, every
  /// EXISTING one's current month.
  int64_t months_due() const { return new_count() * months + existing_count(); }
};

/// Not a run: --help's text (exit 0) or a usage error (exit 2).
struct parse_exit {
  int code = 2;
  std::string text;
};

/// The command line, validated: every bad value is a clear message naming
/// the option, and nothing runs.
std::variant<options, parse_exit> parse_options(int argc, const char* const* argv);

} // namespace cdp::load
