// The audit trail: rows written inside the transaction of the change they
// record, refusals on their own, pages newest first, and the retention cut.
#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

// Many rows in one statement, a column per array.
constexpr query insert_audit_rows{
  "cdp_insert_audit",
  CDP_PG_INSERT_AUDIT
  " SELECT cdp_ts(r.at), r.who, r.action, r.advertiser_id, r.processing_month, r.node,"
  "  r.reason, r.outcome, r.error"
  " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
  "             $7::text[], $8::text[], $9::text[])"
  "  AS r(at, who, action, advertiser_id, processing_month, node, reason, outcome, error)"};

#define CDP_PG_AUDIT_COLUMNS                                                        \
  "seq, cdp_ms(at), who, action, advertiser_id, processing_month, node, reason, " \
  "outcome, error"

// Two statements rather than one with "$1 = '' OR": the advertiser's page
// must come through its index.
constexpr query page_all{
  "cdp_page_audit",
  "SELECT " CDP_PG_AUDIT_COLUMNS " FROM audit"
  " WHERE ($1::bigint IS NULL OR at >= cdp_ts($1::bigint))"
  "  AND ($2::bigint IS NULL OR seq < $2::bigint)"
  " ORDER BY seq DESC LIMIT $3::int"};

constexpr query page_one{
  "cdp_page_audit_of",
  "SELECT " CDP_PG_AUDIT_COLUMNS " FROM audit"
  " WHERE advertiser_id = $4::text"
  "  AND ($1::bigint IS NULL OR at >= cdp_ts($1::bigint))"
  "  AND ($2::bigint IS NULL OR seq < $2::bigint)"
  " ORDER BY seq DESC LIMIT $3::int"};

#undef CDP_PG_AUDIT_COLUMNS

constexpr query prune{"cdp_prune_audit", "DELETE FROM audit WHERE at < cdp_ts($1::bigint)"};

audit_entry audit_at(const pg::result& r, int row) {
  audit_entry e;
  e.seq = r.int64(row, 0);
  e.at = timestamp{std::chrono::milliseconds{r.int64(row, 1)}};
  e.who = r.string(row, 2);
  e.action = parse_audit_action(r.text(row, 3)).value_or(audit_action::create);
  e.advertiser_id = r.string(row, 4);
  e.month = pg::opt_month_of(r, row, 5);
  e.node = r.string(row, 6);
  e.reason = r.string(row, 7);
  e.outcome = parse_audit_outcome(r.text(row, 8)).value_or(audit_outcome::done);
  e.error = r.string(row, 9);
  return e;
}

} // namespace

status postgres_store::insert_audits(std::span<const audit_entry> entries) {
  if (entries.empty())
    return ok;
  pg::array at, who, action, id, month, node, reason, outcome, error;
  for (const auto& e : entries) {
    at.add(e.at);
    who.add(e.who);
    action.add(to_string(e.action));
    id.add(e.advertiser_id);
    month.add(e.month);
    node.add(e.node);
    reason.add(e.reason);
    outcome.add(to_string(e.outcome));
    error.add(e.error);
  }
  params p;
  p.add(at.take()).add(who.take()).add(action.take()).add(id.take()).add(month.take());
  p.add(node.take()).add(reason.take()).add(outcome.take()).add(error.take());
  if (auto r = conn_->exec(insert_audit_rows, p); !r)
    return std::move(r).error();
  return ok;
}

status postgres_store::record_audit(const audit_entry& entry) {
  return call([&] { return insert_audits({&entry, 1}); });
}

expected<audit_page> postgres_store::page_audit(const audit_filter& filter) {
  return call([&]() -> expected<audit_page> {
    params p;
    p.add(filter.since).add(filter.before).add(filter.limit + 1);
    if (!filter.advertiser_id.empty())
      p.add(filter.advertiser_id);
    auto rows = pg::rows_of(conn_->exec(filter.advertiser_id.empty() ? page_all : page_one, p),
                            audit_at);
    if (!rows)
      return std::move(rows).error();
    return audit_page_of(std::move(*rows), filter.limit);
  });
}

expected<int64_t> postgres_store::prune_audit(timestamp before) {
  return call([&]() -> expected<int64_t> {
    auto r = conn_->exec(prune, params{}.add(before));
    if (!r)
      return std::move(r).error();
    return r->affected();
  });
}

} // namespace cdp
