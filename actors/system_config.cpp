#include "actors/system_config.hpp"

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/type_ids.hpp"

namespace cdp {

system_config::system_config(size_t threads, bool with_tls) {
  load<caf::io::middleman>();
  if (with_tls)
    load<caf::openssl::manager>();
  add_message_types<caf::id_block::cdpbatch>();
  add_error_category(caf::atom("cdp"), [](uint8_t code, caf::atom_value, const caf::message& ctx) {
    auto text = std::string{"cdp: "} + std::string{to_string(static_cast<errc>(code))};
    if (ctx.match_elements<std::string>())
      text += ": " + ctx.get_as<std::string>(0);
    return text;
  });
  if (threads > 0)
    set("scheduler.max-threads", threads);
  // One shared queue whose idle workers sleep on a condition variable. CAF's
  // default work stealing polls and naps in 50 µs steps instead, which on
  // the 5,000-job workload cost 5x the context switches and twice the CPU:
  // most messages here come from detached threads (runners, committer).
  set("scheduler.policy", caf::atom("sharing"));
  set("logger.console", caf::atom("none"));
}

} // namespace cdp
