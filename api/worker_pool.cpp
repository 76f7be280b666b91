#include "api/worker_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace cdp::api {

namespace {

/// Linux keeps a nice value per thread: this raises the calling one's by
/// `by` over what it inherited.
void lower_this_thread(int by) {
  auto self = static_cast<id_t>(::gettid());
  errno = 0;
  auto inherited = ::getpriority(PRIO_PROCESS, self);
  if (errno != 0 || ::setpriority(PRIO_PROCESS, self, std::min(inherited + by, 19)) != 0)
    spdlog::debug("api: could not lower an HTTP thread's priority: {}", std::strerror(errno));
}

} // namespace

worker_pool::worker_pool(size_t threads, int nice) {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i)
    threads_.emplace_back([this, nice] { run(nice); });
}

worker_pool::~worker_pool() { stop(); }

void worker_pool::post(std::function<void()> task) {
  {
    std::lock_guard lock{mutex_};
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void worker_pool::stop() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

void worker_pool::run(int nice) {
  lower_this_thread(nice);
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock{mutex_};
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty())
        return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

} // namespace cdp::api
