// An advertiser whose actor throws from its handlers, again after every
// restart: the supervisor's restart budget runs out and the advertiser is
// deactivated with the reason, while the others finish and the engine runs on.
#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

/// The engine's clock, except inside the actors it was told about: there it
/// throws, as a fault in the advertiser's own code would. Every handler of an
/// advertiser actor asks the clock (its decisions, claims, outcomes, timers).
/// Which actor calls is CAF's thread-local actor id, set while it runs.
class faulty_clock final : public clock {
public:
  explicit faulty_clock(std::shared_ptr<const clock> real) : real_(std::move(real)) {}
  void poison(caf::actor_id id) {
    std::lock_guard guard{mutex_};
    poisoned_.insert(id);
  }
  timestamp now() const override {
    check();
    return real_->now();
  }
  year_month current_month() const override {
    check();
    return real_->current_month();
  }

private:
  void check() const {
    auto* log = caf::logger::current_logger();
    if (log == nullptr)
      return;
    auto id = log->thread_local_aid();
    std::lock_guard guard{mutex_};
    if (poisoned_.count(id))
      throw std::runtime_error("injected fault in the advertiser's actor");
  }

  std::shared_ptr<const clock> real_;
  mutable std::mutex mutex_;
  std::set<caf::actor_id> poisoned_;
};

} // namespace

TEST_CASE_METHOD(engine_fixture, "an advertiser actor that throws on every message is deactivated with the reason, the others finish, the engine runs on") {
  restarts.max_restarts = 3;
  cfg.backfill_months = 6;
  std::atomic<bool> core_failed{false};
  on_core_failure = [&](const std::string&) { core_failed = true; };
  auto faulty = std::make_shared<faulty_clock>(clk);
  for (const auto* id : {"A", "B", "P"})
    add(id, advertiser_type::new_advertiser);

  sys_cfg.emplace(2);
  sys.emplace(*sys_cfg);
  job_factory jobs = [s = script] { return std::make_unique<scripted_job>(s); };
  running = start_engine(*sys, engine_options{cfg, faulty, jobs, "test-node", restarts, {},
                                              on_core_failure});
  // Every actor P gets is poisoned as soon as it is seen (it may take a step
  // or two before that: a claim left RUNNING by a dead actor is then part of
  // the test).
  std::atomic<bool> watching{true};
  std::thread poisoner{[&] {
    while (watching) {
      if (auto hdl = actor_of("P"))
        faulty->poison(hdl.id());
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  }};
  struct stop_watching {
    std::atomic<bool>& flag;
    std::thread& t;
    ~stop_watching() {
      flag = false;
      t.join();
    }
  } joined{watching, poisoner};

  REQUIRE(eventually([&] { return !who("P").active; }));
  auto reason = who("P").deactivation_reason;
  INFO(reason);
  CHECK(reason.find("crashed") != std::string::npos);
  CHECK(reason.find("injected fault") != std::string::npos);
  for (const auto* id : {"A", "B"}) {
    INFO(id);
    REQUIRE(eventually([&] { return who(id).type == advertiser_type::existing; }));
    CHECK(all_months_completed_once(id));
    CHECK(who(id).active);
  }
  // Nothing of P's is lost: no month completed without a completed attempt,
  // none left RUNNING behind a dead actor.
  REQUIRE(eventually([&] {
    auto months = db->list_months("P");
    REQUIRE(months);
    return std::none_of(months->begin(), months->end(),
                        [](const month_state& m) { return m.status == month_status::running; });
  }));
  auto months = db->list_months("P");
  REQUIRE(months);
  for (const auto& m : *months) {
    INFO(m.month.to_string());
    auto history = db->list_attempts("P", m.month);
    REQUIRE(history);
    if (m.status == month_status::completed)
      CHECK(std::any_of(history->begin(), history->end(),
                        [](const attempt_record& a) { return a.outcome == month_status::completed; }));
    for (const auto& a : *history)
      CHECK(a.outcome != month_status::running);
  }
  // The engine runs on: a new advertiser is picked up and done.
  add("D", advertiser_type::existing);
  REQUIRE(eventually([&] { return status_of("D", "2024-12") == month_status::completed; }));
  CHECK_FALSE(core_failed);
}
