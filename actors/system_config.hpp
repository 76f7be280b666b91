#pragma once

#include "caf/all.hpp"

namespace cdp {

/// CAF's configuration for cdpbatch's programs: the io middleman (remote
/// actors), our message types and error category, and no reading of argv or
/// caf-application.ini (CLI11 and toml++ own those).
class system_config : public caf::actor_system_config {
public:
  /// `threads` scheduler workers (0: one per core); `with_tls` loads the
  /// openssl module after the middleman.
  explicit system_config(size_t threads = 0, bool with_tls = false);
};

} // namespace cdp
