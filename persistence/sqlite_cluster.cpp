// Nodes and leases on SQLite. SQLite is single-node: one daemon per database
// file, kept so by an exclusive lock on a file beside it, which the kernel
// drops when its process ends however it ends. The tables and the fencing
// rule are the PostgreSQL store's, so the contract holds on both.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {
namespace sql {

constexpr const char* upsert_node = R"sql(
INSERT INTO nodes (node_id, host, pid, started_at, heartbeat_at, stopped_at)
VALUES (?1, ?2, ?3, ?4, ?4, NULL)
ON CONFLICT (node_id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
  started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL)sql";

constexpr const char* renew_epochs =
  "UPDATE advertiser_leases SET epoch = epoch + 1 WHERE node_id = ?1";

constexpr const char* beat = R"sql(
INSERT INTO nodes (node_id, host, pid, started_at, heartbeat_at, stopped_at)
VALUES (?1, ?2, ?3, ?4, ?4, NULL)
ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, stopped_at = NULL)sql";

constexpr const char* stop_node =
  "UPDATE nodes SET stopped_at = ?2, heartbeat_at = ?2 WHERE node_id = ?1";

constexpr const char* free_leases_of =
  "UPDATE advertiser_leases SET node_id = NULL WHERE node_id = ?1";

constexpr const char* select_nodes = R"sql(
SELECT n.node_id, n.host, n.pid, n.started_at, n.heartbeat_at, n.stopped_at,
       (SELECT count(*) FROM advertiser_leases l WHERE l.node_id = n.node_id),
       (SELECT count(*) FROM advertiser_processing_states s
         WHERE s.status = 'RUNNING' AND s.owner = n.node_id),
       (SELECT count(*) FROM advertisers)
  FROM nodes n ORDER BY n.node_id)sql";

// ?2: heartbeats at or after this instant are live.
#define CDP_SQLITE_LIVE_NODES \
  "SELECT node_id FROM nodes WHERE stopped_at IS NULL AND heartbeat_at >= ?2"

constexpr const char* census =
  "SELECT (SELECT count(*) FROM advertisers),"
  " (SELECT count(*) FROM (" CDP_SQLITE_LIVE_NODES ")),"
  " (SELECT count(*) FROM advertiser_leases WHERE node_id = ?1),"
  " (SELECT count(*) FROM advertisers a"
  "   LEFT JOIN advertiser_leases l ON l.advertiser_id = a.advertiser_id"
  "   WHERE l.node_id IS NULL OR l.node_id NOT IN (" CDP_SQLITE_LIVE_NODES "))";

constexpr const char* candidates =
  "SELECT a.advertiser_id, coalesce(l.node_id, '') FROM advertisers a"
  " LEFT JOIN advertiser_leases l ON l.advertiser_id = a.advertiser_id"
  " WHERE l.node_id IS NULL OR l.node_id NOT IN (" CDP_SQLITE_LIVE_NODES ")"
  " ORDER BY a.advertiser_id LIMIT ?3";

#undef CDP_SQLITE_LIVE_NODES

constexpr const char* take_lease = R"sql(
INSERT INTO advertiser_leases (advertiser_id, node_id, epoch, acquired_at)
VALUES (?1, ?2, 1, ?3)
ON CONFLICT (advertiser_id) DO UPDATE SET node_id = excluded.node_id,
  epoch = advertiser_leases.epoch + 1, acquired_at = excluded.acquired_at
RETURNING epoch)sql";

constexpr const char* free_idle_lease = R"sql(
UPDATE advertiser_leases SET node_id = NULL
 WHERE advertiser_id = ?1 AND node_id = ?2
   AND NOT EXISTS (SELECT 1 FROM advertiser_processing_states s
                    WHERE s.advertiser_id = ?1 AND s.status = 'RUNNING'))sql";

constexpr const char* select_leases =
  "SELECT advertiser_id, epoch FROM advertiser_leases WHERE node_id = ?1"
  " ORDER BY advertiser_id";

constexpr const char* any_lease = "SELECT 1 FROM advertiser_leases LIMIT 1";

constexpr const char* select_lease =
  "SELECT coalesce(node_id, ''), epoch FROM advertiser_leases WHERE advertiser_id = ?1";

} // namespace sql

failure not_registered() {
  return make_failure(errc::invalid_argument,
                      "no node is registered on this store connection (register_node first)");
}

/// What the lock file says about its holder.
std::string holder_of(int fd) {
  char text[256] = {};
  auto n = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder{text, n > 0 ? static_cast<size_t>(n) : 0};
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0'))
    holder.pop_back();
  return holder.empty() ? "another cdpbatchd" : holder;
}

} // namespace

sqlite_store::~sqlite_store() {
  if (lock_fd_ >= 0)
    ::close(lock_fd_);
}

void sqlite_store::lock_database_file() {
  if (lock_fd_ >= 0)
    return;
  auto path = db_->path() + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw error{make_failure(errc::store_unavailable,
                             "sqlite " + db_->path() + ": cannot open the lock file " + path
                               + ": " + std::strerror(errno)
                               + disk_hint(SQLITE_CANTOPEN, db_->path()))};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto holder = holder_of(fd);
    ::close(fd);
    throw error{make_failure(
      errc::conflict, "sqlite " + db_->path() + ": the database is in use by " + holder
                        + "; SQLite runs one daemon at a time: stop that one first, or use "
                          "PostgreSQL (store.url = postgresql://...) to run several")};
  }
  lock_fd_ = fd;
}

status sqlite_store::register_node(const node_registration& me, timestamp now) {
  return guarded([&]() -> status {
    lock_database_file();
    auto holder = "cdpbatchd pid " + std::to_string(me.pid) + " on host '" + me.host
                  + "' (node.id '" + me.node_id + "')\n";
    if (::ftruncate(lock_fd_, 0) != 0
        || ::pwrite(lock_fd_, holder.data(), holder.size(), 0)
             != static_cast<ssize_t>(holder.size()))
      throw error{make_failure(errc::store_unavailable, "sqlite " + db_->path()
                                                          + ": cannot write the lock file: "
                                                          + std::strerror(errno))};
    write_transaction tx{*db_};
    db_->prepare(sql::upsert_node).bind(1, me.node_id).bind(2, me.host).bind(3, me.pid)
      .bind(4, now).run();
    db_->prepare(sql::renew_epochs).bind(1, me.node_id).run();
    tx.commit();
    node_ = me;
    return ok;
  });
}

status sqlite_store::heartbeat(timestamp now) {
  if (!node_)
    return not_registered();
  return guarded([&]() -> status {
    write_transaction tx{*db_};
    db_->prepare(sql::beat).bind(1, node_->node_id).bind(2, node_->host).bind(3, node_->pid)
      .bind(4, now).run();
    tx.commit();
    return ok;
  });
}

status sqlite_store::leave_node(timestamp now) {
  if (!node_)
    return not_registered();
  return guarded([&]() -> status {
    write_transaction tx{*db_};
    db_->prepare(sql::stop_node).bind(1, node_->node_id).bind(2, now).run();
    db_->prepare(sql::free_leases_of).bind(1, node_->node_id).run();
    tx.commit();
    return ok;
  });
}

expected<std::vector<node_view>> sqlite_store::list_nodes(timestamp now,
                                                          std::chrono::milliseconds lease_ttl) {
  return guarded([&]() -> expected<std::vector<node_view>> {
    read_transaction snapshot{*db_};
    auto q = db_->prepare(sql::select_nodes);
    std::vector<node_view> out;
    while (q.step()) {
      node_view n;
      n.node_id = q.text(0);
      n.host = q.text(1);
      n.pid = q.int64(2);
      n.started_at = q.time(3);
      n.heartbeat_at = q.time(4);
      n.heartbeat_age_ms = (now - n.heartbeat_at).count();
      n.stopped_at = q.optional_time(5);
      n.live = node_is_live(n.heartbeat_at, n.stopped_at.has_value(), now, lease_ttl);
      // One daemon per file: the live one runs every advertiser, leased or not.
      n.advertisers_owned = n.live ? q.int64(8) : q.int64(6);
      n.running_jobs = q.int64(7);
      out.push_back(std::move(n));
    }
    return out;
  });
}

expected<lease_census> sqlite_store::count_leases(const std::string& node_id, timestamp now,
                                                  std::chrono::milliseconds lease_ttl) {
  return guarded([&]() -> expected<lease_census> {
    auto q = db_->prepare(sql::census);
    q.bind(1, node_id).bind(2, now - lease_ttl).step();
    return lease_census{q.int64(0), q.int64(1), q.int64(2), q.int64(3)};
  });
}

expected<std::vector<advertiser_lease>>
sqlite_store::acquire_leases(const std::string& node_id, int64_t limit, timestamp now,
                             std::chrono::milliseconds lease_ttl) {
  if (limit <= 0)
    return std::vector<advertiser_lease>{};
  return guarded([&]() -> expected<std::vector<advertiser_lease>> {
    // One writer at a time: what the candidates query sees stays true until
    // the commit.
    write_transaction tx{*db_};
    std::vector<advertiser_lease> taken;
    {
      auto q = db_->prepare(sql::candidates);
      q.bind(1, node_id).bind(2, now - lease_ttl).bind(3, limit);
      while (q.step())
        taken.push_back({q.text(0), 0, q.text(1)});
    }
    for (auto& lease : taken) {
      auto q = db_->prepare(sql::take_lease);
      q.bind(1, lease.advertiser_id).bind(2, node_id).bind(3, now).step();
      lease.epoch = q.int64(0);
      requeue_taken(lease.advertiser_id, now);
    }
    tx.commit();
    return taken;
  });
}

expected<std::vector<std::string>>
sqlite_store::release_leases(const std::string& node_id,
                             std::span<const std::string> advertiser_ids, timestamp) {
  if (advertiser_ids.empty())
    return std::vector<std::string>{};
  return guarded([&]() -> expected<std::vector<std::string>> {
    write_transaction tx{*db_};
    std::vector<std::string> freed;
    for (const auto& id : advertiser_ids) {
      auto q = db_->prepare(sql::free_idle_lease);
      q.bind(1, id).bind(2, node_id).run();
      if (q.changes() > 0)
        freed.push_back(id);
    }
    tx.commit();
    std::sort(freed.begin(), freed.end());
    return freed;
  });
}

expected<std::vector<advertiser_lease>> sqlite_store::list_leases(const std::string& node_id) {
  return guarded([&]() -> expected<std::vector<advertiser_lease>> {
    auto q = db_->prepare(sql::select_leases);
    q.bind(1, node_id);
    std::vector<advertiser_lease> out;
    while (q.step())
      out.push_back({q.text(0), q.int64(1), ""});
    return out;
  });
}

bool sqlite_store::any_lease() {
  return db_->prepare(sql::any_lease).step();
}

std::optional<transition_outcome> sqlite_store::fence(const std::string& id,
                                                      const std::string& node, int64_t epoch,
                                                      bool leases) {
  // Never leased is what lease_allows reads as "epoch 0 only".
  if (!leases && epoch == 0)
    return std::nullopt;
  std::string holder;
  int64_t held_epoch = -1;
  {
    auto q = db_->prepare(sql::select_lease);
    if (q.bind(1, id).step()) {
      holder = q.text(0);
      held_epoch = q.int64(1);
    }
  }
  if (lease_allows(holder, held_epoch, node, epoch))
    return std::nullopt;
  transition_outcome refused;
  refused.code = errc::lease_lost;
  refused.message = lease_refusal(id, holder, held_epoch, node, epoch);
  return refused;
}

} // namespace cdp::sqlite
