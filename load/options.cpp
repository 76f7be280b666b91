#include "load/options.hpp"

#include <cmath>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "domain/duration.hpp"

namespace cdp::load {

namespace {

/// A duration option: "250ms", "30s", "5m", "1h", "2d".
CLI::Option* duration_option(CLI::App& app, const std::string& name,
                             std::chrono::milliseconds& into, const std::string& help) {
  return app
    .add_option_function<std::string>(
      name,
      [&into, name](const std::string& text) {
        auto d = parse_duration(text);
        if (!d)
          throw CLI::ValidationError(name, "'" + text
                                             + "' is not a duration (a whole number and one "
                                               "of ms, s, m, h, d: 250ms, 30s, 5m)");
        into = *d;
      },
      help)
    ->type_name("D");
}

/// Options of the engine cdpload runs itself, and where a daemon sets them.
constexpr std::pair<const char*, const char*> engine_options[] = {
  {"--store", "store.url"},
  {"--months", "backfill.months"},
  {"--latency", "job.simulated.latency"},
  {"--jitter", "job.simulated.latency_jitter"},
  {"--failure-rate", "job.simulated.failure_rate"},
  {"--fail-first-only", "job.simulated.fail_first_attempt_only"},
  {"--seed", "job.simulated.seed"},
  {"--runners", "batch.thread-pool.core-size and max-size"},
  {"--queue", "batch.thread-pool.queue-capacity"},
  {"--tick", "schedule.tick_interval"},
  {"--backoff", "retry.backoff_base"},
};

/// A daemon runs its own engine: an option of cdpload's would be ignored.
std::optional<std::string> refuse_engine_options(const CLI::App& app) {
  for (const auto& [name, key] : engine_options)
    if (app.get_option(name)->count() > 0)
      return std::string{name} + " sets up the engine cdpload runs itself; with --target the "
             + "daemon's config decides (" + key + "; job.kind = \"simulated\")";
  if (app.get_option("--sequential")->count() > 0)
    return std::string{"--sequential runs in this process only; it cannot be combined with "
                       "--target"};
  return std::nullopt;
}

} // namespace

int64_t options::new_count() const {
  return static_cast<int64_t>(std::llround(static_cast<double>(advertisers) * new_ratio));
}

std::variant<options, parse_exit> parse_options(int argc, const char* const* argv) {
  options o;
  CLI::App app{"cdpload - drives the cdpbatch engine with simulated advertisers and reports "
               "throughput, latencies, memory and order"};
  app.add_option("--advertisers", o.advertisers, "simulated advertisers (default 1000)")
    ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--new-ratio", o.new_ratio, "share of them NEW, backfilling (default 0.2)")
    ->check(CLI::Range(0.0, 1.0));
  app.add_option("--months", o.months, "backfill months of a NEW advertiser (default 24)")
    ->check(CLI::Range(1, 120));
  duration_option(app, "--latency", o.latency, "each job's run time (default 0ms)");
  duration_option(app, "--jitter", o.jitter, "plus up to this much at random (default 0ms)");
  app.add_option("--failure-rate", o.failure_rate, "share of attempts that fail (default 0)")
    ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--fail-first-only", o.fail_first_only,
               "only a month's first attempt may fail (a known number of retries)");
  app.add_option("--runners", o.runners, "job runners (default 20)")->check(CLI::Range(1, 1024));
  app.add_option("--queue", o.queue, "claimed jobs that may wait for a runner (default 1000)")
    ->check(CLI::Range(1, 10'000'000));
  duration_option(app, "--tick", o.tick, "schedule tick: EXISTING advertisers refresh (default 1m)");
  duration_option(app, "--backoff", o.backoff, "delay before an automatic retry (default 0ms)");
  std::chrono::milliseconds duration{0};
  auto* for_long = duration_option(app, "--duration", duration,
                                   "run this long (default: until all did their work once)");
  app.add_option("--seed", o.seed, "seed of the simulated jobs' latency and failures (default 1)");
  app.add_option("--json", o.json_file, "also write the report as JSON to FILE")
    ->type_name("FILE");
  app.add_option("--store", o.store_url,
                 "sqlite://PATH or postgresql://... (default: a temporary SQLite file); a fresh "
                 "database, or earlier runs' advertisers run too")
    ->type_name("URL");
  app.add_option("--target", o.target,
                 "drive a running cdpbatchd through its admin port (admin.listen) instead; its "
                 "config decides the job, runners and months")
    ->type_name("HOST:PORT");
  app.add_option("--token-file", o.token_file,
                 "with --target: file holding the API token (default CDPBATCH_API_TOKEN)")
    ->type_name("FILE");
  app.add_option("--tls-cert", o.tls_cert, "with --target: this client's certificate")
    ->type_name("FILE");
  app.add_option("--tls-key", o.tls_key, "with --target: its private key")->type_name("FILE");
  app.add_option("--tls-ca", o.tls_ca, "with --target: the CA that signed the daemon's")
    ->type_name("FILE");
  duration_option(app, "--timeout", o.timeout,
                  "with --target: longest wait for the connection and each answer (default 30s)");
  app.add_flag("--sequential", o.sequential,
               "then run the same work one advertiser after another and print the speed-up");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return parse_exit{0, app.help()};
  } catch (const CLI::ParseError& e) {
    return parse_exit{2, std::string{"cdpload: "} + e.what() + "\nRun with --help for the options."};
  }
  auto fail = [](std::string text) { return parse_exit{2, "cdpload: " + std::move(text)}; };
  if (for_long->count() > 0) {
    if (duration.count() == 0)
      return fail("--duration must be longer than 0");
    o.duration = duration;
  }
  if (o.tick.count() == 0)
    return fail("--tick must be longer than 0");
  if (!o.target.empty()) {
    if (auto refused = refuse_engine_options(app))
      return fail(*refused);
    auto where = parse_listen_address(o.target);
    if (!where || where->port == 0)
      return fail("--target: expected the daemon's admin port as HOST:PORT, such as "
                  "127.0.0.1:7070, got '" + o.target + "'");
    if (o.timeout.count() == 0)
      return fail("--timeout must be longer than 0");
    int tls_parts = !o.tls_cert.empty() + !o.tls_key.empty() + !o.tls_ca.empty();
    if (tls_parts != 0 && tls_parts != 3)
      return fail("--tls-cert, --tls-key and --tls-ca go together");
  } else {
    for (const char* name : {"--token-file", "--tls-cert", "--tls-key", "--tls-ca", "--timeout"})
      if (app.get_option(name)->count() > 0)
        return fail(std::string{name} + " is for --target: the engine runs in this process");
  }
  if (!o.store_url.empty() && o.store_url.rfind("sqlite://", 0) != 0
      && o.store_url.rfind("postgresql://", 0) != 0 && o.store_url.rfind("postgres://", 0) != 0)
    return fail("--store '" + o.store_url + "' is neither sqlite://PATH nor postgresql://...");
  return o;
}

} // namespace cdp::load
