#include "load/target.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "actors/system_config.hpp"
#include "config/config.hpp"
#include "console/client_inputs.hpp"
#include "console/session.hpp"
#include "domain/operator_input.hpp"
#include "load/population.hpp"
#include "load/progress.hpp"
#include "load/stored_figures.hpp"

namespace cdp::load {

namespace {

using clock_type = std::chrono::steady_clock;

/// Ids per read of attempts: a NEW advertiser has one per month and retry.
constexpr size_t ids_per_attempt_read = 200;
/// The shortest pause between two looks at the run's months.
constexpr std::chrono::milliseconds min_poll_pause{100};
/// How long the run's advertisers may take to hibernate once their work is done.
constexpr std::chrono::seconds idle_wait{10};

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

failure failed(const console::console_error& e, const std::string& doing) {
  return make_failure(e.code.value_or(errc::store_unavailable), doing + ": " + e.message);
}

expected<std::string> token_of(const options& o) {
  if (o.token_file.empty()) {
    const char* env = std::getenv("CDPBATCH_API_TOKEN");
    return std::string{env ? env : ""};
  }
  if (auto token = console::read_token(o.token_file))
    return *token;
  return make_failure(errc::invalid_argument, "--token-file: cannot read '" + o.token_file + "'");
}

status create_in_bulk(console::session& daemon, const population& who, const std::string& token) {
  auto total = static_cast<size_t>(who.size());
  for (size_t from = 0; from < total; from += max_bulk_create) {
    advertiser_request_list chunk;
    for (auto i = from; i < std::min(total, from + max_bulk_create); ++i) {
      auto n = static_cast<int64_t>(i);
      chunk.push_back({who.id(n), "cdpload", n < who.new_count ? "NEW" : "EXISTING"});
    }
    auto made = daemon.ask<int64_t>(create_atom_v, operator_call{token, "cdpload population"},
                                    std::move(chunk));
    if (!made)
      return failed(made.error(), "creating advertisers");
  }
  return ok;
}

/// Reads the months of the advertisers in `pending` not ended yet and drops
/// those that now have.
status look(console::session& daemon, outcome_tracker& tracker, std::vector<std::string>& pending) {
  for (size_t from = 0; from < pending.size(); from += max_ids_per_read) {
    id_list ids(pending.begin() + static_cast<std::ptrdiff_t>(from),
                pending.begin()
                  + static_cast<std::ptrdiff_t>(std::min(pending.size(), from + max_ids_per_read)));
    auto rows = daemon.ask<month_list>(months_atom_v, std::move(ids));
    if (!rows)
      return failed(rows.error(), "reading the run's months");
    tracker.update(*rows);
  }
  std::erase_if(pending, [&](const std::string& id) { return tracker.ended(id); });
  return ok;
}

expected<attempt_list> attempts_of(console::session& daemon, const population& who) {
  attempt_list all;
  for (int64_t from = 0; from < who.size(); from += static_cast<int64_t>(ids_per_attempt_read)) {
    id_list ids;
    for (auto i = from; i < std::min(who.size(), from + static_cast<int64_t>(ids_per_attempt_read));
         ++i)
      ids.push_back(who.id(i));
    auto got = daemon.ask<attempt_list>(attempts_atom_v, std::move(ids));
    if (!got)
      return failed(got.error(), "reading the run's attempts");
    all.insert(all.end(), std::make_move_iterator(got->begin()),
               std::make_move_iterator(got->end()));
  }
  return all;
}

/// Looks at the run's months until every advertiser did its work once (or
/// for `o.duration` since `t0`), showing the progress.
status follow(console::session& daemon, const options& o, const population& who,
              outcome_tracker& tracker, clock_type::time_point t0, std::FILE* progress_out) {
  std::vector<std::string> pending;
  for (int64_t i = 0; i < who.size(); ++i)
    pending.push_back(who.id(i));
  progress_display shown{progress_out};
  auto view = [&] {
    auto elapsed = seconds_since(t0);
    return progress_view{tracker.months_done(), tracker.months_due(who.existing_count),
                         elapsed > 0 ? static_cast<double>(tracker.months_done()) / elapsed : 0,
                         elapsed, std::nullopt};
  };
  for (;;) {
    auto round = clock_type::now();
    if (auto looked = look(daemon, tracker, pending); !looked)
      return looked;
    shown.show(view());
    bool done = o.duration ? seconds_since(t0) * 1000 >= static_cast<double>(o.duration->count())
                           : pending.empty();
    if (done)
      break;
    // Looking at many advertisers is work for the daemon: at most half the time.
    std::this_thread::sleep_for(std::max<clock_type::duration>(min_poll_pause,
                                                               clock_type::now() - round));
  }
  shown.finish(view());
  return ok;
}

expected<health_report> health_of(console::session& daemon) {
  auto h = daemon.ask<health_report>(health_atom_v);
  if (!h)
    return failed(h.error(), "reading the daemon's health");
  return *h;
}

expected<int64_t> resident_bytes(console::session& daemon) {
  auto h = health_of(daemon);
  if (!h)
    return h.error();
  return h->resident_bytes;
}

/// The daemon's resident memory once no advertiser keeps an actor (or after
/// `idle_wait`, if some never rest: an advertiser in backoff keeps its timer).
expected<int64_t> idle_resident_bytes(console::session& daemon) {
  auto limit = clock_type::now() + idle_wait;
  for (;;) {
    auto h = health_of(daemon);
    if (!h)
      return h.error();
    if (h->advertiser_actors == 0 || clock_type::now() >= limit)
      return h->resident_bytes;
    std::this_thread::sleep_for(min_poll_pause);
  }
}

/// The run's figures from its stored attempts and the advertisers' ends.
samples measured(const attempt_list& attempts, const outcome_tracker& tracker,
                 const population& who) {
  auto is_new = [&who](std::string_view id) { return who.is_new(id); };
  std::optional<timestamp> backfill_end;
  if (who.new_count > 0 && tracker.new_ended_count() == who.new_count)
    backfill_end = last_new_completion(attempts, is_new);
  auto s = measure(attempts, is_new, backfill_end);
  s.advertisers = who.size();
  s.deactivated = tracker.deactivated_count();
  if (backfill_end && !attempts.empty()) {
    auto first = std::min_element(attempts.begin(), attempts.end(), [](const auto& a, const auto& b) {
      return a.started_at < b.started_at;
    });
    s.backfill_s = std::chrono::duration<double>(*backfill_end - first->started_at).count();
  }
  return s;
}

expected<report> drive(console::session& daemon, const options& o, std::FILE* progress_out) {
  auto token = token_of(o);
  if (!token)
    return token.error();
  auto stamp = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  population who{"load-" + stamp + "-", o.new_count(), o.existing_count()};

  auto before = resident_bytes(daemon);
  if (!before)
    return before.error();
  // The daemon starts each chunk's advertisers as soon as it is stored, so
  // the run begins with the first chunk.
  auto t0 = clock_type::now();
  if (auto made = create_in_bulk(daemon, who, *token); !made)
    return made.error();
  auto create_s = seconds_since(t0);
  outcome_tracker tracker{[&who](std::string_view id) { return who.is_new(id); }};
  if (auto followed = follow(daemon, o, who, tracker, t0, progress_out); !followed)
    return followed.error();
  auto wall_s = seconds_since(t0);

  auto attempts = attempts_of(daemon, who);
  if (!attempts)
    return attempts.error();
  auto s = measured(*attempts, tracker, who);
  s.target = o.target;
  s.create_s = create_s;
  s.wall_s = wall_s;
  if (!o.duration) {
    auto after = idle_resident_bytes(daemon);
    if (!after)
      return after.error();
    s.bytes_per_idle_advertiser =
      static_cast<double>(std::max<int64_t>(0, *after - *before))
      / static_cast<double>(std::max<int64_t>(who.size(), 1));
  }
  return summarize(s);
}

} // namespace

expected<report> run_against(const options& o, std::FILE* progress_out) {
  auto where = parse_listen_address(o.target);
  if (!where)
    return make_failure(errc::invalid_argument, "--target '" + o.target + "' is not HOST:PORT");
  remote_settings remote{{}, {}, o.tls_cert, o.tls_key, o.tls_ca};
  system_config sys_cfg{2, remote};
  caf::actor_system sys{sys_cfg};
  console::session daemon{sys, {console::connectable(where->host), where->port, remote.tls()}, o.timeout};
  auto hello = daemon.open();
  if (!hello) {
    if (daemon.connect_stuck()) {
      // CAF 0.17's middleman may be blocked in connect() for minutes, and
      // the actor system would wait for it at its end.
      std::fprintf(stderr, "cdpload: %s: %s\n", o.target.c_str(), hello.error().message.c_str());
      std::fflush(nullptr);
      std::_Exit(1);
    }
    return failed(hello.error(), "cannot drive " + o.target);
  }
  return drive(daemon, o, progress_out);
}

} // namespace cdp::load
