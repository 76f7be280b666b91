#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "caf/node_id.hpp"

namespace cdp {

/// Which verified certificate subject each console on the admin port
/// connected with, by the BASP node id it announced. The admin port's
/// connections write it (in the multiplexer's thread), the admin actor reads
/// it: the subject of a message is that of the connection it came in on,
/// whatever the message says.
class admin_peers {
public:
  /// Notes that a connection of `node` presented `subject`. False, and
  /// nothing noted, when `node` is already connected with another subject:
  /// that connection must be dropped, or it would speak as the other.
  bool record(const caf::node_id& node, const std::string& subject);

  /// One connection of `node` closed; its subject goes with its last one.
  void forget(const caf::node_id& node);

  /// The subject of `node`'s connections; none for a node never recorded
  /// (the plain loopback port, a local actor).
  std::optional<std::string> subject_of(const caf::node_id& node) const;

private:
  struct peer {
    std::string subject;
    size_t connections = 0;
  };

  mutable std::mutex mutex_;
  std::map<caf::node_id, peer> peers_;
};

} // namespace cdp
