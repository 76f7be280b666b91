#include <catch2/catch.hpp>

#include "load/stored_figures.hpp"

using namespace cdp;
using namespace cdp::load;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = year_month::parse("2024-12")->start_utc();

attempt_record attempt(std::string id, std::string_view month, int n, std::chrono::milliseconds from,
                       std::optional<std::chrono::milliseconds> to, month_status outcome) {
  attempt_record a;
  a.advertiser_id = std::move(id);
  a.month = *year_month::parse(month);
  a.attempt = n;
  a.started_at = t0 + from;
  if (to)
    a.finished_at = t0 + *to;
  a.outcome = outcome;
  return a;
}

month_state row(std::string id, std::string_view month, month_status status, int retries = 0) {
  month_state m;
  m.advertiser_id = std::move(id);
  m.month = *year_month::parse(month);
  m.status = status;
  m.retry_count = retries;
  m.max_retries = 3;
  return m;
}

bool is_new(std::string_view id) {
  return id.front() == 'n';
}

constexpr auto done = month_status::completed;
constexpr auto failed = month_status::failed;

} // namespace

TEST_CASE("a run's figures come from its attempts: retries, jobs, latency from a run's first attempt") {
  std::vector<attempt_record> attempts{
    // NEW n1: 2024-10 fails once, then both months complete in order.
    attempt("n1", "2024-10", 1, 0ms, 10ms, failed),
    attempt("n1", "2024-10", 2, 30ms, 40ms, done),
    attempt("n1", "2024-11", 1, 40ms, 50ms, done),
    // EXISTING e1: its month, then a refresh of it.
    attempt("e1", "2024-12", 1, 5ms, 25ms, done),
    attempt("e1", "2024-12", 2, 100ms, 120ms, done),
  };
  std::sort(attempts.begin(), attempts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.advertiser_id, a.month, a.attempt) < std::tie(b.advertiser_id, b.month, b.attempt);
  });
  auto end = last_new_completion(attempts, is_new);
  REQUIRE(end == t0 + 50ms);
  auto s = measure(attempts, is_new, end);
  CHECK(s.attempts == 5);
  CHECK(s.retries == 1);
  CHECK(s.jobs == 4);
  CHECK(s.order_violations == 0);
  auto latencies = s.month_latency_ms;
  std::sort(latencies.begin(), latencies.end());
  CHECK(latencies == std::vector<double>{10, 20, 20, 40});
  // Started by the backfill's end: n1's three and e1's first.
  CHECK(s.contended_attempts == 4);
  CHECK(s.backfill_attempts == 3);

  auto all = measure(attempts, is_new, std::nullopt);
  CHECK(all.contended_attempts == 5);
}

TEST_CASE("an attempt that starts while another month of its advertiser runs is an order violation") {
  std::vector<attempt_record> attempts{
    attempt("n1", "2024-10", 1, 0ms, 10ms, done),
    // Claimed in the commit that completed 2024-10: not an overlap.
    attempt("n1", "2024-11", 1, 10ms, 30ms, done),
    // Started while 2024-11 ran.
    attempt("n1", "2024-12", 1, 20ms, 40ms, done),
    attempt("n2", "2024-10", 1, 0ms, std::nullopt, month_status::running),
    attempt("n2", "2024-11", 1, 5ms, 6ms, done),
  };
  CHECK(measure(attempts, is_new, std::nullopt).order_violations == 2);
}

TEST_CASE("an advertiser has ended once its months are done or one used up its retries") {
  std::vector<month_state> backfilling{row("n1", "2024-11", done), row("n1", "2024-12", failed, 1)};
  auto b = outcome_of(true, backfilling);
  CHECK(b.due == 2);
  CHECK(b.done == 1);
  CHECK_FALSE(b.ended);
  backfilling[1].retry_count = 3;
  auto off = outcome_of(true, backfilling);
  CHECK(off.deactivated);
  CHECK(off.ended);
  CHECK(outcome_of(false, std::vector<month_state>{row("e1", "2024-12", done)}).ended);
  CHECK_FALSE(outcome_of(false, std::vector<month_state>{row("e1", "2024-12", failed)}).ended);

  outcome_tracker tracker{is_new};
  std::vector<month_state> rows{row("e1", "2024-12", month_status::running),
                                row("n1", "2024-11", done), row("n1", "2024-12", done)};
  tracker.update(rows);
  CHECK(tracker.ended("n1"));
  CHECK_FALSE(tracker.ended("e1"));
  CHECK(tracker.months_done() == 2);
  // n1's two, e1's one and three EXISTING ones not read yet.
  CHECK(tracker.months_due(4) == 2 + 1 + 3);
  CHECK(tracker.new_ended_count() == 1);
  std::vector<month_state> later{row("e1", "2024-12", done)};
  tracker.update(later);
  CHECK(tracker.ended("e1"));
  CHECK(tracker.new_ended_count() == 1);
  CHECK(tracker.months_done() == 3);
  CHECK(tracker.deactivated_count() == 0);
}
