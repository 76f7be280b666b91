#include "api/status_copy.hpp"

namespace cdp::api {

void status_copy::keep(rendered answer, timestamp counted) {
  std::lock_guard lock{mutex_};
  asking_ = false;
  if (answer.status != 200 || (answer_ && counted < counted_))
    return;
  answer_ = std::move(answer);
  counted_ = counted;
}

void status_copy::failed() {
  std::lock_guard lock{mutex_};
  asking_ = false;
}

std::optional<rendered> status_copy::young(timestamp now) {
  std::lock_guard lock{mutex_};
  // A count from the future (another clock) is never taken as young.
  auto age = now - counted_;
  if (!answer_ || age < std::chrono::milliseconds{0} || age >= max_age_)
    return std::nullopt;
  if (age * 2 >= max_age_ && !asking_) {
    asking_ = true;
    return std::nullopt;
  }
  return answer_;
}

} // namespace cdp::api
