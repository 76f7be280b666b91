#pragma once

// The audit trail: who changed what, why, and whether it was done. The rows
// are written by the store in the transaction of the change they record, so
// no change exists without its row; refusals, which change nothing, are
// recorded on their own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"

namespace cdp {

enum class audit_action : uint8_t { create, import, trigger, retry, activate, deactivate, probe };

/// `create`, `import`, `trigger`, `retry`, `activate`, `deactivate`, `probe`.
std::string_view to_string(audit_action action);
std::optional<audit_action> parse_audit_action(std::string_view text);

enum class audit_outcome : uint8_t { done, refused };

/// `done`, `refused`.
std::string_view to_string(audit_outcome outcome);
std::optional<audit_outcome> parse_audit_outcome(std::string_view text);

/// Who the engine's own actions are recorded as.
inline constexpr const char* engine_caller = "engine";
/// Who the daemon's `--demo` seeding is recorded as.
inline constexpr const char* demo_caller = "demo";
/// Who an anonymous caller is, when no token is configured.
inline constexpr const char* anonymous_caller = "anonymous";
/// Who a caller is whose token was refused.
inline constexpr const char* unauthenticated_caller = "unauthenticated";
/// Who the single configured token (http.token) names.
inline constexpr const char* default_caller = "default";

/// Why the engine probed a deactivated advertiser, and why it activated one.
inline constexpr const char* probe_reason = "half-open trial of a deactivated advertiser";
inline constexpr const char* probe_success_reason = "a probe succeeded";

/// What a change records beside itself: the caller, their reason and the node
/// that made the change.
struct audit_note {
  std::string who;
  std::string reason;
  std::string node;
};

/// What an operator's change carries beside its arguments: the API token
/// that says who they are ("" for none) and why they make the change.
struct operator_call {
  std::string token;
  std::string reason;
  /// The admin port's verified client certificate subject (RFC 2253, say
  /// "CN=alice,O=Example"), "" for none. Set only by the admin actor, which
  /// overwrites whatever a console sent. (The initializer keeps
  /// `operator_call{token, reason}` free of -Wmissing-field-initializers.)
  std::string subject = {};
};

/// One row of the trail.
struct audit_entry {
  /// Increasing in insertion order; the keyset of paging.
  int64_t seq = 0;
  timestamp at{};
  std::string who;
  audit_action action = audit_action::create;
  /// "" for an action on no advertiser (a refused import part).
  std::string advertiser_id;
  std::optional<year_month> month;
  std::string node;
  std::string reason;
  audit_outcome outcome = audit_outcome::done;
  /// Why it was refused; "" when done.
  std::string error;
};

/// The row a change records, `note` saying who and why.
audit_entry audit_of(audit_action action, const audit_note& note, std::string advertiser_id,
                     std::optional<year_month> month, timestamp at);

/// The row of a refused action: nothing changed, `error` says why.
audit_entry refusal_of(audit_action action, const audit_note& note, std::string advertiser_id,
                       std::optional<year_month> month, const failure& error, timestamp at);

/// Whether an error is a refusal (the action surely changed nothing), rather
/// than an answer that did not come (a timeout: the change may be done).
bool is_refusal(errc code);

/// A checked audit query: newest first, keyset on seq.
struct audit_filter {
  /// "" for every advertiser.
  std::string advertiser_id;
  /// Only rows at or after this instant.
  std::optional<timestamp> since;
  /// Only rows older than this seq (the previous page's `next`).
  std::optional<int64_t> before;
  int limit = 100;
};

struct audit_page {
  std::vector<audit_entry> entries;
  /// The seq to pass as `next` for the following (older) page; nullopt on
  /// the last one.
  std::optional<int64_t> next;
};

/// An audit query as typed (REST query string, console flags).
struct audit_query {
  /// "" for every advertiser.
  std::string advertiser_id;
  /// "" for all time, else a duration back from now: `30m`, `1h`, `7d`.
  std::string since;
  /// "" for 100, else 1–1000.
  std::string limit;
  /// "" from the newest, else the previous page's `next`.
  std::string next;
};

} // namespace cdp
