#include "domain/import_rules.hpp"

#include <algorithm>

namespace cdp {

advertiser_type created_as(const advertiser& who) {
  return who.backfill_start_month ? advertiser_type::new_advertiser : advertiser_type::existing;
}

import_decision decide_import(const import_row& row, std::optional<advertiser_type> stored_as) {
  if (!stored_as)
    return {import_verdict::create, {}};
  if (*stored_as == row.type)
    return {import_verdict::skip, {}};
  return {import_verdict::refuse, "advertiser '" + row.advertiser_id + "' exists as "
                                    + std::string{to_string(*stored_as)} + ", the row says "
                                    + std::string{to_string(row.type)}
                                    + ": an import never changes an existing advertiser"};
}

import_plan plan_import(std::span<const import_row> rows,
                        std::unordered_map<std::string, advertiser_type> stored) {
  import_plan plan;
  for (const auto& row : rows) {
    auto known = stored.find(row.advertiser_id);
    auto decision = decide_import(row, known == stored.end() ? std::nullopt
                                                              : std::optional{known->second});
    switch (decision.verdict) {
      case import_verdict::create:
        plan.create.push_back({row.advertiser_id, row.name, row.type});
        if (!row.active)
          plan.inactive.push_back(row.advertiser_id);
        stored.emplace(row.advertiser_id, row.type);
        break;
      case import_verdict::skip: ++plan.skipped; break;
      case import_verdict::refuse:
        plan.refused.push_back({row.row, row.advertiser_id, std::move(decision.reason)});
        break;
    }
  }
  return plan;
}

namespace {

void keep_first(std::vector<import_refusal>& listed) {
  std::stable_sort(listed.begin(), listed.end(),
                   [](const import_refusal& a, const import_refusal& b) { return a.row < b.row; });
  if (listed.size() > import_report_refusals)
    listed.resize(import_report_refusals);
}

} // namespace

void add_refusal(import_report& report, import_refusal refusal) {
  ++report.refused;
  auto& listed = report.first_refused;
  auto at = std::upper_bound(
    listed.begin(), listed.end(), refusal.row,
    [](int64_t row, const import_refusal& r) { return row < r.row; });
  if (at == listed.end() && listed.size() >= import_report_refusals)
    return;
  listed.insert(at, std::move(refusal));
  if (listed.size() > import_report_refusals)
    listed.pop_back();
}

void merge(import_report& whole, const import_report& part) {
  whole.rows += part.rows;
  whole.created += part.created;
  whole.skipped += part.skipped;
  whole.refused += part.refused;
  whole.first_refused.insert(whole.first_refused.end(), part.first_refused.begin(),
                             part.first_refused.end());
  keep_first(whole.first_refused);
}

} // namespace cdp
