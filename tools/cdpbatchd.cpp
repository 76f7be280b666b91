// cdpbatchd: the daemon. Options, configuration, store, engine; then it runs
// until SIGINT/SIGTERM and drains.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "actors/admin_port.hpp"
#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "api/rest_api.hpp"
#include "config/config.hpp"
#include "domain/duration.hpp"
#include "domain/retry_policy.hpp"
#include "runtime/logging.hpp"
#include "runtime/system_clock.hpp"
#include "tools/demo.hpp"
#include "tools/version.hpp"

namespace {

using namespace std::chrono_literals;

/// SIGUSR1 is the engine's own alarm: a core actor died (see on_core_failure).
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

/// Sleeps `d` unless a stop signal comes first; true if one came.
bool stop_requested_within(std::chrono::milliseconds d) {
  auto set = stop_signals();
  timespec ts{static_cast<time_t>(d.count() / 1000), static_cast<long>(d.count() % 1000) * 1000000};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

/// The store, or why there is none: a broken store, or a stop request that
/// came while waiting for it.
struct opened_store {
  std::unique_ptr<cdp::store> db;
  bool stopped = false;
};

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

/// Opens and migrates the store and registers this node on it; an
/// unreachable database (a read-only disk too) is retried with backoff (1s
/// doubling to 30s) until it answers or the operator stops us.
opened_store open_with_retry(const cdp::config& cfg, const cdp::node_registration& me,
                             const cdp::system_clock& clk) {
  // Its lease rounds lock lease rows: not past the lease if it freezes.
  cdp::store_options registering;
  if (cdp::store_is_shared(cfg.store.url))
    registering.idle_in_transaction = cfg.node.lease_ttl;
  for (int failures = 1;; ++failures) {
    auto db = cdp::open_store(cfg.store.url, registering);
    if (db) {
      // Holds the node id (PostgreSQL) or the database file (SQLite) for the
      // process's life: a second live daemon is refused here, before it
      // touches anything, while a restart after kill -9 goes through at once.
      auto ready = (*db)->migrate();
      if (ready)
        ready = (*db)->register_node(me, clk.now());
      if (ready)
        return {std::move(*db)};
      db = ready.error();
    }
    if (db.error().code != cdp::errc::store_unavailable) {
      spdlog::critical("cannot start: {}", db.error().message);
      return {};
    }
    auto delay = cdp::reconnect_delay(failures);
    spdlog::warn("store unreachable: {}; retrying in {}", db.error().message,
                 cdp::format_duration(delay));
    if (stop_requested_within(delay)) {
      spdlog::info("stop requested while waiting for the store; exiting");
      return {nullptr, true};
    }
  }
}

std::string node_name(const cdp::config& cfg) {
  return cfg.node.id.empty() ? host_name() : cfg.node.id;
}

/// The store's URL with a SQLite file as an absolute path: where it is.
/// `default (operate), dashboard (read)`: who may call, never the tokens.
std::string describe_tokens(const std::vector<cdp::api_token>& tokens) {
  std::string out;
  for (const auto& t : tokens)
    out += (out.empty() ? "" : ", ") + t.name + " (" + std::string{to_string(t.granted)} + ")";
  return out;
}

std::string where(const std::string& url) {
  constexpr std::string_view sqlite = "sqlite://";
  if (url.rfind(sqlite, 0) != 0)
    return cdp::redact_password(url);
  std::error_code ec;
  auto file = std::filesystem::absolute(url.substr(sqlite.size()), ec);
  return ec ? url : std::string{sqlite} + file.string();
}

int run(const cdp::config& cfg, bool demo) {
  auto signals = stop_signals();
  auto clk = std::make_shared<cdp::system_clock>(cfg.schedule.timezone, cfg.schedule.current_month);
  auto node = node_name(cfg);
  spdlog::info("cdpbatchd {} starting: node {}, store {}, job {}, tick {}, current month {}",
               CDP_VERSION, node, cdp::redact_password(cfg.store.url),
               cfg.job.kind, cdp::format_duration(cfg.schedule.tick_interval),
               clk->current_month().to_string());
  auto [db, stopped] = open_with_retry(cfg, {node, host_name(), ::getpid()}, *clk);
  if (!db)
    return stopped ? 0 : 1;
  auto recovered = db->recover_node(node, clk->now());
  if (!recovered) {
    spdlog::critical("store: recovering this node's interrupted months failed: {}",
                     recovered.error().message);
    return 1;
  }
  for (const auto& m : *recovered)
    cdp::log_job(spdlog::level::warn, m.advertiser_id, m.month,
                 "recovered: was RUNNING when cdpbatchd stopped; runs again now (no retry used)");
  if (demo) {
    auto made = cdp::create_demo(*db, cfg, *clk, node);
    if (!made) {
      spdlog::critical("demo: {}", made.error().message);
      return 1;
    }
    if (*made > 0)
      spdlog::info("demo: created advertisers A and B (EXISTING) and C (NEW, backfills {} months)",
                   cfg.backfill_months);
  }
  auto jobs = cdp::make_job_factory(cfg);
  if (!jobs) {
    spdlog::critical("job: {}", jobs.error().message);
    return 1;
  }
  cdp::system_config sys_cfg{0, {cfg.admin.heartbeat_interval, cfg.admin.connection_timeout,
                                  cfg.admin.tls_cert, cfg.admin.tls_key, cfg.admin.tls_ca}};
  caf::actor_system sys{sys_cfg};
  cdp::engine_options options{cfg, clk, *jobs, node, {}, {}, {}};
  options.registration = std::shared_ptr<cdp::store>{std::move(db)};
  options.on_core_failure = [](const std::string&) { ::kill(::getpid(), SIGUSR1); };
  auto engine = cdp::start_engine(sys, options);
  auto listen = *cdp::parse_listen_address(cfg.http.listen);
  cdp::api::rest_settings http;
  http.host = listen.host;
  http.port = listen.port;
  http.tokens = cdp::api_tokens(cfg);
  http.request_timeout = cfg.http.request_timeout;
  http.max_import_body = static_cast<size_t>(cfg.http.max_body);
  cdp::api::rest_api api{sys, engine.operations, engine.metrics, http};
  if (auto started = api.start(); !started) {
    spdlog::critical("{}", started.error().message);
    engine.stop();
    return 1;
  }
  spdlog::info("REST API listening on http://{}:{}/api/v2/batch/ (mutations {})", listen.host,
               api.port(),
               http.tokens.empty()
                 ? std::string{"open: no API token set"}
                 : "need an operate token; " + std::to_string(http.tokens.size()) + " tokens: "
                     + describe_tokens(http.tokens));
  if (http.tokens.empty() && !cdp::is_loopback_host(listen.host))
    spdlog::warn("REST API on {} is reachable from other hosts with no API token: anyone there "
                 "can change the engine (api.allow_anonymous = true)",
                 cfg.http.listen);
  auto admin = cdp::open_admin_endpoint(sys, engine.operations, cfg);
  if (!admin) {
    spdlog::critical("{}", admin.error().message);
    api.stop();
    engine.stop();
    return 1;
  }
  spdlog::info("cdpbatchd running; SIGTERM or Ctrl-C drains and stops");
  int sig = 0;
  sigwait(&signals, &sig);
  if (sig == SIGUSR1) {
    spdlog::critical("stopping: the engine cannot go on (see above); a restart resumes from the store");
    api.stop();
    admin->stop();
    engine.stop();
    return 1;
  }
  spdlog::info("received {}: draining (no new claims; in-flight jobs finish and are recorded)",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  auto drained = engine.drain(sys, cfg.job.timeout + 1min);
  if (drained)
    spdlog::info("drained {} advertisers; stopping", *drained);
  else
    spdlog::warn("drain incomplete: {}; stopping anyway", drained.error().message);
  api.stop();
  admin->stop();
  engine.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"cdpbatchd - runs the monthly CDP batch for every advertiser at once"};
  std::string config_path = "config.toml";
  std::vector<std::string> overrides;
  bool check_only = false;
  bool print_defaults = false;
  bool demo = false;
  app.set_version_flag("--version", cdp::version_line("cdpbatchd"));
  auto* config_option = app.add_option(
    "-c,--config", config_path,
    "configuration file (TOML); without it ./config.toml, or the built-in defaults when "
    "there is none");
  app.add_option("--set", overrides, "override a key: --set retry.max_retries=5 (repeatable)")
    ->type_name("KEY=VALUE");
  app.add_flag("--check-config", check_only,
               "validate the configuration, print the effective values and exit");
  app.add_flag("--print-default-config", print_defaults,
               "print the default configuration file, every key commented, and exit");
  app.add_flag("--demo", demo, "create the demo advertisers when the store is empty");
  CLI11_PARSE(app, argc, argv);
  if (print_defaults) {
    std::cout << cdp::default_config_text();
    return 0;
  }

  std::error_code ec;
  bool without_file = config_option->count() == 0 && !std::filesystem::exists(config_path, ec);
  auto loaded = without_file ? cdp::load_config("", overrides,
                                                cdp::defaults_without_file(
                                                  std::getenv("XDG_STATE_HOME")))
                             : cdp::load_config(config_path, overrides);
  if (!loaded.value) {
    for (const auto& e : loaded.errors)
      std::cerr << "cdpbatchd: config error: " << e << '\n';
    return 2;
  }
  const auto& cfg = *loaded.value;
  if (check_only) {
    std::cout << "# effective configuration ("
              << (without_file ? "built-in defaults: no configuration file" : config_path)
              << ")\n" << cdp::render_config(cfg);
    return 0;
  }
  // Stop signals are taken by sigwait in run(); every thread started from
  // here on (the logger's first) inherits the mask.
  auto signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (auto logging = cdp::setup_logging(cfg.log.level, cfg.log.file); !logging) {
    std::cerr << "cdpbatchd: " << logging.error().message << '\n';
    return 2;
  }
  if (without_file)
    spdlog::info("no configuration file (no --config and no ./{}): running on built-in defaults, "
                 "store {}, REST {}, admin {}; cdpbatchd --print-default-config writes them out",
                 config_path, where(cfg.store.url), cfg.http.listen, cfg.admin.listen);
  auto code = run(cfg, demo);
  spdlog::shutdown();
  return code;
}
