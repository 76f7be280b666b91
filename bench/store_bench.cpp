// store_bench: how many month transitions per second each store backend
// commits through the batched path. Applies N claim+complete pairs, B pairs a
// batch, the way the engine reports work: each batch completes the B months
// the previous batch claimed and claims B more (so up to 2B transitions in one
// transaction). A benchmark, not a test: it prints figures and checks only that every
// transition applied.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "persistence/store.hpp"

namespace {

using namespace cdp;
using bench_clock = std::chrono::steady_clock;

/// Most months one advertiser gets: far back enough, and never before 1970.
constexpr int64_t max_months_per_advertiser = 480;

struct run_result {
  std::string backend;
  int batch = 0;
  int64_t pairs = 0;
  double seconds = 0;
};

timestamp wall_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now());
}

std::string run_tag() {
  std::random_device random;
  return std::to_string(random() % 1000000);
}

/// One advertiser's next month to claim.
struct cursor {
  std::string id;
  year_month next;
};

/// Creates enough NEW advertisers that every batch claims each at most once.
expected<std::vector<cursor>> set_up(store& s, const std::string& prefix, int batch,
                                     int64_t pairs, year_month current) {
  auto needed = std::max<int64_t>(batch, (pairs + max_months_per_advertiser - 1)
                                           / max_months_per_advertiser);
  auto months = static_cast<int>((pairs + needed - 1) / needed);
  std::vector<cursor> cursors;
  for (int64_t i = 0; i < needed; ++i) {
    new_advertiser request{prefix + std::to_string(i), "store_bench",
                           advertiser_type::new_advertiser};
    auto created = s.create_advertiser(request, current, months, 3, wall_now(), {"bench", "", ""});
    if (!created)
      return std::move(created).error();
    cursors.push_back({request.id, *created->backfill_start_month});
  }
  return cursors;
}

/// Applies `pairs` claim+complete pairs in batches; stops early past `limit`.
expected<run_result> run(store& s, std::string backend, int batch, int64_t pairs,
                         std::chrono::seconds limit, year_month current) {
  auto prefix = "bench-" + run_tag() + "-b" + std::to_string(batch) + "-";
  auto cursors = set_up(s, prefix, batch, pairs, current);
  if (!cursors)
    return std::move(cursors).error();

  std::vector<complete_request> in_flight;
  int64_t claimed = 0, completed = 0, token = 0;
  size_t next_advertiser = 0;
  auto start = bench_clock::now();
  while (completed < pairs) {
    bool stop_claiming = bench_clock::now() - start > limit;
    std::vector<transition> batch_items;
    for (auto& c : in_flight)
      batch_items.emplace_back(std::move(c));
    in_flight.clear();
    for (int i = 0; i < batch && claimed < pairs && !stop_claiming; ++i, ++claimed) {
      auto& c = (*cursors)[next_advertiser++ % cursors->size()];
      claim_request claim{.advertiser_id = c.id, .month = c.next, .owner = "store_bench",
                          .lease_token = ++token};
      complete_request done;
      done.advertiser_id = c.id;
      done.month = c.next;
      done.lease_token = token;
      done.processed_records = 100;
      in_flight.push_back(std::move(done));
      batch_items.emplace_back(std::move(claim));
      c.next = c.next.next();
    }
    if (batch_items.empty())
      break;
    auto outcomes = s.apply(batch_items, wall_now());
    if (!outcomes)
      return std::move(outcomes).error();
    for (const auto& o : *outcomes)
      if (!o.applied)
        return make_failure(errc::store_error, "a transition did not apply: " + o.message);
    for (const auto& item : batch_items)
      completed += std::holds_alternative<complete_request>(item) ? 1 : 0;
  }
  std::chrono::duration<double> elapsed = bench_clock::now() - start;
  return run_result{std::move(backend), batch, completed, elapsed.count()};
}

void print_row(const run_result& r) {
  auto transitions = 2 * r.pairs;
  std::printf("%-11s %7d %9lld %12lld %9.2f %14.0f\n", r.backend.c_str(), r.batch,
              static_cast<long long>(r.pairs), static_cast<long long>(transitions),
              r.seconds, static_cast<double>(transitions) / r.seconds);
  std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"store_bench - month transitions per second through the batched store path"};
  int64_t pairs = 100000;
  std::vector<int> batches{1, 10, 100, 1000};
  std::vector<std::string> backends{"sqlite", "postgresql"};
  const char* env_url = std::getenv("CDPBATCH_TEST_PG_URL");
  std::string pg_url = env_url ? env_url : "";
  std::string sqlite_dir;
  int limit_seconds = 15;
  app.add_option("-n,--pairs", pairs, "claim+complete pairs per run")
    ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("-b,--batch", batches, "pairs per batch (list: -b 1,100,1000)")
    ->capture_default_str()
    ->delimiter(',')
    ->check(CLI::PositiveNumber);
  app.add_option("--backend", backends, "sqlite and/or postgresql")
    ->capture_default_str()
    ->delimiter(',')
    ->check(CLI::IsMember({"sqlite", "postgresql"}));
  app.add_option("--pg-url", pg_url, "PostgreSQL URL (default: $CDPBATCH_TEST_PG_URL)");
  app.add_option("--sqlite-dir", sqlite_dir, "folder for the SQLite files (default: a temp folder)");
  app.add_option("--max-seconds", limit_seconds,
                 "stop claiming after this long in one run (the rate stays exact)")
    ->capture_default_str()
    ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  namespace fs = std::filesystem;
  bool own_dir = sqlite_dir.empty();
  if (own_dir)
    sqlite_dir = (fs::temp_directory_path() / ("store_bench." + run_tag())).string();
  auto current = year_month::of(wall_now());

  std::printf("%-11s %7s %9s %12s %9s %14s\n", "backend", "batch", "pairs", "transitions",
              "seconds", "transitions/s");
  int status = 0;
  for (const auto& backend : backends) {
    if (backend == "postgresql" && pg_url.empty()) {
      std::cerr << "store_bench: skipping postgresql: give --pg-url or set CDPBATCH_TEST_PG_URL\n";
      continue;
    }
    for (int batch : batches) {
      auto url = backend == "sqlite"
                   ? "sqlite://" + sqlite_dir + "/b" + std::to_string(batch) + ".db"
                   : pg_url;
      auto opened = open_store(url);
      if (!opened || !(*opened)->migrate()) {
        std::cerr << "store_bench: " << backend << ": "
                  << (opened ? "migration failed" : opened.error().message) << '\n';
        status = 1;
        break;
      }
      auto result = run(**opened, backend, batch, pairs, std::chrono::seconds{limit_seconds},
                        current);
      if (!result) {
        std::cerr << "store_bench: " << backend << " batch " << batch << ": "
                  << result.error().message << '\n';
        status = 1;
        continue;
      }
      print_row(*result);
    }
  }
  if (own_dir)
    fs::remove_all(sqlite_dir);
  return status;
}
