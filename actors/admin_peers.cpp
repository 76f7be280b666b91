#include "actors/admin_peers.hpp"

namespace cdp {

bool admin_peers::record(const caf::node_id& node, const std::string& subject) {
  std::lock_guard lock{mutex_};
  auto [i, added] = peers_.try_emplace(node, peer{subject, 0});
  if (!added && i->second.subject != subject)
    return false;
  ++i->second.connections;
  return true;
}

void admin_peers::forget(const caf::node_id& node) {
  std::lock_guard lock{mutex_};
  auto i = peers_.find(node);
  if (i != peers_.end() && --i->second.connections == 0)
    peers_.erase(i);
}

std::optional<std::string> admin_peers::subject_of(const caf::node_id& node) const {
  std::lock_guard lock{mutex_};
  auto i = peers_.find(node);
  if (i == peers_.end())
    return std::nullopt;
  return i->second.subject;
}

} // namespace cdp
