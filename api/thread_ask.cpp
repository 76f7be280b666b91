#include "api/thread_ask.hpp"

namespace cdp::api {

std::unique_ptr<caf::scoped_actor>& thread_asker() {
  thread_local std::unique_ptr<caf::scoped_actor> mine;
  return mine;
}

size_t thread_asker_backlog() {
  auto& mine = thread_asker();
  return mine ? (*mine)->mailbox().size() : 0;
}

} // namespace cdp::api
