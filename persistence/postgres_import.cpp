#include <unordered_map>

#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

// FOR SHARE: an existing advertiser's type cannot change under the import.
constexpr query select_created_as{
  "cdp_import_created_as",
  "SELECT advertiser_id, backfill_start_month IS NOT NULL FROM advertisers"
  " WHERE advertiser_id = ANY ($1::text[]) FOR SHARE"};

constexpr query deactivate_imported{
  "cdp_import_deactivate",
  "UPDATE advertisers SET active = false, deactivation_reason = $2::text"
  " WHERE advertiser_id = ANY ($1::text[])"};

constexpr query select_imported{
  "cdp_import_select",
  "SELECT " CDP_PG_ADVERTISER_COLUMNS " FROM advertisers a"
  " WHERE a.advertiser_id = ANY ($1::text[]) ORDER BY a.advertiser_id"};

} // namespace

expected<import_outcome> postgres_store::import_advertisers(std::span<const import_row> rows,
                                                            year_month current,
                                                            int backfill_months,
                                                            int max_retries, timestamp now,
                                                            bool dry_run,
                                                            const audit_note& note) {
  if (auto valid = validate_import(rows, backfill_months, max_retries); !valid)
    return std::move(valid).error();
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows)
    ids.push_back(row.advertiser_id);
  auto id_array = pg::text_array(ids);
  return conn_->transact([&]() -> expected<import_outcome> {
    auto found = conn_->exec(select_created_as, params{}.add(id_array));
    if (!found)
      return std::move(found).error();
    std::unordered_map<std::string, advertiser_type> stored;
    for (int r = 0; r < found->rows(); ++r)
      stored.emplace(found->string(r, 0), found->boolean(r, 1) ? advertiser_type::new_advertiser
                                                               : advertiser_type::existing);
    auto plan = plan_import(rows, std::move(stored));
    auto out = outcome_of(plan);
    if (dry_run)
      return out;
    std::vector<audit_entry> audited;
    audited.reserve(plan.create.size() + out.refused.size());
    for (const auto& request : plan.create)
      audited.push_back(audit_of(audit_action::import, note, request.id, std::nullopt, now));
    for (const auto& r : out.refused)
      audited.push_back(refusal_of(audit_action::import, note, r.advertiser_id, std::nullopt,
                                   import_refusal_failure(r), now));
    if (auto r = insert_audits(audited); !r)
      return std::move(r).error();
    if (plan.create.empty())
      return out;
    // A concurrent creation of one of these ids is a conflict here, and the
    // whole part rolls back.
    if (auto made = insert_advertiser_chunk(plan.create, current, backfill_months, max_retries,
                                            now);
        !made)
      return std::move(made).error();
    if (!plan.inactive.empty()) {
      auto off = conn_->exec(deactivate_imported, params{}
                                                    .add(pg::text_array(plan.inactive))
                                                    .add(std::string_view{imported_inactive}));
      if (!off)
        return std::move(off).error();
    }
    std::vector<std::string> created;
    created.reserve(plan.create.size());
    for (const auto& request : plan.create)
      created.push_back(request.id);
    auto records = pg::rows_of(conn_->exec(select_imported, params{}.add(pg::text_array(created))),
                               pg::advertiser_at);
    if (!records)
      return std::move(records).error();
    out.records = std::move(*records);
    return out;
  });
}

} // namespace cdp
