#include "load/run.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "load/population.hpp"
#include "load/progress.hpp"
#include "load/recorder.hpp"
#include "runtime/process_usage.hpp"
#include "runtime/system_clock.hpp"

namespace cdp::load {

namespace {

using clock_type = std::chrono::steady_clock;

/// Advertisers per transaction when creating them.
constexpr size_t advertisers_per_transaction = 5000;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// A temporary SQLite file for a run without --store, removed afterwards.
struct scratch_store {
  std::filesystem::path dir;
  explicit scratch_store(bool wanted) {
    if (!wanted)
      return;
    auto pattern = (std::filesystem::temp_directory_path() / "cdpload.XXXXXX").string();
    if (::mkdtemp(pattern.data()))
      dir = pattern;
  }
  ~scratch_store() {
    std::error_code ignored;
    if (!dir.empty())
      std::filesystem::remove_all(dir, ignored);
  }
};

status create_in_bulk(store& db, const population& who, const config& cfg, const clock& clk) {
  std::vector<new_advertiser> chunk;
  for (int64_t from = 0; from < who.size();
       from += static_cast<int64_t>(advertisers_per_transaction)) {
    chunk.clear();
    auto to = std::min(who.size(), from + static_cast<int64_t>(advertisers_per_transaction));
    for (auto i = from; i < to; ++i)
      chunk.push_back({who.id(i), "cdpload",
                       i < who.new_count ? advertiser_type::new_advertiser
                                         : advertiser_type::existing});
    auto made = db.create_advertisers(chunk, clk.current_month(), cfg.backfill_months,
                                      cfg.retry.max_retries, clk.now(), {},
                                      audit_note{"cdpload", "cdpload population", ""});
    if (!made)
      return made.error();
  }
  return ok;
}

config engine_config(const options& o, const std::string& url) {
  config cfg;
  cfg.store.url = url;
  cfg.backfill_months = o.months;
  cfg.schedule.tick_interval = o.tick;
  cfg.retry.backoff_base = o.backoff;
  cfg.retry.backoff_factor = 1.0;
  cfg.retry.backoff_max = std::max(o.backoff, std::chrono::milliseconds{1});
  cfg.pool.core_size = o.runners;
  cfg.pool.max_size = o.runners;
  cfg.pool.queue_capacity = o.queue;
  cfg.job.kind = "simulated";
  cfg.job.simulated.latency = o.latency;
  cfg.job.simulated.latency_jitter = o.jitter;
  cfg.job.simulated.failure_rate = o.failure_rate;
  cfg.job.simulated.seed = o.seed;
  cfg.job.simulated.fail_first_attempt_only = o.fail_first_only;
  return cfg;
}

struct sequential_figures {
  int64_t jobs = 0;
  int64_t attempts = 0;
  double wall_s = 0;
};

/// One month of one advertiser to its end, as the round-robin loop did it:
/// claim, run, record, and retry after the backoff until it completes or
/// its retries are used up. False when it used them up.
expected<bool> run_month_alone(store& db, month_job& job, const config& cfg, const clock& clk,
                               const std::string& id, year_month month, bool last_backfill,
                               bool existing, int64_t& token, sequential_figures& out) {
  for (;;) {
    claim_request c;
    c.advertiser_id = id;
    c.month = month;
    c.owner = "cdpload-sequential";
    c.lease_token = ++token;
    c.create_if_missing = existing;
    c.max_retries = cfg.retry.max_retries;
    auto claimed = db.claim(c, clk.now());
    if (!claimed)
      return claimed.error();
    if (!claimed->applied || !claimed->row)
      return make_failure(errc::conflict, "sequential run: cannot claim " + id + " "
                                            + month.to_string() + ": " + claimed->message);
    ++out.attempts;
    const auto& row = *claimed->row;
    auto result = job.run({id, month, row.retry_count + 1, cfg.job.timeout});
    if (result.succeeded) {
      complete_request done{id,    month, c.lease_token, result.processed_records,
                            result.failed_records, false, std::nullopt, last_backfill};
      done.next_cursor = last_backfill || existing ? clk.current_month() : month.next();
      if (auto ok = db.complete(done, clk.now()); !ok)
        return ok.error();
      ++out.jobs;
      return true;
    }
    bool retries_left = row.retry_count < row.max_retries;
    fail_request f{id, month, c.lease_token, result.error, std::nullopt, std::nullopt};
    if (retries_left)
      f.next_attempt_at = clk.now() + cfg.retry.backoff_base;
    else
      f.deactivate_reason = "month " + month.to_string() + " used up its retries";
    if (auto ok = db.fail(f, clk.now()); !ok)
      return ok.error();
    if (!retries_left)
      return false;
    std::this_thread::sleep_for(cfg.retry.backoff_base);
  }
}

/// The same work as the engine's run, one advertiser after another on this
/// thread: the round-robin system cdpbatch replaces.
expected<sequential_figures> run_sequentially(store& db, const population& who,
                                              const config& cfg, const clock& clk) {
  if (auto made = create_in_bulk(db, who, cfg, clk); !made)
    return made.error();
  auto jobs = make_job_factory(cfg);
  if (!jobs)
    return jobs.error();
  auto job = (*jobs)();
  sequential_figures out;
  int64_t token = 0;
  auto current = clk.current_month();
  auto t0 = clock_type::now();
  for (int64_t i = 0; i < who.size(); ++i) {
    auto id = who.id(i);
    bool is_new = i < who.new_count;
    auto first = is_new ? *year_month::from_index(current.index() - (cfg.backfill_months - 1))
                        : current;
    for (auto m = first; m.index() <= current.index(); m = m.next()) {
      auto ok = run_month_alone(db, *job, cfg, clk, id, m, is_new && m == current, !is_new, token,
                                out);
      if (!ok)
        return ok.error();
      if (!*ok)
        break;
    }
  }
  out.wall_s = seconds_since(t0);
  return out;
}

/// The engine's resident memory per advertiser once every one is idle: it
/// waits (10 s at most) for their actors to hibernate, then compares with
/// `before_mb`, what the process held before the engine started.
double idle_bytes(caf::actor_system& sys, const engine& e, double before_mb, int64_t advertisers) {
  caf::scoped_actor self{sys};
  auto limit = clock_type::now() + std::chrono::seconds{10};
  for (;;) {
    int64_t alive = -1;
    self->request(e.supervisor, std::chrono::seconds{10}, alive_atom_v)
      .receive([&](int64_t awake, int64_t) { alive = awake; }, [](caf::error&) {});
    if (alive == 0 || clock_type::now() >= limit)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return std::max(0.0, rss_mb() - before_mb) * 1048576.0
         / static_cast<double>(std::max<int64_t>(advertisers, 1));
}

} // namespace

expected<report> run(const options& o, std::FILE* progress_out) {
  scratch_store scratch{o.store_url.empty()};
  if (o.store_url.empty() && scratch.dir.empty())
    return make_failure(errc::store_unavailable, "cannot make a temporary directory");
  auto url = o.store_url.empty() ? "sqlite://" + (scratch.dir / "cdpload.db").string()
                                 : o.store_url;
  auto opened = open_store(url);
  if (!opened)
    return opened.error();
  auto& db = **opened;
  if (auto migrated = db.migrate(); !migrated)
    return migrated.error();
  if (auto counts = db.count_advertisers()) {
    auto earlier = counts->new_active + counts->existing_active;
    if (earlier > 0)
      std::fprintf(progress_out,
                   "cdpload: warning: the store holds %lld active advertisers of earlier runs; "
                   "they run too and the figures count only this run's (use a fresh database)\n",
                   static_cast<long long>(earlier));
  }

  auto cfg = engine_config(o, url);
  auto clk = std::make_shared<system_clock>("UTC", std::nullopt);
  auto stamp = std::to_string(clk->now().time_since_epoch().count());
  population who{"load-" + stamp + "-", o.new_count(), o.existing_count()};

  auto t0 = clock_type::now();
  if (auto made = create_in_bulk(db, who, cfg, *clk); !made)
    return made.error();
  samples s;
  s.advertisers = who.size();
  s.create_s = seconds_since(t0);

  auto jobs = make_job_factory(cfg);
  if (!jobs)
    return jobs.error();
  auto rec = std::make_shared<recorder>([who](std::string_view id) { return who.is_new(id); },
                                        clk->current_month(), who.new_count);
  std::atomic<bool> broken{false};
  {
    system_config sys_cfg;
    caf::actor_system sys{sys_cfg};
    engine_options eo{cfg, clk, *jobs, "cdpload", {}, {}, [&](const std::string&) { broken = true; }};
    eo.observer = rec;
    auto cpu0 = cpu_seconds();
    auto rss_before = rss_mb();
    t0 = clock_type::now();
    auto e = start_engine(sys, eo);
    progress_display shown{progress_out};
    auto view = [&] {
      auto p = rec->now();
      auto elapsed = seconds_since(t0);
      return progress_view{p.months_done, o.months_due(),
                           elapsed > 0 ? static_cast<double>(p.jobs) / elapsed : 0, elapsed,
                           rss_mb()};
    };
    {
      bool started = false;
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
        // Hibernated advertisers have no actor to count: the first tick
        // is over once every advertiser has claimed a month.
        if (!started && rec->now().started >= who.size()) {
          started = true;
          s.first_tick_s = seconds_since(t0);
        }
        shown.show(view());
        bool done = o.duration ? seconds_since(t0) * 1000 >= static_cast<double>(o.duration->count())
                               : rec->now().advertisers_ended >= who.size();
        if (done || broken)
          break;
      }
      s.wall_s = seconds_since(t0);
      s.cpu_s = cpu_seconds() - cpu0;
      shown.finish(view());
      if (!o.duration && !broken)
        s.bytes_per_idle_advertiser = idle_bytes(sys, e, rss_before, who.size());
    }
    if (broken)
      return make_failure(errc::store_unavailable, "a core actor of the engine ended; see the log");
    e.drain(sys, std::chrono::minutes{1});
    e.stop();
  }
  auto counted = rec->take();
  counted.advertisers = s.advertisers;
  counted.create_s = s.create_s;
  counted.wall_s = s.wall_s;
  counted.first_tick_s = s.first_tick_s;
  if (auto ended = rec->backfill_ended(); ended && who.new_count > 0)
    counted.backfill_s = std::chrono::duration<double>(*ended - t0).count();
  counted.cpu_s = s.cpu_s;
  counted.peak_rss_mb = peak_rss_mb();
  counted.bytes_per_idle_advertiser = s.bytes_per_idle_advertiser;
  auto r = summarize(counted);

  if (o.sequential) {
    std::fprintf(progress_out, "cdpload: the same work one advertiser after another...\n");
    population alone{"seq-" + stamp + "-", who.new_count, who.existing_count};
    auto seq = run_sequentially(db, alone, cfg, *clk);
    if (!seq)
      return seq.error();
    add_sequential(r, seq->jobs, seq->attempts, seq->wall_s);
  }
  return r;
}

} // namespace cdp::load
