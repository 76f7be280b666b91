#include "persistence/store.hpp"

#include <string_view>
#include <unordered_set>

namespace cdp {

namespace {

expected<transition_outcome> apply_one(store& s, transition t, timestamp now) {
  auto outcomes = s.apply(std::span<const transition>{&t, 1}, now);
  if (!outcomes)
    return std::move(outcomes).error();
  return std::move(outcomes->front());
}

} // namespace

status validate_creation(std::span<const new_advertiser> requests, int backfill_months,
                         int max_retries) {
  if (backfill_months < 1 || max_retries < 0)
    return make_failure(errc::invalid_argument,
                        "backfill months must be at least 1 and max retries not negative, got "
                          + std::to_string(backfill_months) + " and "
                          + std::to_string(max_retries));
  std::unordered_set<std::string_view> seen;
  for (const auto& request : requests) {
    if (auto valid = validate(request); !valid)
      return valid;
    if (!seen.insert(request.id).second)
      return make_failure(errc::conflict,
                          "advertiser '" + request.id + "' appears twice in one creation");
  }
  return ok;
}

status validate_import(std::span<const import_row> rows, int backfill_months, int max_retries) {
  if (rows.size() > import_chunk_rows)
    return make_failure(errc::invalid_argument,
                        "an import transaction takes at most " + std::to_string(import_chunk_rows)
                          + " rows, got " + std::to_string(rows.size()));
  if (auto limits = validate_creation({}, backfill_months, max_retries); !limits)
    return limits;
  for (const auto& row : rows)
    if (auto valid = validate(new_advertiser{row.advertiser_id, row.name, row.type}); !valid)
      return make_failure(errc::invalid_argument,
                          "row " + std::to_string(row.row) + ": " + valid.error().message);
  return ok;
}

import_outcome outcome_of(import_plan& plan) {
  import_outcome out;
  out.created = static_cast<int64_t>(plan.create.size());
  out.skipped = plan.skipped;
  out.refused = std::move(plan.refused);
  return out;
}

audit_page audit_page_of(std::vector<audit_entry> rows, int limit) {
  audit_page page;
  page.entries = std::move(rows);
  if (page.entries.size() > static_cast<size_t>(limit)) {
    page.entries.pop_back();
    page.next = page.entries.back().seq;
  }
  return page;
}

failure import_refusal_failure(const import_refusal& r) {
  return make_failure(errc::conflict, "row " + std::to_string(r.row) + ": " + r.reason);
}

bool lease_allows(const std::string& holder, int64_t held_epoch, const std::string& node,
                  int64_t epoch) {
  if (held_epoch < 0)
    return epoch == 0;
  return !holder.empty() && holder == node && held_epoch == epoch;
}

std::string lease_refusal(const std::string& id, const std::string& holder, int64_t held_epoch,
                          const std::string& node, int64_t epoch) {
  auto held = held_epoch < 0 ? std::string{"nobody (never leased)"}
              : holder.empty()
                ? "nobody (free since epoch " + std::to_string(held_epoch) + ")"
                : "node '" + holder + "' at epoch " + std::to_string(held_epoch);
  return "advertiser '" + id + "' is leased to " + held + ", not to '" + node + "' at epoch "
         + std::to_string(epoch) + ": refused, that node must drop the advertiser";
}

expected<transition_outcome> store::claim(claim_request r, timestamp now) {
  return apply_one(*this, std::move(r), now);
}

expected<transition_outcome> store::complete(complete_request r, timestamp now) {
  return apply_one(*this, std::move(r), now);
}

expected<transition_outcome> store::fail(fail_request r, timestamp now) {
  return apply_one(*this, std::move(r), now);
}

} // namespace cdp
