#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <vector>

#include "api/worker_pool.hpp"

namespace {

int nice_of_this_thread() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
}

} // namespace

TEST_CASE("the HTTP workers run at a nice value above the process's", "[worker_pool]") {
  auto inherited = nice_of_this_thread();
  cdp::api::worker_pool pool{2, 5};
  for (int task = 0; task < 4; ++task) {
    std::promise<int> seen;
    auto answer = seen.get_future();
    pool.post([&seen] { seen.set_value(nice_of_this_thread()); });
    CHECK(answer.get() == std::min(inherited + 5, 19));
  }
  pool.stop();
  CHECK(nice_of_this_thread() == inherited);
}

TEST_CASE("one HTTP worker runs tasks in the order they came, and stop runs what is left", "[worker_pool]") {
  std::vector<int> order;
  {
    cdp::api::worker_pool pool{1, 0};
    std::promise<void> release;
    auto gate = release.get_future().share();
    pool.post([gate] { gate.wait(); });
    for (int i = 0; i < 100; ++i)
      pool.post([&order, i] { order.push_back(i); });
    release.set_value();
    pool.stop();
  }
  REQUIRE(order.size() == 100);
  CHECK(std::is_sorted(order.begin(), order.end()));
}
