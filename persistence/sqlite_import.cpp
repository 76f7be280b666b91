#include <unordered_map>

#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {
namespace sql {

constexpr const char* select_created_as =
  "SELECT backfill_start_month IS NOT NULL FROM advertisers WHERE advertiser_id = ?1";

constexpr const char* deactivate_imported = R"sql(
UPDATE advertisers SET active = 0, deactivation_reason = ?2 WHERE advertiser_id = ?1)sql";

constexpr const char* select_advertiser =
  "SELECT " CDP_SQLITE_ADVERTISER_COLUMNS " FROM advertisers WHERE advertiser_id = ?1";

} // namespace sql
} // namespace

expected<import_outcome> sqlite_store::import_advertisers(std::span<const import_row> rows,
                                                          year_month current,
                                                          int backfill_months, int max_retries,
                                                          timestamp now, bool dry_run,
                                                          const audit_note& note) {
  if (auto valid = validate_import(rows, backfill_months, max_retries); !valid)
    return std::move(valid).error();
  return guarded([&]() -> expected<import_outcome> {
    // The write lock first: no other writer creates one of these ids between
    // the look-up and the inserts. A dry run only reads.
    std::optional<write_transaction> tx;
    if (!dry_run)
      tx.emplace(*db_);
    std::unordered_map<std::string, advertiser_type> stored;
    for (const auto& row : rows) {
      auto q = db_->prepare(sql::select_created_as);
      q.bind(1, row.advertiser_id);
      if (q.step())
        stored.emplace(row.advertiser_id, q.boolean(0) ? advertiser_type::new_advertiser
                                                       : advertiser_type::existing);
    }
    auto plan = plan_import(rows, std::move(stored));
    auto out = outcome_of(plan);
    if (dry_run)
      return out;
    for (const auto& request : plan.create) {
      insert_advertiser(request, current, backfill_months, max_retries, now);
      insert_audit(audit_of(audit_action::import, note, request.id, std::nullopt, now));
    }
    for (const auto& r : out.refused)
      insert_audit(refusal_of(audit_action::import, note, r.advertiser_id, std::nullopt,
                              import_refusal_failure(r), now));
    for (const auto& id : plan.inactive)
      db_->prepare(sql::deactivate_imported).bind(1, id).bind(2, imported_inactive).run();
    out.records.reserve(plan.create.size());
    for (const auto& request : plan.create) {
      auto q = db_->prepare(sql::select_advertiser);
      q.bind(1, request.id).step();
      out.records.push_back(read_advertiser(q));
    }
    tx->commit();
    return out;
  });
}

} // namespace cdp::sqlite
