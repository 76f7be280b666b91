// Nodes and advertiser leases: registration with a session lock per node id,
// heartbeats, balancing, and the reaping of dead nodes' months.
#include <algorithm>
#include <thread>
#include <unordered_map>

#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

// One lock per node id and schema (test cases run in schemas of their own).
// It belongs to the session: a daemon killed with -9 loses its connection and
// with it the lock, so its restart is not refused.
constexpr query try_lock_node{
  "cdp_try_lock_node",
  "SELECT pg_try_advisory_lock(hashtextextended('cdpbatch.node.'"
  " || coalesce(current_schema(), '') || '.' || $1::text, 0))"};

// The server notices a vanished client by TCP keepalive, by default after two
// hours: this session's lock would outlive a crashed host by as long. These
// bring it down to about 20 s, within the default lease TTL.
constexpr query keep_alive{
  "cdp_keep_alive",
  "SELECT set_config('tcp_keepalives_idle', '5', false),"
  " set_config('tcp_keepalives_interval', '5', false),"
  " set_config('tcp_keepalives_count', '3', false)"};

constexpr query select_node{
  "cdp_select_node",
  "SELECT host, pid, cdp_ms(heartbeat_at) FROM nodes WHERE node_id = $1::text"};

constexpr query upsert_node{
  "cdp_upsert_node",
  "INSERT INTO nodes AS n (node_id, host, pid, started_at, heartbeat_at, stopped_at)"
  " VALUES ($1::text, $2::text, $3::bigint, cdp_ts($4::bigint), cdp_ts($4::bigint), NULL)"
  " ON CONFLICT (node_id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,"
  "  started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, stopped_at = NULL"};

// A restarted node's leases outlive its previous process: a new epoch fences
// whatever that process left in flight.
constexpr query renew_epochs{
  "cdp_renew_epochs",
  "UPDATE advertiser_leases SET epoch = epoch + 1 WHERE node_id = $1::text"};

constexpr query beat{
  "cdp_beat",
  "INSERT INTO nodes AS n (node_id, host, pid, started_at, heartbeat_at, stopped_at)"
  " VALUES ($1::text, $2::text, $3::bigint, cdp_ts($4::bigint), cdp_ts($4::bigint), NULL)"
  " ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, stopped_at = NULL"};

constexpr query stop_node{
  "cdp_stop_node",
  "UPDATE nodes SET stopped_at = cdp_ts($2::bigint), heartbeat_at = cdp_ts($2::bigint)"
  " WHERE node_id = $1::text"};

constexpr query free_leases_of{
  "cdp_free_leases_of", "UPDATE advertiser_leases SET node_id = NULL WHERE node_id = $1::text"};

constexpr query select_nodes{
  "cdp_select_nodes",
  "SELECT n.node_id, n.host, n.pid, cdp_ms(n.started_at), cdp_ms(n.heartbeat_at),"
  " cdp_ms(n.stopped_at),"
  " (SELECT count(*) FROM advertiser_leases l WHERE l.node_id = n.node_id),"
  " (SELECT count(*) FROM advertiser_processing_states s"
  "   WHERE s.status = 'RUNNING' AND s.owner = n.node_id)"
  " FROM nodes n ORDER BY n.node_id"};

// $2: heartbeats at or after this instant are live.
#define CDP_PG_LIVE_NODES                                                     \
  "live AS (SELECT node_id FROM nodes"                                        \
  " WHERE stopped_at IS NULL AND heartbeat_at >= cdp_ts($2::bigint))"

// Every lease row names an existing advertiser once (its key and foreign
// key), so the leases to be had are the advertisers less those live nodes
// hold: two index counts, where a join of the two tables took ten times as
// long at a million advertisers (1.6 s), and on every heartbeat of every node.
constexpr query census{
  "cdp_lease_census",
  "WITH " CDP_PG_LIVE_NODES
  " SELECT (SELECT count(*) FROM advertisers), (SELECT count(*) FROM live),"
  " (SELECT count(*) FROM advertiser_leases WHERE node_id = $1::text),"
  " (SELECT count(*) FROM advertisers)"
  "  - (SELECT count(*) FROM advertiser_leases WHERE node_id IN (SELECT node_id FROM live))"};

#define CDP_PG_TAKEABLE                                                       \
  " SELECT a.advertiser_id, coalesce(l.node_id, '') FROM advertisers a"       \
  " LEFT JOIN advertiser_leases l ON l.advertiser_id = a.advertiser_id"       \
  " WHERE (l.node_id IS NULL OR l.node_id NOT IN (SELECT node_id FROM live))"

// Taking leases takes two statements, so that no join is left to the
// planner between two CTEs: it has no index there, and with this session's
// hash and merge joins off (pg_connection.cpp) it joined them by a nested loop,
// quadratic in the leases taken (100,000 at once: longer than an hour).
// A node's first pick comes in an order of its own, so nodes starting at the
// same moment mostly reach for different advertisers; it sorts every
// advertiser, so the picks after it go on from there in id order, along the
// key's index (a round at a million advertisers: 67 ms instead of 0.6 s),
// wrapping around at the end. The caller bounds them (node.lease_batch).
constexpr query pick_first_leases{
  "cdp_pick_first_leases",
  "WITH " CDP_PG_LIVE_NODES CDP_PG_TAKEABLE
  " ORDER BY hashtext(a.advertiser_id || $1::text) LIMIT $3::bigint"};

constexpr query pick_leases_after{
  "cdp_pick_leases_after",
  "WITH " CDP_PG_LIVE_NODES
  " (" CDP_PG_TAKEABLE " AND a.advertiser_id > $1::text ORDER BY a.advertiser_id LIMIT $3::bigint)"
  " UNION ALL"
  " (" CDP_PG_TAKEABLE " AND a.advertiser_id <= $1::text ORDER BY a.advertiser_id"
  "  LIMIT $3::bigint)"
  " LIMIT $3::bigint"};

// The picked ones, in id order (two nodes taking some of the same rows wait
// for each other in one order, never in a cycle). The conflict clause
// re-checks each row under its lock: of two nodes taking one advertiser
// exactly one gets it.
constexpr query take_leases{
  "cdp_take_leases",
  "WITH " CDP_PG_LIVE_NODES ","
  " taken AS ("
  "  INSERT INTO advertiser_leases AS l (advertiser_id, node_id, epoch, acquired_at)"
  "  SELECT c.id, $1::text, 1, cdp_ts($4::bigint) FROM unnest($3::text[]) AS c (id)"
  "  ORDER BY c.id"
  "  ON CONFLICT (advertiser_id) DO UPDATE SET node_id = EXCLUDED.node_id,"
  "   epoch = l.epoch + 1, acquired_at = EXCLUDED.acquired_at"
  "   WHERE l.node_id IS NULL OR l.node_id NOT IN (SELECT node_id FROM live)"
  "  RETURNING l.advertiser_id, l.epoch)"
  " SELECT advertiser_id, epoch FROM taken ORDER BY advertiser_id"};

// In the take's transaction, the months still RUNNING under an earlier
// epoch of the leases taken: the old owner's outcome will be refused (its
// epoch is gone), so they are due again at once, no retry used, as a dead
// node's are, even if that node comes back before a reaper round.
constexpr query requeue_taken{
  "cdp_requeue_taken",
  "WITH reaped AS ("
  " UPDATE advertiser_processing_states s SET status = 'PENDING', error_message = $3::text,"
  "  next_attempt_at = NULL, updated_at = cdp_ts($2::bigint)"
  " WHERE s.advertiser_id = ANY ($1::text[]) AND s.status = 'RUNNING'"
  " RETURNING s.advertiser_id, s.processing_month, s.lease_token)"
  CDP_PG_FAIL_ENDED_ATTEMPTS("reaped", "$2::bigint", "$3::text")};

// Releasing takes two statements: the rows are locked first (skipping leases
// a claim holds at this moment), and the RUNNING test runs after, on a
// snapshot that sees every claim which committed before the locks were had.
constexpr query lock_surplus{
  "cdp_lock_surplus",
  "SELECT advertiser_id FROM advertiser_leases"
  " WHERE node_id = $1::text AND advertiser_id = ANY ($2::text[])"
  " ORDER BY advertiser_id FOR UPDATE SKIP LOCKED"};

constexpr query free_idle{
  "cdp_free_idle",
  "UPDATE advertiser_leases l SET node_id = NULL"
  " WHERE l.advertiser_id = ANY ($1::text[]) AND l.node_id = $2::text"
  "  AND NOT EXISTS (SELECT 1 FROM advertiser_processing_states s"
  "   WHERE s.advertiser_id = l.advertiser_id AND s.status = 'RUNNING')"
  " RETURNING l.advertiser_id"};

constexpr query select_leases{
  "cdp_select_leases",
  "SELECT advertiser_id, epoch FROM advertiser_leases WHERE node_id = $1::text"
  " ORDER BY advertiser_id"};

// Like node recovery, for every node that is not live: due at once, no
// retry used.
constexpr query reap_dead{
  "cdp_reap_dead",
  "WITH dead AS (SELECT node_id FROM nodes"
  "  WHERE stopped_at IS NOT NULL OR heartbeat_at < cdp_ts($2::bigint)),"
  " reaped AS ("
  " UPDATE advertiser_processing_states s SET status = 'PENDING',"
  "  error_message = 'interrupted: node ' || s.owner || ' stopped renewing its lease while this"
  " month was running',"
  "  next_attempt_at = NULL, updated_at = cdp_ts($1::bigint)"
  " WHERE s.status = 'RUNNING' AND s.owner IN (SELECT node_id FROM dead)"
  " RETURNING " CDP_PG_MONTH_COLUMNS "),"
  " closed AS ("
  CDP_PG_FAIL_ENDED_ATTEMPTS("reaped", "$1::bigint", "r.error_message") ")"
  " SELECT * FROM reaped ORDER BY advertiser_id, processing_month"};

#undef CDP_PG_LIVE_NODES

/// The server ends the session of a daemon killed with -9 a moment after its
/// socket closes; a restart that comes sooner waits this long for the lock.
constexpr auto lock_patience = std::chrono::seconds{3};
constexpr auto lock_retry = std::chrono::milliseconds{100};

failure not_registered() {
  return make_failure(errc::invalid_argument,
                      "no node is registered on this store connection (register_node first)");
}

} // namespace

status postgres_store::lock_node(timestamp now, std::chrono::milliseconds patience,
                                 bool renewing) {
  if (locked_session_ == conn_->session())
    return ok;
  if (auto r = conn_->exec(keep_alive, params{}); !r)
    return std::move(r).error();
  auto began = std::chrono::steady_clock::now();
  auto deadline = began + patience;
  for (;;) {
    auto locked = conn_->exec(try_lock_node, params{}.add(node_->node_id));
    if (!locked)
      return std::move(locked).error();
    if (locked->boolean(0, 0))
      break;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string holder = "another cdpbatchd";
      auto seen = conn_->exec(select_node, params{}.add(node_->node_id));
      if (seen && seen->rows() == 1) {
        // Our own earlier session, not yet ended by the server (a broken
        // connection it has not noticed): wait for it, it is no rival.
        if (renewing && seen->string(0, 0) == node_->host && seen->int64(0, 1) == node_->pid)
          return make_failure(errc::store_unavailable,
                              "node.id '" + node_->node_id
                                + "': the server still holds this daemon's lock from its "
                                  "previous connection; retrying");
        // `now` was taken before the patience ran out; the holder beat since.
        auto waited = std::chrono::steady_clock::now() - began;
        auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now + waited
                                                                         - seen->time(0, 2));
        holder = "cdpbatchd pid " + seen->string(0, 1) + " on host '" + seen->string(0, 0)
                 + "' (last heartbeat " + std::to_string(age.count()) + "ms ago)";
      }
      return make_failure(errc::conflict,
                          "node.id '" + node_->node_id + "' is in use by a live daemon: " + holder
                            + "; give every daemon its own node.id, or stop that one first");
    }
    std::this_thread::sleep_for(lock_retry);
  }
  locked_session_ = conn_->session();
  return ok;
}

status postgres_store::register_node(const node_registration& me, timestamp now) {
  if (auto r = conn_->ready(); !r)
    return r;
  node_ = me;
  locked_session_ = 0;
  if (auto locked = lock_node(now, lock_patience, false); !locked) {
    node_.reset();
    return locked;
  }
  return conn_->transact([&]() -> status {
    params p;
    p.add(me.node_id).add(me.host).add(me.pid).add(now);
    if (auto r = conn_->exec(upsert_node, p); !r)
      return std::move(r).error();
    if (auto r = conn_->exec(renew_epochs, params{}.add(me.node_id)); !r)
      return std::move(r).error();
    return ok;
  });
}

status postgres_store::heartbeat(timestamp now) {
  if (!node_)
    return not_registered();
  return call([&]() -> status {
    if (auto locked = lock_node(now, std::chrono::milliseconds{0}, true); !locked)
      return locked;
    params p;
    p.add(node_->node_id).add(node_->host).add(node_->pid).add(now);
    if (auto r = conn_->exec(beat, p); !r)
      return std::move(r).error();
    return ok;
  });
}

status postgres_store::leave_node(timestamp now) {
  if (!node_)
    return not_registered();
  return conn_->transact([&]() -> status {
    if (auto r = conn_->exec(stop_node, params{}.add(node_->node_id).add(now)); !r)
      return std::move(r).error();
    if (auto r = conn_->exec(free_leases_of, params{}.add(node_->node_id)); !r)
      return std::move(r).error();
    return ok;
  });
}

expected<std::vector<node_view>> postgres_store::list_nodes(timestamp now,
                                                            std::chrono::milliseconds lease_ttl) {
  return call([&]() -> expected<std::vector<node_view>> {
    auto r = conn_->exec(select_nodes, params{});
    if (!r)
      return std::move(r).error();
    std::vector<node_view> out;
    for (int row = 0; row < r->rows(); ++row) {
      node_view n;
      n.node_id = r->string(row, 0);
      n.host = r->string(row, 1);
      n.pid = r->int64(row, 2);
      n.started_at = r->time(row, 3);
      n.heartbeat_at = r->time(row, 4);
      n.heartbeat_age_ms = (now - n.heartbeat_at).count();
      n.stopped_at = r->opt_time(row, 5);
      n.live = node_is_live(n.heartbeat_at, n.stopped_at.has_value(), now, lease_ttl);
      n.advertisers_owned = r->int64(row, 6);
      n.running_jobs = r->int64(row, 7);
      out.push_back(std::move(n));
    }
    return out;
  });
}

expected<lease_census> postgres_store::count_leases(const std::string& node_id, timestamp now,
                                                    std::chrono::milliseconds lease_ttl) {
  return call([&]() -> expected<lease_census> {
    auto r = conn_->exec(census, params{}.add(node_id).add(now - lease_ttl));
    if (!r)
      return std::move(r).error();
    return lease_census{r->int64(0, 0), r->int64(0, 1), r->int64(0, 2), r->int64(0, 3)};
  });
}

expected<std::vector<advertiser_lease>>
postgres_store::acquire_leases(const std::string& node_id, int64_t limit, timestamp now,
                               std::chrono::milliseconds lease_ttl) {
  if (limit <= 0)
    return std::vector<advertiser_lease>{};
  // The take locks its rows in id order; a deadlock with another statement on
  // the lease rows (an epoch renewal, a release) is still possible, and the
  // transaction is then retried.
  auto taken = conn_->transact([&]() -> expected<std::vector<advertiser_lease>> {
    auto since = now - lease_ttl;
    auto picked = lease_cursor_.empty()
                    ? conn_->exec(pick_first_leases, params{}.add(node_id).add(since).add(limit))
                    : conn_->exec(pick_leases_after,
                                  params{}.add(lease_cursor_).add(since).add(limit));
    if (!picked)
      return std::move(picked).error();
    std::unordered_map<std::string, std::string> previous;
    pg::array ids;
    for (int row = 0; row < picked->rows(); ++row) {
      previous.emplace(picked->string(row, 0), picked->string(row, 1));
      ids.add(picked->text(row, 0));
    }
    if (previous.empty())
      return std::vector<advertiser_lease>{};
    auto r = conn_->exec(take_leases, params{}.add(node_id).add(since).add(ids.take()).add(now));
    if (!r)
      return std::move(r).error();
    // The next pick goes on after the last one, taken or not: what another
    // node took meanwhile is its own.
    lease_cursor_ = picked->string(picked->rows() - 1, 0);
    std::vector<advertiser_lease> out;
    pg::array taken_ids;
    for (int row = 0; row < r->rows(); ++row) {
      auto id = r->string(row, 0);
      taken_ids.add(r->text(row, 0));
      auto from = previous[id];
      out.push_back({std::move(id), r->int64(row, 1), std::move(from)});
    }
    if (out.empty())
      return out;
    auto requeued = conn_->exec(requeue_taken, params{}.add(taken_ids.take()).add(now).add(
                                                 "interrupted: another node took this "
                                                 "advertiser's lease while this month was running"));
    if (!requeued)
      return std::move(requeued).error();
    return out;
  });
  if (taken)
    analyze_grown_leases(static_cast<int64_t>(taken->size()));
  return taken;
}

// Each session plans its prepared statements once, on the statistics of the
// moment. The lease table fills by the thousands right after a bulk import or
// a start, before autovacuum's first analyze (a minute or more), and the
// claims' lease checks kept plans made for an empty table: a 100,000-row
// import ran at 400-1,600 months a second for 80 s, and at ~8,000 once an
// ANALYZE of this table alone had run. An ANALYZE sends the other sessions
// new statistics and has them plan again; it runs each time the leases this
// node took have doubled, so a few times in all however many rounds there are. It is only a hint: a failure
// (the table's owner is another role) leaves the planner to autovacuum.
void postgres_store::analyze_grown_leases(int64_t just_taken) {
  constexpr int64_t at_least = 1000;
  leases_taken_ += just_taken;
  if (leases_taken_ - leases_analyzed_at_ < std::max(at_least, leases_analyzed_at_))
    return;
  leases_analyzed_at_ = leases_taken_;
  (void)conn_->exec_script("ANALYZE advertiser_leases", "ANALYZE advertiser_leases");
}

expected<std::vector<std::string>>
postgres_store::release_leases(const std::string& node_id,
                               std::span<const std::string> advertiser_ids, timestamp) {
  if (advertiser_ids.empty())
    return std::vector<std::string>{};
  pg::array wanted;
  for (const auto& id : advertiser_ids)
    wanted.add(id);
  return conn_->transact([&]() -> expected<std::vector<std::string>> {
    auto locked = conn_->exec(lock_surplus, params{}.add(node_id).add(wanted.take()));
    if (!locked)
      return std::move(locked).error();
    pg::array ids;
    for (int row = 0; row < locked->rows(); ++row)
      ids.add(locked->text(row, 0));
    auto freed = conn_->exec(free_idle, params{}.add(ids.take()).add(node_id));
    if (!freed)
      return std::move(freed).error();
    std::vector<std::string> out;
    for (int row = 0; row < freed->rows(); ++row)
      out.push_back(freed->string(row, 0));
    return out;
  });
}

expected<std::vector<advertiser_lease>> postgres_store::list_leases(const std::string& node_id) {
  return call([&]() -> expected<std::vector<advertiser_lease>> {
    auto r = conn_->exec(select_leases, params{}.add(node_id));
    if (!r)
      return std::move(r).error();
    std::vector<advertiser_lease> out;
    for (int row = 0; row < r->rows(); ++row)
      out.push_back({r->string(row, 0), r->int64(row, 1), ""});
    return out;
  });
}

expected<std::vector<month_state>>
postgres_store::reap_dead_nodes(timestamp now, std::chrono::milliseconds lease_ttl) {
  return call([&]() -> expected<std::vector<month_state>> {
    auto r = conn_->exec(reap_dead, params{}.add(now).add(now - lease_ttl));
    if (!r)
      return std::move(r).error();
    return pg::months_of(*r);
  });
}

} // namespace cdp
