#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "domain/access.hpp"
#include "domain/clock.hpp"
#include "domain/probe.hpp"
#include "runtime/write_health.hpp"

namespace cdp {

/// What the operator actor asks and how long it waits.
struct operator_settings {
  /// http.token and [[api.tokens]] (config api_tokens()); none: every
  /// caller is anonymous and may change.
  std::vector<api_token> tokens;
  /// admin.roles: the roles of consoles' certificate subjects.
  subject_roles roles;
  /// This daemon's node id, to tell its own running months from others'.
  std::string node_id;
  std::shared_ptr<const clock> clk;
  /// probe.*: `why` tells when a deactivated advertiser is probed next.
  probe_policy probe;
  /// Each question to another actor; past it the operation answers
  /// errc::timeout (the REST API's 503) instead of waiting.
  std::chrono::milliseconds ask_timeout = std::chrono::seconds{5};
  /// One import part's or bulk create's transaction (up to 1,000
  /// advertisers with their backfill months), longer than other questions:
  /// a busy store takes seconds for one. The REST API and the admin port
  /// wait a little longer than this.
  std::chrono::milliseconds import_timeout = std::chrono::seconds{25};
  /// The system status is counted over every advertiser: a count younger
  /// than this answers everyone (Prometheus, dashboards, the console), and
  /// is recounted ahead past half of it; past it they all wait for one recount.
  std::chrono::milliseconds status_max_age = std::chrono::seconds{1};
  /// Attempts shown with an advertiser, failures and backfills in a watch frame.
  int recent_attempts = 10;
  int watch_rows = 10;
  /// Its own store connections (at least one): operators' reads never
  /// queue behind the engine's, and spread over these.
  std::vector<store_reader_actor> readers;
  /// What the committers last saw: a store that answers reads may still
  /// refuse every write.
  std::shared_ptr<const write_health> writes;
  supervisor_actor supervisor;
  director_actor director;
  job_pool_actor pool;
};

struct operator_state {
  operator_settings settings;
  /// The last system status and when it was counted.
  std::optional<system_status> status;
  std::chrono::steady_clock::time_point counted_at{};
  /// Callers waiting for the first count.
  std::vector<caf::typed_response_promise<system_status>> status_waiters;
  bool counting = false;
  size_t next_reader = 0;

  static inline const char* name = "operator";
};

/// Every operation of the REST API and the console: validates what the
/// operator typed, checks the token on mutations, asks the engine's actors
/// (mutations go through director and supervisor, never behind their back).
operator_actor::behavior_type
operator_agent(operator_actor::stateful_pointer<operator_state> self, operator_settings settings);

} // namespace cdp
