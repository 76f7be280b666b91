// The group-committed path: a batch of claims, completions and failures in one
// transaction, one set-based statement per kind and layer (see
// postgres_batch_plan.hpp), outcomes reported per item in input order.
#include "persistence/postgres_batch_plan.hpp"
#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

// Months an EXISTING advertiser starts on the fly; unknown advertisers are
// skipped here and reported by the claim.
constexpr query insert_missing_months{
  "cdp_insert_missing_months",
  "INSERT INTO advertiser_processing_states"
  " (advertiser_id, processing_month, max_retries, created_at, updated_at)"
  " SELECT b.advertiser_id, b.processing_month, b.max_retries,"
  "  cdp_ts($4::bigint), cdp_ts($4::bigint)"
  " FROM unnest($1::text[], $2::text[], $3::int[]) AS b(advertiser_id, processing_month, max_retries)"
  " JOIN advertisers a ON a.advertiser_id = b.advertiser_id"
  " ON CONFLICT (advertiser_id, processing_month) DO NOTHING"};

// The conditional update is the whole race: under READ COMMITTED a claim that
// waited on a concurrent winner re-checks the WHERE against the winner's row
// and no longer matches, so exactly one claim wins. A claim that waited on a
// reaper's change starts no earlier than that change: the batch's `now` was
// read before the wait, and the reaper's is later.
//
// Here and in the outcome statements status and outcome tests are a CASE, which
// no index serves and no statistic estimates, so the planner finds each row by
// its (advertiser, month) key. A plan through idx_aps_status reads the dead
// index entries every status change leaves until vacuum (hundreds of thousands
// after a few busy minutes), and statistics taken when no attempt was RUNNING
// made the planner scan all of month_attempts once per completed month.
// Fencing: an advertiser with a lease takes claims only from the lease's node
// with its current epoch, and outcomes only under the epoch their claim was
// made with. The lease rows are read FOR SHARE, so a takeover or a release
// waits for the transition (and the transition for them) instead of slipping
// past it. An advertiser that was never leased (one daemon alone) takes
// epoch 0.
#define CDP_PG_FENCED                                                          \
  " AND (EXISTS (SELECT 1 FROM fence f WHERE f.advertiser_id = b.advertiser_id)" \
  "  OR (b.lease_epoch = 0 AND NOT EXISTS (SELECT 1 FROM advertiser_leases x"  \
  "   WHERE x.advertiser_id = b.advertiser_id)))"

constexpr query claim_months{
  "cdp_claim_months",
  "WITH b AS ("
  " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[],"
  "                      $7::text[], $8::bigint[], $9::boolean[])"
  "  WITH ORDINALITY AS b(advertiser_id, processing_month, owner, lease_token, allow_refresh,"
  "                       after_month, lease_epoch, probe, ord)),"
  " fence AS (SELECT l.advertiser_id FROM advertiser_leases l"
  "  JOIN b ON l.advertiser_id = b.advertiser_id"
  "  WHERE l.node_id = b.owner AND l.epoch = b.lease_epoch FOR SHARE OF l),"
  " claimed AS ("
  " UPDATE advertiser_processing_states s SET status = 'RUNNING',"
  "  started_at = greatest(cdp_ts($6::bigint), s.updated_at), completed_at = NULL,"
  "  next_attempt_at = NULL,"
  "  owner = b.owner, lease_token = b.lease_token,"
  "  retry_count = CASE WHEN b.probe THEN s.retry_count"
  "   ELSE CASE s.status WHEN 'FAILED' THEN s.retry_count + 1"
  "   WHEN 'COMPLETED' THEN 0 ELSE s.retry_count END END,"
  "  updated_at = greatest(cdp_ts($6::bigint), s.updated_at)"
  " FROM b JOIN advertisers a ON a.advertiser_id = b.advertiser_id AND a.active <> b.probe"
  " WHERE s.advertiser_id = b.advertiser_id AND s.processing_month = b.processing_month"
  "  AND CASE WHEN b.probe THEN"
  "   CASE s.status WHEN 'FAILED' THEN s.retry_count >= s.max_retries ELSE false END"
  "   ELSE CASE s.status WHEN 'PENDING' THEN true"
  "   WHEN 'FAILED' THEN s.retry_count < s.max_retries"
  "    AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= cdp_ts($6::bigint))"
  "   WHEN 'COMPLETED' THEN b.allow_refresh AND NOT s.closed ELSE false END END"
  "  AND (b.after_month IS NULL OR EXISTS (SELECT 1 FROM advertiser_processing_states p"
  "   WHERE p.advertiser_id = b.advertiser_id AND p.processing_month = b.after_month"
  "    AND CASE p.status WHEN 'COMPLETED' THEN true ELSE false END))"
  CDP_PG_FENCED
  " RETURNING b.ord, " CDP_PG_MONTH_COLUMNS ", b.probe AS probe),"
  " attempts AS ("
  " INSERT INTO month_attempts"
  "  (advertiser_id, processing_month, attempt, started_at, outcome, owner, lease_token, probe)"
  " SELECT c.advertiser_id, c.processing_month,"
  "  coalesce((SELECT max(m.attempt) FROM month_attempts m"
  "            WHERE m.advertiser_id = c.advertiser_id"
  "              AND m.processing_month = c.processing_month), 0) + 1,"
  "  cdp_ts(c.started_ms), 'RUNNING', c.owner, c.lease_token, c.probe"
  " FROM claimed c),"
  " audited AS (" CDP_PG_INSERT_AUDIT
  " SELECT cdp_ts($6::bigint), $10::text, 'probe', c.advertiser_id, c.processing_month,"
  "  c.owner, $11::text, 'done', '' FROM claimed c WHERE c.probe)"
  " SELECT * FROM claimed"};

// An outcome's lease must be held by the node that made the claim.
#define CDP_PG_OUTCOME_FENCE                                                    \
  " fence AS (SELECT l.advertiser_id FROM advertiser_leases l"                 \
  "  JOIN b ON l.advertiser_id = b.advertiser_id"                              \
  "  JOIN advertiser_processing_states o ON o.advertiser_id = b.advertiser_id"  \
  "   AND o.processing_month = b.processing_month"                             \
  "  WHERE l.node_id = o.owner AND l.epoch = b.lease_epoch FOR SHARE OF l),"

// Completion of the holder's lease, its attempt row, and the advertiser's
// progress (cursor, last completed month, end of backfill, reactivation
// after a probe).
constexpr query complete_months{
  "cdp_complete_months",
  "WITH b AS ("
  " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[],"
  "                      $6::boolean[], $7::text[], $8::boolean[], $10::bigint[],"
  "                      $11::boolean[])"
  "  WITH ORDINALITY AS b(advertiser_id, processing_month, lease_token, processed_records,"
  "                       failed_records, closes_month, next_cursor, backfill_done,"
  "                       lease_epoch, reactivate, ord)),"
  CDP_PG_OUTCOME_FENCE
  " done AS ("
  " UPDATE advertiser_processing_states s SET status = 'COMPLETED',"
  "  completed_at = cdp_ts($9::bigint), processed_records = b.processed_records,"
  "  failed_records = b.failed_records, error_message = NULL, next_attempt_at = NULL,"
  "  closed = s.closed OR b.closes_month, updated_at = cdp_ts($9::bigint)"
  " FROM b"
  " WHERE s.advertiser_id = b.advertiser_id AND s.processing_month = b.processing_month"
  "  AND CASE s.status WHEN 'RUNNING' THEN s.lease_token = b.lease_token ELSE false END"
  CDP_PG_FENCED
  " RETURNING b.ord, " CDP_PG_MONTH_COLUMNS ", b.next_cursor, b.backfill_done, b.reactivate),"
  " attempts AS ("
  " UPDATE month_attempts m SET finished_at = cdp_ts($9::bigint), outcome = 'COMPLETED'"
  " FROM done d WHERE m.advertiser_id = d.advertiser_id"
  "  AND m.processing_month = d.processing_month"
  "  AND CASE m.outcome WHEN 'RUNNING' THEN m.lease_token = d.lease_token ELSE false END),"
  " progress AS ("
  " UPDATE advertisers a SET"
  "  last_completed_month = greatest(a.last_completed_month, d.processing_month),"
  "  current_processing_month = coalesce(d.next_cursor, a.current_processing_month),"
  "  advertiser_type = CASE WHEN d.backfill_done THEN 'EXISTING' ELSE a.advertiser_type END,"
  "  backfill_completed = a.backfill_completed OR d.backfill_done,"
  "  active = a.active OR d.reactivate,"
  "  deactivation_reason = CASE WHEN d.reactivate THEN '' ELSE a.deactivation_reason END,"
  "  updated_at = cdp_ts($9::bigint)"
  " FROM done d WHERE a.advertiser_id = d.advertiser_id),"
  " audited AS (" CDP_PG_INSERT_AUDIT
  " SELECT cdp_ts($9::bigint), $12::text, 'activate', d.advertiser_id, d.processing_month,"
  "  d.owner, $13::text, 'done', '' FROM done d WHERE d.reactivate)"
  " SELECT * FROM done"};

// Failure of the holder's lease, its attempt row, and the advertiser's
// deactivation when the engine asks for it.
constexpr query fail_months{
  "cdp_fail_months",
  "WITH b AS ("
  " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[],"
  "                      $6::text[], $8::bigint[])"
  "  WITH ORDINALITY AS b(advertiser_id, processing_month, lease_token, error_message,"
  "                       next_attempt_ms, deactivate_reason, lease_epoch, ord)),"
  CDP_PG_OUTCOME_FENCE
  " failed AS ("
  " UPDATE advertiser_processing_states s SET status = 'FAILED',"
  "  error_message = b.error_message,"
  "  next_attempt_at = cdp_ts(b.next_attempt_ms), updated_at = cdp_ts($7::bigint)"
  " FROM b"
  " WHERE s.advertiser_id = b.advertiser_id AND s.processing_month = b.processing_month"
  "  AND CASE s.status WHEN 'RUNNING' THEN s.lease_token = b.lease_token ELSE false END"
  CDP_PG_FENCED
  " RETURNING b.ord, " CDP_PG_MONTH_COLUMNS ", b.deactivate_reason),"
  " attempts AS ("
  " UPDATE month_attempts m SET finished_at = cdp_ts($7::bigint), outcome = 'FAILED',"
  "  error_message = d.error_message"
  " FROM failed d WHERE m.advertiser_id = d.advertiser_id"
  "  AND m.processing_month = d.processing_month"
  "  AND CASE m.outcome WHEN 'RUNNING' THEN m.lease_token = d.lease_token ELSE false END),"
  " deactivated AS ("
  " UPDATE advertisers a SET active = false, deactivation_reason = d.deactivate_reason,"
  "  updated_at = cdp_ts($7::bigint)"
  " FROM failed d WHERE a.advertiser_id = d.advertiser_id AND d.deactivate_reason IS NOT NULL),"
  " audited AS (" CDP_PG_INSERT_AUDIT
  " SELECT cdp_ts($7::bigint), $9::text, 'deactivate', d.advertiser_id, d.processing_month,"
  "  d.owner, d.deactivate_reason, 'done', '' FROM failed d"
  "  WHERE d.deactivate_reason IS NOT NULL)"
  " SELECT * FROM failed"};

// Why items did not apply, read after the fact (a fresh snapshot sees the
// concurrent winner).
constexpr query explain_items{
  "cdp_explain_items",
  "SELECT b.ord, a.advertiser_id IS NOT NULL, coalesce(a.active, false), s.status,"
  " s.retry_count, s.max_retries, cdp_ms(s.next_attempt_at), coalesce(s.lease_token, 0),"
  " coalesce(s.owner, ''), coalesce(l.node_id, ''), coalesce(l.epoch, -1)"
  " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS b(advertiser_id, processing_month, ord)"
  " LEFT JOIN advertisers a ON a.advertiser_id = b.advertiser_id"
  " LEFT JOIN advertiser_leases l ON l.advertiser_id = b.advertiser_id"
  " LEFT JOIN advertiser_processing_states s"
  "  ON s.advertiser_id = b.advertiser_id AND s.processing_month = b.processing_month"
  " ORDER BY b.ord"};

#undef CDP_PG_FENCED
#undef CDP_PG_OUTCOME_FENCE

/// The batch items of one kind in one layer, and where their outcomes go.
template <class Request>
struct group {
  std::vector<const Request*> items;
  std::vector<size_t> positions;
};

/// What the explain query saw for one item.
struct seen {
  bool advertiser_exists = false;
  bool active = false;
  std::optional<std::string> status;
  int retry_count = 0;
  int max_retries = 0;
  std::optional<timestamp> next_attempt_at;
  int64_t lease_token = 0;
  std::string owner;
  /// The advertiser's lease: its node and epoch, -1 when it has none.
  std::string lease_node;
  int64_t lease_epoch = -1;
};

std::string month_name(const std::string& id, year_month month) {
  return "advertiser '" + id + "' month " + month.to_string();
}

transition_outcome lost(errc code, std::string message) {
  return transition_outcome{false, code, std::move(message), std::nullopt};
}

/// The fencing refusal, if the lease is not what the request carries.
std::optional<transition_outcome> fenced(const std::string& id, const std::string& node,
                                         int64_t epoch, const seen& s) {
  if (lease_allows(s.lease_node, s.lease_epoch, node, epoch))
    return std::nullopt;
  return lost(errc::lease_lost, lease_refusal(id, s.lease_node, s.lease_epoch, node, epoch));
}

transition_outcome explain_claim(const claim_request& r, const seen& s, timestamp now) {
  auto name = month_name(r.advertiser_id, r.month);
  if (auto refused = fenced(r.advertiser_id, r.owner, r.lease_epoch, s))
    return *refused;
  if (r.probe && s.active)
    return lost(errc::conflict, "advertiser '" + r.advertiser_id + "' is active again: its month "
                                  + r.month.to_string() + " is not probed");
  if (r.probe)
    return lost(errc::conflict, name + " is " + *s.status
                                  + ": only a FAILED month with no retries left is probed");
  if (!s.active)
    return lost(errc::conflict, "advertiser '" + r.advertiser_id
                                  + "' is deactivated; activate it before claiming "
                                  + r.month.to_string());
  if (*s.status == "RUNNING")
    return lost(errc::conflict, name + " is already RUNNING (claimed by '" + s.owner + "')");
  if (*s.status == "COMPLETED")
    return lost(errc::conflict, name + " is COMPLETED and no refresh run was asked for");
  if (*s.status == "FAILED" && s.retry_count >= s.max_retries)
    return lost(errc::conflict, name + " is FAILED with no retries left ("
                                  + std::to_string(s.retry_count) + " of "
                                  + std::to_string(s.max_retries)
                                  + " used); retry it by hand");
  if (*s.status == "FAILED" && s.next_attempt_at && *s.next_attempt_at > now)
    return lost(errc::conflict, name + " is FAILED and backing off until "
                                  + to_iso8601(*s.next_attempt_at));
  if (r.after)
    return lost(errc::conflict,
                name + " waits for " + r.after->to_string() + ", which is not COMPLETED");
  return lost(errc::conflict, name + " is " + *s.status + ": another claim won the race");
}

/// Why a completion or failure did not apply: both need the RUNNING month
/// under their lease.
template <class Request>
transition_outcome explain_outcome(const Request& r, const seen& s) {
  auto name = month_name(r.advertiser_id, r.month);
  auto token = std::to_string(r.lease_token);
  if (auto refused = fenced(r.advertiser_id, s.owner, r.lease_epoch, s))
    return *refused;
  if (*s.status != "RUNNING")
    return lost(errc::conflict, name + " is " + *s.status
                                  + ", not RUNNING: the outcome of lease " + token
                                  + " was not recorded");
  return lost(errc::conflict, name + " is held by lease " + std::to_string(s.lease_token)
                                + " of '" + s.owner + "', not lease " + token
                                + ": the outcome was not recorded");
}

/// Runs one kind's statement; fills the outcomes of the items it applied and
/// explains the rest.
class layer_runner {
public:
  layer_runner(pg::connection& conn, std::vector<transition_outcome>& out, timestamp now)
    : conn_(conn), out_(out), now_(now) {}

  status claims(const group<claim_request>& g);
  status completions(const group<complete_request>& g);
  status failures(const group<fail_request>& g);

private:
  /// Records the rows the group's statement applied, then explains the rest.
  template <class Request, class Explain>
  status settle(expected<pg::result> r, const group<Request>& g, Explain&& why);
  /// Records the applied rows (column 0: 1-based position in the group).
  template <class Request>
  status record(expected<pg::result> r, const group<Request>& g);
  /// Explains every item of the group that did not apply.
  template <class Request, class Explain>
  status explain(const group<Request>& g, Explain&& why);

  pg::connection& conn_;
  std::vector<transition_outcome>& out_;
  timestamp now_;
};

template <class Request, class Explain>
status layer_runner::settle(expected<pg::result> r, const group<Request>& g, Explain&& why) {
  if (auto recorded = record(std::move(r), g); !recorded)
    return recorded;
  return explain(g, why);
}

template <class Request>
status layer_runner::record(expected<pg::result> r, const group<Request>& g) {
  if (!r)
    return std::move(r).error();
  for (int row = 0; row < r->rows(); ++row) {
    auto position = g.positions[static_cast<size_t>(r->int64(row, 0) - 1)];
    out_[position] = transition_outcome{true, errc::conflict, "", pg::month_at(*r, row, 1)};
  }
  return ok;
}

template <class Request, class Explain>
status layer_runner::explain(const group<Request>& g, Explain&& why) {
  group<Request> missed;
  pg::array ids, months;
  for (size_t i = 0; i < g.items.size(); ++i) {
    if (out_[g.positions[i]].applied)
      continue;
    missed.items.push_back(g.items[i]);
    missed.positions.push_back(g.positions[i]);
    ids.add(g.items[i]->advertiser_id);
    months.add(g.items[i]->month);
  }
  if (missed.items.empty())
    return ok;
  auto r = conn_.exec(explain_items, params{}.add(ids.take()).add(months.take()));
  if (!r)
    return std::move(r).error();
  for (int row = 0; row < r->rows(); ++row) {
    const auto& item = *missed.items[static_cast<size_t>(row)];
    auto& slot = out_[missed.positions[static_cast<size_t>(row)]];
    seen s{r->boolean(row, 1), r->boolean(row, 2),
           r->is_null(row, 3) ? std::nullopt : std::optional{r->string(row, 3)},
           r->int32(row, 4),   r->int32(row, 5),
           r->opt_time(row, 6), r->int64(row, 7),
           r->string(row, 8),  r->string(row, 9),
           r->int64(row, 10)};
    if (!s.advertiser_exists)
      slot = lost(errc::not_found, unknown_advertiser(item.advertiser_id).message);
    else if (!s.status)
      slot = lost(errc::not_found, "advertiser '" + item.advertiser_id + "' has no month "
                                     + item.month.to_string());
    else
      slot = why(item, s);
  }
  return ok;
}

status layer_runner::claims(const group<claim_request>& g) {
  pg::array ids, months, owners, tokens, refresh, after, epochs, probes, missing_ids,
    missing_months, retries;
  for (const auto* r : g.items) {
    probes.add(r->probe);
    epochs.add(r->lease_epoch);
    ids.add(r->advertiser_id);
    months.add(r->month);
    owners.add(r->owner);
    tokens.add(r->lease_token);
    refresh.add(r->allow_refresh);
    after.add(r->after);
    if (r->create_if_missing) {
      missing_ids.add(r->advertiser_id);
      missing_months.add(r->month);
      retries.add(r->max_retries);
    }
  }
  auto missing = missing_ids.take();
  if (missing != "{}") {
    auto created = conn_.exec(insert_missing_months, params{}
                                                       .add(std::move(missing))
                                                       .add(missing_months.take())
                                                       .add(retries.take())
                                                       .add(now_));
    if (!created)
      return std::move(created).error();
  }
  params p;
  p.add(ids.take()).add(months.take()).add(owners.take()).add(tokens.take());
  p.add(refresh.take()).add(now_).add(after.take()).add(epochs.take()).add(probes.take());
  p.add(engine_caller).add(probe_reason);
  return settle(conn_.exec(claim_months, p), g, [&](const claim_request& r, const seen& s) {
    return explain_claim(r, s, now_);
  });
}

status layer_runner::completions(const group<complete_request>& g) {
  pg::array ids, months, tokens, processed, failed, closes, cursors, backfill, epochs,
    reactivate;
  for (const auto* r : g.items) {
    reactivate.add(r->reactivate);
    epochs.add(r->lease_epoch);
    ids.add(r->advertiser_id);
    months.add(r->month);
    tokens.add(r->lease_token);
    processed.add(r->processed_records);
    failed.add(r->failed_records);
    closes.add(r->closes_month);
    cursors.add(r->next_cursor);
    backfill.add(r->backfill_done);
  }
  params p;
  p.add(ids.take()).add(months.take()).add(tokens.take()).add(processed.take());
  p.add(failed.take()).add(closes.take()).add(cursors.take()).add(backfill.take()).add(now_);
  p.add(epochs.take()).add(reactivate.take());
  p.add(engine_caller).add(probe_success_reason);
  return settle(conn_.exec(complete_months, p), g, explain_outcome<complete_request>);
}

status layer_runner::failures(const group<fail_request>& g) {
  pg::array ids, months, tokens, errors, next, reasons, epochs;
  for (const auto* r : g.items) {
    epochs.add(r->lease_epoch);
    ids.add(r->advertiser_id);
    months.add(r->month);
    tokens.add(r->lease_token);
    errors.add(truncate_error_message(r->error_message));
    next.add(r->next_attempt_at);
    reasons.add(r->deactivate_reason);
  }
  params p;
  p.add(ids.take()).add(months.take()).add(tokens.take()).add(errors.take());
  p.add(next.take()).add(reasons.take()).add(now_).add(epochs.take());
  p.add(engine_caller);
  return settle(conn_.exec(fail_months, p), g, explain_outcome<fail_request>);
}

} // namespace

expected<std::vector<transition_outcome>>
postgres_store::apply(std::span<const transition> batch, timestamp now) {
  if (batch.empty())
    return std::vector<transition_outcome>{};
  auto layers = pg::plan_layers(batch);
  return conn_->transact([&]() -> expected<std::vector<transition_outcome>> {
    std::vector<transition_outcome> out(batch.size());
    layer_runner run{*conn_, out, now};
    for (const auto& layer : layers) {
      group<claim_request> claims;
      group<complete_request> completions;
      group<fail_request> failures;
      for (auto i : layer) {
        auto add = [&](auto& g, const auto& r) {
          g.items.push_back(&r);
          g.positions.push_back(i);
        };
        std::visit(
          [&](const auto& r) {
            using request = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<request, claim_request>)
              add(claims, r);
            else if constexpr (std::is_same_v<request, complete_request>)
              add(completions, r);
            else
              add(failures, r);
          },
          batch[i]);
      }
      if (!claims.items.empty())
        if (auto r = run.claims(claims); !r)
          return std::move(r).error();
      if (!completions.items.empty())
        if (auto r = run.completions(completions); !r)
          return std::move(r).error();
      if (!failures.items.empty())
        if (auto r = run.failures(failures); !r)
          return std::move(r).error();
    }
    return out;
  });
}

} // namespace cdp
