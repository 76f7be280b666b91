#include "actors/system_config.hpp"

#include <algorithm>
#include <thread>

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/type_ids.hpp"

namespace cdp {

system_config::system_config(size_t threads, const remote_settings& remote) {
  load<caf::io::middleman>();
  if (remote.tls()) {
    load<caf::openssl::manager>();
    // With all three set, the openssl module verifies the peer's certificate
    // against the CA in both directions; a missing one would mean anonymous TLS.
    set("openssl.certificate", remote.tls_cert);
    set("openssl.key", remote.tls_key);
    set("openssl.cafile", remote.tls_ca);
  }
  add_message_types<caf::id_block::cdpbatch>();
  add_error_category(caf::atom("cdp"), [](uint8_t code, caf::atom_value, const caf::message& ctx) {
    auto text = std::string{"cdp: "} + std::string{to_string(static_cast<errc>(code))};
    if (ctx.match_elements<std::string>())
      text += ": " + ctx.get_as<std::string>(0);
    return text;
  });
  // CAF's own default is at least 4 workers: on 2 cores the sharing queue
  // below then wakes a sleeping worker for nearly every message.
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  set("scheduler.max-threads", threads);
  // One shared queue whose idle workers sleep on a condition variable. CAF's
  // default work stealing polls and naps in 50 µs steps instead, which on
  // the 5,000-job workload cost 5x the context switches and twice the CPU:
  // most messages here come from detached threads (runners, committer).
  set("scheduler.policy", caf::atom("sharing"));
  set("logger.console", caf::atom("none"));
  // Another CAF program reaching the admin port is refused at its handshake.
  set("middleman.app-identifiers", std::vector<std::string>{"cdpbatch"});
  if (remote.heartbeat_interval.count() > 0)
    set("middleman.heartbeat-interval", caf::timespan{remote.heartbeat_interval});
  if (remote.connection_timeout.count() > 0)
    set("middleman.connection-timeout", caf::timespan{remote.connection_timeout});
}

} // namespace cdp
