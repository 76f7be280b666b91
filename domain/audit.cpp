#include "domain/audit.hpp"

#include <array>

namespace cdp {

namespace {

constexpr std::array action_names{"create",   "import",     "trigger", "retry",
                                  "activate", "deactivate", "probe"};
constexpr std::array outcome_names{"done", "refused"};

template <class Enum, size_t N>
std::optional<Enum> parse_name(const std::array<const char*, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i)
    if (text == names[i])
      return static_cast<Enum>(i);
  return std::nullopt;
}

} // namespace

std::string_view to_string(audit_action action) {
  auto i = static_cast<size_t>(action);
  return i < action_names.size() ? action_names[i] : "unknown";
}

std::optional<audit_action> parse_audit_action(std::string_view text) {
  return parse_name<audit_action>(action_names, text);
}

std::string_view to_string(audit_outcome outcome) {
  auto i = static_cast<size_t>(outcome);
  return i < outcome_names.size() ? outcome_names[i] : "unknown";
}

std::optional<audit_outcome> parse_audit_outcome(std::string_view text) {
  return parse_name<audit_outcome>(outcome_names, text);
}

audit_entry audit_of(audit_action action, const audit_note& note, std::string advertiser_id,
                     std::optional<year_month> month, timestamp at) {
  audit_entry e;
  e.at = at;
  e.who = note.who;
  e.action = action;
  e.advertiser_id = std::move(advertiser_id);
  e.month = month;
  e.node = note.node;
  e.reason = note.reason;
  return e;
}

audit_entry refusal_of(audit_action action, const audit_note& note, std::string advertiser_id,
                       std::optional<year_month> month, const failure& error, timestamp at) {
  auto e = audit_of(action, note, std::move(advertiser_id), month, at);
  e.outcome = audit_outcome::refused;
  e.error = error.message;
  return e;
}

bool is_refusal(errc code) {
  switch (code) {
    case errc::invalid_argument:
    case errc::not_found:
    case errc::conflict:
    case errc::unauthorized:
    case errc::forbidden:
    case errc::shutting_down:
      return true;
    default:
      return false;
  }
}

} // namespace cdp
