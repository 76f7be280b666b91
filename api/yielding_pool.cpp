#include "api/yielding_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace cdp::api {

namespace {

/// Linux keeps a nice value per thread: this raises the calling one's by
/// `by` over what it inherited, once.
void lower_this_thread(int by) {
  thread_local bool lowered = false;
  if (lowered)
    return;
  lowered = true;
  auto self = static_cast<id_t>(::gettid());
  errno = 0;
  auto inherited = ::getpriority(PRIO_PROCESS, self);
  if (errno != 0 || ::setpriority(PRIO_PROCESS, self, std::min(inherited + by, 19)) != 0)
    spdlog::debug("api: could not lower an HTTP thread's priority: {}", std::strerror(errno));
}

} // namespace

yielding_pool::yielding_pool(size_t threads, int nice) : ThreadPool(threads), nice_(nice) {}

void yielding_pool::enqueue(std::function<void()> fn) {
  ThreadPool::enqueue([nice = nice_, fn = std::move(fn)] {
    lower_this_thread(nice);
    fn();
  });
}

} // namespace cdp::api
