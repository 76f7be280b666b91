// The audit trail: rows written inside the transaction of the change they
// record, refusals on their own, pages newest first, and the retention cut.
#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {
namespace sql {

constexpr const char* insert_audit = R"sql(
INSERT INTO audit (at, who, action, advertiser_id, processing_month, node, reason,
                   outcome, error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql";

#define CDP_SQLITE_AUDIT_COLUMNS \
  "seq, at, who, action, advertiser_id, processing_month, node, reason, outcome, error"

// Two statements rather than one with "?1 = '' OR": the advertiser's page
// must come through its index.
constexpr const char* page_all = "SELECT " CDP_SQLITE_AUDIT_COLUMNS " FROM audit"
                                 " WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR seq < ?2)"
                                 " ORDER BY seq DESC LIMIT ?3";

constexpr const char* page_one = "SELECT " CDP_SQLITE_AUDIT_COLUMNS " FROM audit"
                                 " WHERE advertiser_id = ?4"
                                 " AND (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR seq < ?2)"
                                 " ORDER BY seq DESC LIMIT ?3";

#undef CDP_SQLITE_AUDIT_COLUMNS

constexpr const char* prune = "DELETE FROM audit WHERE at < ?1";

} // namespace sql

audit_entry read_audit(const statement& q) {
  audit_entry e;
  e.seq = q.int64(0);
  e.at = q.time(1);
  e.who = q.text(2);
  e.action = parse_audit_action(q.text(3)).value_or(audit_action::create);
  e.advertiser_id = q.text(4);
  e.month = q.optional_month(5);
  e.node = q.text(6);
  e.reason = q.text(7);
  e.outcome = parse_audit_outcome(q.text(8)).value_or(audit_outcome::done);
  e.error = q.text(9);
  return e;
}

} // namespace

void sqlite_store::insert_audit(const audit_entry& e) {
  db_->prepare(sql::insert_audit)
    .bind(1, e.at)
    .bind(2, e.who)
    .bind(3, to_string(e.action))
    .bind(4, e.advertiser_id)
    .bind(5, e.month)
    .bind(6, e.node)
    .bind(7, e.reason)
    .bind(8, to_string(e.outcome))
    .bind(9, e.error)
    .run();
}

status sqlite_store::record_audit(const audit_entry& entry) {
  return guarded([&]() -> status {
    write_transaction tx{*db_};
    insert_audit(entry);
    tx.commit();
    return ok;
  });
}

expected<audit_page> sqlite_store::page_audit(const audit_filter& filter) {
  return guarded([&]() -> expected<audit_page> {
    auto q = db_->prepare(filter.advertiser_id.empty() ? sql::page_all : sql::page_one);
    q.bind(1, filter.since).bind(2, filter.before).bind(3, filter.limit + 1);
    if (!filter.advertiser_id.empty())
      q.bind(4, filter.advertiser_id);
    return audit_page_of(read_all(q, read_audit), filter.limit);
  });
}

expected<int64_t> sqlite_store::prune_audit(timestamp before) {
  return guarded([&]() -> expected<int64_t> {
    write_transaction tx{*db_};
    auto q = db_->prepare(sql::prune);
    q.bind(1, before).run();
    auto gone = q.changes();
    tx.commit();
    return gone;
  });
}

} // namespace cdp::sqlite
