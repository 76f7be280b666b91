#pragma once

#include <cstddef>
#include <functional>

#include <httplib.h>

namespace cdp::api {

/// cpp-httplib's thread pool, its threads at a lower CPU priority than the
/// engine's (their nice value `nice` above the process's): on a small node a
/// hundred busy connections must not take the cores the committers and
/// runners need, so the API slows down first.
class yielding_pool : public httplib::ThreadPool {
public:
  yielding_pool(size_t threads, int nice);

  void enqueue(std::function<void()> fn) override;

private:
  int nice_;
};

} // namespace cdp::api
