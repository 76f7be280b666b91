// Chaos: a command job that hangs past job.timeout and one that ignores
// SIGTERM stay inside their advertisers: they are stopped, retried and in the
// end deactivated, while the other advertisers finish and the daemon runs on.
#include <fstream>

#include "daemon/daemon_fixture.hpp"
#include "persistence/store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(daemon_fixture, "chaos: a job hanging past job.timeout and a command ignoring SIGTERM are contained, the others finish") {
  auto db = open();
  must(db->migrate());
  std::vector<new_advertiser> many{{"hang", "", advertiser_type::existing},
                                   {"stubborn", "", advertiser_type::existing}};
  for (int i = 0; i < 4; ++i)
    many.push_back({"ok-" + std::to_string(i), "", advertiser_type::existing});
  must(db->create_advertisers(many, ym("2024-12"), 1, 1, t0, {}, cdp::audit_note{"test", "", ""}));
  // The program's first argument picks its behaviour.
  auto script = dir / "job.sh";
  std::ofstream{script} << "case \"$1\" in hang) sleep 30;; stubborn) trap '' TERM; sleep 30;; esac\n"
                           "echo '{\"processed\":7,\"failed\":0}'\n";
  process daemon{argv({"--set", "job.kind=command", "--set",
                       R"(job.command.argv=["sh", ")" + script.string()
                         + R"(", "{advertiser}", "{month}"])",
                       "--set", "job.timeout=300ms", "--set", "retry.max_retries=1", "--set",
                       "retry.backoff_base=50ms", "--set", "retry.backoff_max=50ms", "--set",
                       "schedule.tick_interval=1h"}),
                 dir / "out.log"};
  auto started = std::chrono::steady_clock::now();
  auto off = [&](const char* id) {
    auto a = db->get_advertiser(id);
    return a && !a->active;
  };
  if (!eventually([&] { return off("hang") && off("stubborn"); }, 30s))
    FAIL("hang and stubborn still active; the daemon said:\n" << daemon.output());
  auto took = std::chrono::steady_clock::now() - started;
  for (int i = 0; i < 4; ++i) {
    auto id = "ok-" + std::to_string(i);
    INFO(id);
    auto m = must(db->get_month(id, ym("2024-12")));
    CHECK(m.status == month_status::completed);
    CHECK(m.processed_records == 7);
    CHECK(must(db->get_advertiser(id)).active);
  }
  for (const auto* id : {"hang", "stubborn"}) {
    INFO(id);
    auto history = must(db->list_attempts(id, ym("2024-12")));
    REQUIRE(history.size() == 2);
    for (const auto& a : history) {
      CHECK(a.outcome == month_status::failed);
      CHECK_THAT(a.error_message, Catch::Contains("timed out") || Catch::Contains("timeout"));
    }
    CHECK_THAT(must(db->get_advertiser(id)).deactivation_reason, Catch::Contains("2024-12"));
  }
  // Two attempts each: the timeout plus, for the stubborn one, the grace
  // before SIGKILL; never the 30 s the programs asked for.
  CHECK(took < 15s);
  CHECK_FALSE(daemon.wait(10ms));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
}
