#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/access.hpp"
#include "domain/probe.hpp"
#include "domain/retry_policy.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// The daemon's whole configuration: `config.toml`, then `--set` overrides,
/// validated as one value before anything starts. Field comments name the key.
struct config {
  struct schedule_section {
    std::chrono::milliseconds tick_interval = std::chrono::minutes{5};
    std::string timezone = "UTC";
    /// Pins "now" to a month; nullopt follows the clock.
    std::optional<year_month> current_month;
  } schedule;

  /// backfill.months
  int backfill_months = 24;

  /// retry.*
  retry_policy retry;

  struct reaper_section {
    std::chrono::milliseconds interval = std::chrono::minutes{10};
    std::chrono::milliseconds stale_after = std::chrono::minutes{30};
  } reaper;

  /// batch.thread-pool.*
  struct pool_section {
    int core_size = 5;
    int max_size = 20;
    int queue_capacity = 100;
    /// batch.backfill_share: the share of the runners (and of the places in
    /// their queue) a backfill always gets while it has work, however much
    /// live work waits.
    double backfill_share = 0.25;
  } pool;

  struct job_section {
    std::string kind = "cdp-profile";
    std::chrono::milliseconds timeout = std::chrono::minutes{25};
    std::vector<std::string> command_argv;
    struct simulated_section {
      std::chrono::milliseconds latency = std::chrono::milliseconds{200};
      std::chrono::milliseconds latency_jitter{0};
      double failure_rate = 0.0;
      uint64_t seed = 1;
      /// Only a month's first attempt may fail (benchmarks with a known
      /// number of retries).
      bool fail_first_attempt_only = false;
    } simulated;
  } job;

  struct store_section {
    std::string url = "sqlite://var/cdpbatch.db";
  } store;

  struct http_section {
    std::string listen = "127.0.0.1:8080";
    std::string token;
    /// http.request_timeout: a connection that has not sent a whole request
    /// (headers and body) this long after it opened or got its last answer
    /// is closed, however slowly it trickles.
    std::chrono::milliseconds request_timeout = std::chrono::seconds{10};
    /// http.max_body: the largest bulk import file POST
    /// /api/v2/batch/advertisers:bulk takes, in bytes (other bodies: 64 KiB).
    int64_t max_body = 32 * 1024 * 1024;
  } http;

  struct api_section {
    /// api.allow_anonymous: an http.listen other than loopback with no
    /// token is refused at start unless this says it is meant.
    bool allow_anonymous = false;
    /// [[api.tokens]]: named tokens with their roles, beside http.token.
    std::vector<api_token> tokens;
  } api;

  /// audit.*
  struct audit_section {
    /// How long audit rows are kept; the reaper deletes older ones.
    std::chrono::milliseconds retention = std::chrono::hours{24 * 90};
  } audit;

  struct admin_section {
    std::string listen = "127.0.0.1:4242";
    std::string tls_cert;
    std::string tls_key;
    std::string tls_ca;
    /// admin.heartbeat_interval: both ends send one this often.
    std::chrono::milliseconds heartbeat_interval = std::chrono::seconds{5};
    /// admin.connection_timeout: a peer silent this long, or still without
    /// a finished handshake, is dropped.
    std::chrono::milliseconds connection_timeout = std::chrono::seconds{30};
    /// [admin.roles]: certificate subjects and their roles on the admin port.
    subject_roles roles;
  } admin;

  struct log_section {
    std::string level = "info";
    std::string file = "var/log/cdpbatchd.log";
  } log;

  struct node_section {
    /// Names this daemon's claims; empty = the host name.
    std::string id;
    /// How often the node renews its heartbeat (and balances its leases).
    std::chrono::milliseconds heartbeat = std::chrono::seconds{5};
    /// A node silent this long is dead: its leases and months go to others.
    std::chrono::milliseconds lease_ttl = std::chrono::seconds{30};
    /// At most this many leases taken a round; rounds follow at once while
    /// more are to be had (a bulk import), so no take outlasts a heartbeat.
    int64_t lease_batch = 10'000;
  } node;

  /// probe.enabled / probe.interval: half-open trials of advertisers a
  /// failed month deactivated.
  probe_policy probe;
};

/// Every API token: http.token as the operate token `default`, then
/// [[api.tokens]]. Empty when none is configured.
std::vector<api_token> api_tokens(const config& cfg);

/// `host:port` split; port 0 lets the OS choose.
struct listen_address {
  std::string host;
  uint16_t port = 0;
};

std::optional<listen_address> parse_listen_address(const std::string& text);

/// 127.0.0.0/8, ::1 or localhost: reachable from this host only.
bool is_loopback_host(const std::string& host);

/// Loads `path` (empty: defaults only), applies `overrides` (`key=value`, in
/// order) and validates the result. On failure, every problem found, one per
/// line, each naming the file or override, the key and the reason.
struct config_result {
  std::optional<config> value;
  std::vector<std::string> errors;
};

/// Who reads the configuration. A client (cdpctl) has no use for the API's
/// tokens, whose token_env variables live in the daemon's environment, so it
/// skips [[api.tokens]] and [admin.roles].
enum class config_reader { daemon, client };

config_result load_config(const std::string& path,
                          const std::vector<std::string>& overrides,
                          const config& defaults = {},
                          config_reader reader = config_reader::daemon);

/// config.toml as shipped: every key at its default, with its comments.
std::string_view default_config_text();

/// The defaults of a daemon started without a configuration file: its store
/// and log under `$XDG_STATE_HOME/cdpbatch` when that names an absolute
/// folder (the XDG base directory rule), else config.toml's, under var/ in
/// the working directory.
config defaults_without_file(const char* xdg_state_home);

/// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`, for
/// logs and printed configuration.
std::string redact_password(const std::string& url);

/// The effective configuration as TOML, with the API token and the store's
/// password redacted.
std::string render_config(const config& cfg);

} // namespace cdp
