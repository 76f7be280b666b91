#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <thread>

#include <caf/all.hpp>

#include "api/thread_ask.hpp"

using namespace cdp;
using namespace std::chrono_literals;

namespace {

struct answerer_state {
  std::deque<caf::typed_response_promise<int32_t>> late;
};

/// Answers n with n + 1, at once, or with -1 after -n milliseconds when n is
/// negative.
caf::behavior answerer(caf::stateful_actor<answerer_state>* self) {
  return {
    [=](int32_t n) -> caf::result<int32_t> {
      if (n >= 0)
        return n + 1;
      self->state.late.push_back(self->make_response_promise<int32_t>());
      self->delayed_send(self, std::chrono::milliseconds{-n}, caf::delete_atom_v);
      return self->state.late.back();
    },
    [=](caf::delete_atom) {
      self->state.late.front().deliver(int32_t{-1});
      self->state.late.pop_front();
    },
  };
}

struct system_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::actor desk = sys.spawn(answerer);

  ~system_fixture() {
    api::thread_asker().reset();
    caf::anon_send_exit(desk, caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_CASE_METHOD(system_fixture, "a thread's answered asks leave nothing in its actor's mailbox, their timeouts passed") {
  for (int32_t i = 0; i < 300; ++i) {
    auto answer = api::ask_from_thread<int32_t>(sys, desk, 20ms, i);
    REQUIRE(answer);
    CHECK(*answer == i + 1);
  }
  // Every ask's 20 ms are long over: a timeout kept for any of them would
  // have arrived by now.
  std::this_thread::sleep_for(100ms);
  REQUIRE(api::ask_from_thread<int32_t>(sys, desk, 20ms, int32_t{7}));
  CHECK(api::thread_asker_backlog() == 0);
}

TEST_CASE_METHOD(system_fixture, "an ask not answered in time is a timeout, and its late answer reaches no later ask") {
  auto slow = api::ask_from_thread<int32_t>(sys, desk, 30ms, int32_t{-300});
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == errc::timeout);
  CHECK_THAT(slow.error().message, Catch::Contains("30ms"));
  // The next asks, while the late answer is on its way and after it came.
  for (int round = 0; round < 2; ++round) {
    auto next = api::ask_from_thread<int32_t>(sys, desk, 1s, int32_t{41});
    REQUIRE(next);
    CHECK(*next == 42);
    std::this_thread::sleep_for(200ms);
  }
  CHECK(api::thread_asker_backlog() == 0);
}
