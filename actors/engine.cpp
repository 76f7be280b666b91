#include "actors/engine.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "actors/advertiser.hpp"
#include "actors/committer.hpp"
#include "actors/director.hpp"
#include "actors/errors.hpp"
#include "actors/job_pool.hpp"
#include "actors/node_agent.hpp"
#include "actors/operator_agent.hpp"
#include "actors/reaper.hpp"
#include "actors/store_reader.hpp"

namespace cdp {

namespace {

/// Store connections of the operator's reads (SQLite WAL and PostgreSQL
/// both read in parallel).
constexpr int operator_readers = 2;

/// Committers, each with its own connection. SQLite has one writer at a
/// time, so more would only queue for its lock; PostgreSQL commits
/// transactions of disjoint advertisers in parallel.
int writers_for(const std::string& store_url) { return store_is_shared(store_url) ? 2 : 1; }

/// Watches the engine's own actors: none of them may end while it runs.
caf::behavior watchdog(caf::event_based_actor* self, std::vector<caf::actor> core,
                       std::function<void(const std::string&)> on_failure) {
  for (auto& hdl : core)
    self->monitor(hdl);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto what = "a core actor ended: " + self->system().render(dm.reason);
    spdlog::critical("engine: {}", what);
    if (on_failure)
      on_failure(what);
  });
  return {[](caf::unit_t) {}};
}

} // namespace

engine start_engine(caf::actor_system& sys, const engine_options& options) {
  const auto& cfg = options.cfg;
  engine e;
  e.metrics = options.metrics;
  auto shared = std::make_shared<advertiser_settings>();
  // A statement must end before the request waiting for it gives up, or a
  // claim could commit after its advertiser already counted it as failed.
  auto store = options.store;
  store.statement_timeout = std::min(store.statement_timeout, shared->store_timeout / 2);
  bool clustered = options.registration && store_is_shared(cfg.store.url);
  if (clustered)
    store.idle_in_transaction = cfg.node.lease_ttl;
  store_reader_settings reading{options.clk, cfg.backfill_months, cfg.retry,
                                cfg.reaper.stale_after, cfg.node.lease_ttl, clustered};
  auto writes = std::make_shared<write_health>();
  for (int i = 0; i < writers_for(cfg.store.url); ++i)
    e.committers.push_back(sys.spawn<caf::detached>(committer, cfg.store.url, store, options.clk,
                                                    options.metrics, writes, options.observer));
  e.reader = sys.spawn<caf::detached>(store_reader, cfg.store.url, store, reading);
  auto queue = std::make_shared<job_queue>(
    job_queue_settings{cfg.pool.max_size, cfg.pool.queue_capacity, cfg.pool.backfill_share});
  e.pool = sys.spawn(job_pool, job_pool_settings{cfg.pool.core_size, cfg.pool.max_size,
                                                 cfg.pool.queue_capacity, cfg.pool.backfill_share,
                                                 cfg.job.timeout, options.make_job,
                                                 options.metrics, queue});
  shared->clk = options.clk;
  shared->retry = cfg.retry;
  shared->probe = cfg.probe;
  shared->backfill_months = cfg.backfill_months;
  shared->node_id = options.node_id;
  shared->leased = clustered;
  shared->job_timeout = cfg.job.timeout;
  shared->committers = e.committers;
  shared->reader = e.reader;
  shared->pool = e.pool;
  shared->queue = queue;
  shared->seed = std::random_device{}();
  e.supervisor = sys.spawn(supervisor, std::shared_ptr<const advertiser_settings>{shared},
                           options.restarts);
  e.director = sys.spawn(director, director_settings{cfg.schedule.tick_interval,
                                                     shared->store_timeout, e.reader,
                                                     e.supervisor, options.metrics,
                                                     options.observer, options.clk,
                                                     cfg.probe.enabled});
  // In cluster mode the reaper frees a dead node's months as soon as its
  // lease expires, so it looks as often as the nodes beat.
  auto reap_every = clustered ? std::min(cfg.reaper.interval, cfg.node.heartbeat)
                              : cfg.reaper.interval;
  e.reaper = sys.spawn(reaper, reaper_settings{reap_every, cfg.reaper.stale_after,
                                               shared->store_timeout, cfg.audit.retention,
                                               options.clk, e.reader, e.supervisor,
                                               options.metrics});
  auto operator_reading = reading;
  operator_reading.reap_dead_nodes = false;
  for (int i = 0; i < operator_readers; ++i)
    e.operator_readers.push_back(
      sys.spawn<caf::detached>(store_reader, cfg.store.url, store, operator_reading));
  operator_settings desk;
  desk.tokens = api_tokens(cfg);
  desk.roles = cfg.admin.roles;
  desk.node_id = options.node_id;
  desk.clk = options.clk;
  desk.probe = cfg.probe;
  desk.readers = e.operator_readers;
  desk.writes = writes;
  desk.supervisor = e.supervisor;
  desk.director = e.director;
  desk.pool = e.pool;
  e.operations = sys.spawn(operator_agent, desk);
  std::vector<caf::actor> core{caf::actor_cast<caf::actor>(e.reader),
                               caf::actor_cast<caf::actor>(e.pool),
                               caf::actor_cast<caf::actor>(e.supervisor),
                               caf::actor_cast<caf::actor>(e.director),
                               caf::actor_cast<caf::actor>(e.reaper),
                               caf::actor_cast<caf::actor>(e.operations)};
  for (const auto& r : e.operator_readers)
    core.push_back(caf::actor_cast<caf::actor>(r));
  for (const auto& c : e.committers)
    core.push_back(caf::actor_cast<caf::actor>(c));
  if (options.registration) {
    node_settings membership;
    membership.registered = options.registration;
    membership.node_id = options.node_id;
    membership.clk = options.clk;
    membership.heartbeat = cfg.node.heartbeat;
    membership.lease_ttl = cfg.node.lease_ttl;
    membership.lease_batch = cfg.node.lease_batch;
    membership.leased = clustered;
    membership.ask_timeout = shared->store_timeout;
    membership.supervisor = e.supervisor;
    membership.director = e.director;
    e.node = sys.spawn<caf::detached>(node_agent, membership);
    core.push_back(caf::actor_cast<caf::actor>(e.node));
  }
  e.watchdog = sys.spawn(watchdog, std::move(core), options.on_core_failure);
  return e;
}

expected<int64_t> engine::drain(caf::actor_system& sys, std::chrono::milliseconds limit) {
  caf::scoped_actor self{sys};
  expected<int64_t> result = make_failure(errc::timeout, "drain did not finish");
  self->request(director, limit, drain_atom_v)
    .receive([&](int64_t n) { result = n; },
             [&](caf::error& err) { result = from_caf_error(err); });
  if (result && node)
    self->request(node, std::chrono::seconds{10}, leave_atom_v)
      .receive([](bool) {},
               [&](caf::error& err) {
                 spdlog::warn("could not leave the cluster cleanly: {}; the other nodes take "
                              "over once this node's lease expires",
                              from_caf_error(err).message);
               });
  return result;
}

void engine::stop() {
  caf::anon_send_exit(watchdog, caf::exit_reason::user_shutdown);
  if (node)
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(operations, caf::exit_reason::user_shutdown);
  for (const auto& r : operator_readers)
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  for (const auto& hdl : {caf::actor_cast<caf::actor>(director), caf::actor_cast<caf::actor>(reaper),
                          caf::actor_cast<caf::actor>(supervisor), caf::actor_cast<caf::actor>(pool),
                          caf::actor_cast<caf::actor>(reader)})
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  for (const auto& c : committers)
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
}

} // namespace cdp
