#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cdp::api {

/// The threads that run the REST handlers, which block on the engine's
/// answers. Tasks run in the order they came (a request never overtakes an
/// earlier one), and the threads run at a nice value `nice` above the
/// process's: on a small node a hundred busy connections must not take the
/// cores the committers and runners need, so the API slows down first.
class worker_pool {
public:
  worker_pool(size_t threads, int nice);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  void post(std::function<void()> task);
  /// Runs what was posted, then ends the threads.
  void stop();

private:
  void run(int nice);

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace cdp::api
