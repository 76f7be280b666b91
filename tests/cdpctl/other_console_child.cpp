// A console built to speak another admin protocol: a newer interface and
// version, as the next cdpctl release would be. Tests run it against a real
// daemon.
//   other_console_child HOST PORT hello   - says hello as version+1 the way cdpctl does
//   other_console_child HOST PORT typed   - asks CAF for a typed handle of its interface
// Prints what happened on stderr; exits with cdpctl's status for it.
#include <cstdlib>
#include <iostream>
#include <string>

#include "caf/io/all.hpp"

#include "actors/system_config.hpp"
#include "console/session.hpp"

namespace {

/// The next version's interface: everything of today's and one more question.
using next_admin_actor = cdp::admin_actor::extend<
  caf::replies_to<cdp::health_atom, std::string>::with<cdp::health_report>>;

} // namespace

int main(int argc, char** argv) {
  if (argc != 4)
    return 2;
  std::string host = argv[1];
  auto port = static_cast<uint16_t>(std::atoi(argv[2]));
  std::string mode = argv[3];
  cdp::system_config cfg{2};
  caf::actor_system sys{cfg};
  if (mode == "typed") {
    auto typed = caf::io::remote_actor<next_admin_actor>(sys, host, port);
    if (typed) {
      std::cerr << "typed handle accepted\n";
      return 0;
    }
    std::cerr << sys.render(typed.error()) << '\n';
    return 3;
  }
  cdp::console::session daemon{sys, {host, port, false}, std::chrono::seconds{5}};
  auto hello = daemon.open(cdp::admin_protocol_version + 1);
  if (hello) {
    std::cerr << "accepted by protocol " << *hello << '\n';
    return 0;
  }
  std::cerr << "cdpctl: " << hello.error().message << '\n';
  return static_cast<int>(hello.error().status);
}
