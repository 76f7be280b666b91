#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "crash_invariants.hpp"
#include "persistence/store.hpp"
#include "store_fixture.hpp"

extern char** environ;

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

constexpr int advertiser_count = 120;
constexpr int backfill_months = 24;
const auto first_month = *year_month::parse("2023-01");
const auto last_month = *year_month::parse("2024-12");

std::string child_path() {
  const char* dir = std::getenv("CDPBATCH_BIN_DIR");
  if (dir == nullptr)
    FAIL("CDPBATCH_BIN_DIR is not set: run the crash test through ctest");
  return std::string{dir} + "/crash_child";
}

struct child {
  pid_t pid;
  int progress; ///< the child's stdout: "ready\n", then a dot per committed batch
};

/// Reads the child's progress until `dots` batches committed; false when it
/// ended first or went quiet for 30 s.
bool await_commits(const child& c, int dots) {
  char byte = 0;
  while (dots > 0) {
    pollfd p{c.progress, POLLIN, 0};
    if (::poll(&p, 1, 30'000) != 1 || ::read(c.progress, &byte, 1) != 1)
      return false;
    if (byte == '.')
      --dots;
  }
  return true;
}

/// Starts the child and returns once it has opened its store, so the kill
/// that follows lands among its transactions however slowly a loaded machine
/// starts processes and connections.
child start_child(const std::string& url, const std::string& owner) {
  auto path = child_path();
  std::string seconds = "20";
  char* argv[] = {path.data(), const_cast<char*>(url.c_str()), const_cast<char*>(owner.c_str()),
                  seconds.data(), nullptr};
  int out[2];
  REQUIRE(::pipe(out) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t pid = 0;
  auto spawned = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0)
    FAIL("cannot start " << path);
  child c{pid, out[0]};
  char byte = 0;
  bool opened = false;
  pollfd p{c.progress, POLLIN, 0};
  while (!opened && ::poll(&p, 1, 30'000) == 1 && ::read(c.progress, &byte, 1) == 1)
    opened = byte == '\n';
  if (!opened)
    FAIL("the crash child did not open its store (it ended, or took over 30s)");
  return c;
}

/// PostgreSQL finishes (commits or rolls back) a killed client's transaction
/// on its own time; the check must not read while that is still going on.
void wait_for_sessions_to_end(const test::test_database& db, const std::string& app) {
  if (db.backend() != "postgresql")
    return;
  for (int i = 0; i < 500; ++i) {
    if (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'")
        == 0)
      return;
    std::this_thread::sleep_for(10ms);
  }
  FAIL("the killed child's PostgreSQL session did not end within 5s");
}

/// One advertiser's months and progress tell a story that only whole
/// transactions could have written.
void check_advertiser(store& s, const std::string& id, int64_t& completed_total) {
  INFO("advertiser " << id);
  auto who = must(s.get_advertiser(id));
  auto months = must(s.list_months(id));
  REQUIRE(months.size() == static_cast<size_t>(backfill_months));

  std::optional<year_month> last_completed;
  std::optional<std::string> exhausted_reason;
  bool seen_open = false;
  for (size_t i = 0; i < months.size(); ++i) {
    const auto& row = months[i];
    INFO("month " << row.month.to_string() << " " << to_string(row.status) << " lease "
                  << row.lease_token);
    auto attempts = must(s.list_attempts(id, row.month));
    if (seen_open) {
      // Months run strictly in order: everything after the open month waits.
      CHECK(row.status == month_status::pending);
    }
    if (row.status == month_status::pending) {
      CHECK(attempts.empty());
      CHECK(row.retry_count == 0);
      seen_open = true;
      continue;
    }
    // Every claim wrote exactly one attempt, and every claim of a FAILED
    // month one retry.
    REQUIRE(attempts.size() == static_cast<size_t>(row.retry_count) + 1);
    for (size_t k = 0; k + 1 < attempts.size(); ++k) {
      CHECK(attempts[k].attempt == static_cast<int>(k) + 1);
      CHECK(attempts[k].outcome == month_status::failed);
      CHECK(attempts[k].finished_at.has_value());
      CHECK_THAT(attempts[k].error_message, Catch::StartsWith("crash child failure, lease "));
    }
    const auto& last = attempts.back();
    CHECK(last.attempt == static_cast<int>(attempts.size()));
    CHECK(last.owner == row.owner);
    CHECK(last.started_at == row.started_at);
    switch (row.status) {
      case month_status::running:
        CHECK(last.outcome == month_status::running);
        CHECK_FALSE(last.finished_at.has_value());
        seen_open = true;
        break;
      case month_status::completed:
        CHECK(last.outcome == month_status::completed);
        CHECK(last.finished_at == row.completed_at);
        CHECK(row.processed_records == crash::processed_for(row.lease_token));
        CHECK(row.failed_records == crash::failed_for(row.lease_token));
        CHECK(row.error_message.empty());
        last_completed = row.month;
        ++completed_total;
        // The claim of the next month was in the completion's transaction.
        if (i + 1 < months.size())
          CHECK(months[i + 1].status != month_status::pending);
        break;
      case month_status::failed:
        CHECK(last.outcome == month_status::failed);
        CHECK(last.finished_at == row.updated_at);
        CHECK(row.error_message == crash::error_for(row.lease_token));
        CHECK(last.error_message == row.error_message);
        if (row.retry_count >= row.max_retries) {
          CHECK_FALSE(row.next_attempt_at.has_value());
          exhausted_reason = crash::deactivation_for(row.month, row.lease_token);
        } else {
          CHECK(row.next_attempt_at == row.updated_at);
        }
        seen_open = true;
        break;
      case month_status::pending: break;
    }
  }

  CHECK(who.last_completed_month == last_completed);
  auto cursor = last_completed ? std::min(last_completed->next(), last_month) : first_month;
  CHECK(who.current_processing_month == cursor);
  bool backfilled = last_completed == last_month;
  CHECK(who.backfill_completed == backfilled);
  CHECK((who.type == advertiser_type::existing) == backfilled);
  CHECK(who.active == !exhausted_reason.has_value());
  if (exhausted_reason)
    CHECK(who.deactivation_reason == *exhausted_reason);
  // The engine's deactivation was audited in its failure's transaction: one
  // row exactly when the advertiser is deactivated.
  audit_filter f;
  f.advertiser_id = id;
  auto rows = must(s.page_audit(f)).entries;
  std::erase_if(rows, [](const audit_entry& e) { return e.who != engine_caller; });
  REQUIRE(rows.size() == (exhausted_reason ? 1u : 0u));
  if (exhausted_reason) {
    CHECK(rows[0].action == audit_action::deactivate);
    CHECK(rows[0].reason == *exhausted_reason);
    CHECK(rows[0].at == who.updated_at);
  }
}

/// The operator's switches: the latest audit row is the advertiser's latest
/// change, and the switches alternate.
int check_toggled(store& s) {
  auto who = must(s.get_advertiser(crash::toggled));
  audit_filter f;
  f.advertiser_id = crash::toggled;
  f.limit = 1000;
  auto rows = must(s.page_audit(f)).entries;
  std::erase_if(rows, [](const audit_entry& e) { return e.action == audit_action::create; });
  if (rows.empty()) {
    CHECK(who.active);
    return 0;
  }
  CHECK(rows[0].at == who.updated_at);
  CHECK(rows[0].action == (who.active ? audit_action::activate : audit_action::deactivate));
  for (size_t i = 1; i < rows.size(); ++i)
    CHECK(rows[i].action != rows[i - 1].action);
  CHECK(rows.back().action == audit_action::deactivate);
  return static_cast<int>(rows.size());
}

} // namespace

TEST_CASE("a store process killed at random moments leaves every transaction whole or absent, its audit rows with it") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  std::vector<std::string> ids;
  auto now = at(last_month);
  for (int i = 0; i < advertiser_count; ++i) {
    ids.push_back("crash-" + std::to_string(i));
    // A third may fail for good after one retry, so deactivation happens too.
    must(s.create_advertiser({ids.back(), "", advertiser_type::new_advertiser}, last_month,
                             backfill_months, i % 3 == 0 ? 1 : 3, now, by_test));
  }
  must(s.create_advertiser({crash::toggled, "", advertiser_type::existing}, last_month,
                           backfill_months, 3, now, by_test));
  int switches = 0;

  auto app = "crash_child_" + std::to_string(::getpid());
  auto child_url = db->url();
  if (db->backend() == "postgresql")
    child_url += "&application_name=" + app;

  std::mt19937 rng{std::random_device{}()};
  int kills = 0;
  bool finished = false;
  int64_t completed = 0;
  for (int run = 0; run < 10 && !finished; ++run) {
    INFO("run " << run);
    auto c = start_child(child_url, "crash-node");
    // Counted in committed batches, not time, so a slow machine gets as far;
    // the delay after them puts the kill anywhere in the next transaction.
    // The whole backfill is a few hundred batches.
    if (await_commits(c, static_cast<int>(rng() % 30)))
      std::this_thread::sleep_for(std::chrono::microseconds{rng() % 20'000});
    ::kill(c.pid, SIGKILL);
    ::close(c.progress);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    if (WIFEXITED(status)) {
      // It ran out of work before the kill: fine, but it must have succeeded.
      REQUIRE(WEXITSTATUS(status) == 0);
      finished = true;
    } else {
      CHECK(WTERMSIG(status) == SIGKILL);
      ++kills;
    }
    wait_for_sessions_to_end(*db, app);
    completed = 0;
    for (const auto& id : ids)
      check_advertiser(s, id, completed);
    switches = check_toggled(s);
  }
  CHECK((kills >= 3 || finished));
  CHECK(completed > 0);
  CHECK(switches > 0);
}
