#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace cdp::test {

/// Polls `done` until it holds or `limit` passes; whether it held.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds{20}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return done();
}

} // namespace cdp::test
