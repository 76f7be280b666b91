#include "runtime/write_health.hpp"

namespace cdp {

void write_health::succeeded() {
  std::lock_guard lock{mutex_};
  failing_.reset();
}

void write_health::failed(timestamp at, std::string error) {
  std::lock_guard lock{mutex_};
  if (!failing_)
    failing_ = failing{at, 0, {}};
  ++failing_->commits;
  failing_->last_error = std::move(error);
}

std::optional<write_health::failing> write_health::state() const {
  std::lock_guard lock{mutex_};
  return failing_;
}

} // namespace cdp
