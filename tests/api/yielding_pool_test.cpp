#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <future>

#include "api/yielding_pool.hpp"

namespace {

int nice_of_this_thread() {
  return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
}

} // namespace

TEST_CASE("the HTTP pool's threads run at a nice value above the process's", "[yielding_pool]") {
  auto inherited = nice_of_this_thread();
  cdp::api::yielding_pool pool{2, 5};
  for (int task = 0; task < 4; ++task) {
    std::promise<int> seen;
    auto answer = seen.get_future();
    pool.enqueue([&seen] { seen.set_value(nice_of_this_thread()); });
    CHECK(answer.get() == std::min(inherited + 5, 19));
  }
  pool.shutdown();
  CHECK(nice_of_this_thread() == inherited);
}
