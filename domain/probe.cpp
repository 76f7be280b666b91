#include "domain/probe.hpp"

#include <algorithm>

namespace cdp {

namespace {

constexpr std::string_view failure_prefix = "month ";

} // namespace

std::string failure_deactivation(year_month month, std::string_view how, int retries,
                                 std::string_view error) {
  auto reason = std::string{failure_prefix} + month.to_string() + " " + std::string{how}
                + " after " + std::to_string(retries) + " retries";
  if (!error.empty())
    reason += ": " + std::string{error};
  return reason;
}

bool deactivated_by_failure(const advertiser& who) {
  return !who.active && who.deactivation_reason.starts_with(failure_prefix);
}

probe_decision plan_probe(const advertiser& who, std::span<const month_state> months,
                          timestamp now, const probe_policy& policy) {
  probe_decision d;
  if (!policy.enabled || !deactivated_by_failure(who))
    return d;
  const month_state* target = nullptr;
  for (const auto& m : months)
    if (m.status == month_status::failed && m.retry_count >= m.max_retries
        && (target == nullptr || m.month < target->month))
      target = &m;
  if (target == nullptr)
    return d;
  d.month = target->month;
  d.at = target->updated_at + policy.interval;
  d.what = d.at > now ? probe_decision::kind::wait : probe_decision::kind::run;
  return d;
}

} // namespace cdp
