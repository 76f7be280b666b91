#include "domain/month_state.hpp"

namespace cdp {

std::string_view to_string(month_status status) {
  switch (status) {
    case month_status::pending: return "PENDING";
    case month_status::running: return "RUNNING";
    case month_status::completed: return "COMPLETED";
    case month_status::failed: return "FAILED";
  }
  return "UNKNOWN";
}

std::optional<month_status> parse_month_status(std::string_view text) {
  for (auto s : {month_status::pending, month_status::running,
                 month_status::completed, month_status::failed})
    if (to_string(s) == text)
      return s;
  return std::nullopt;
}

std::string_view to_string(month_event event) {
  switch (event) {
    case month_event::claim: return "claim";
    case month_event::complete: return "complete";
    case month_event::fail: return "fail";
    case month_event::reap: return "reap";
    case month_event::manual_retry: return "manual retry";
  }
  return "unknown";
}

std::string truncate_error_message(std::string_view message) {
  if (message.size() <= max_error_message)
    return std::string{message};
  auto cut = max_error_message;
  // Step back over UTF-8 continuation bytes (10xxxxxx) to a character start.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80)
    --cut;
  return std::string{message.substr(0, cut)};
}

expected<month_status> next_status(month_status from, month_event event) {
  using enum month_status;
  switch (event) {
    case month_event::claim:
      if (from == pending || from == failed || from == completed)
        return running;
      break;
    case month_event::complete:
      if (from == running)
        return completed;
      break;
    case month_event::fail:
    case month_event::reap:
      if (from == running)
        return failed;
      break;
    case month_event::manual_retry:
      if (from != running)
        return pending;
      break;
  }
  return make_failure(errc::conflict, "a " + std::string{to_string(from)}
                                        + " month cannot take a "
                                        + std::string{to_string(event)});
}

} // namespace cdp
