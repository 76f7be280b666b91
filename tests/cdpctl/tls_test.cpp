#include "cdpctl/console_daemon.hpp"
#include "console/tls_files.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

std::string tls_table(const tls_files& certs) {
  auto daemon = certs.daemon();
  return "[admin.tls]\ncert = \"" + daemon.tls_cert + "\"\nkey = \"" + daemon.tls_key
         + "\"\nca = \"" + daemon.tls_ca + "\"\n";
}

std::vector<std::string> tls_options(const remote_settings& side) {
  return {"--tls-cert", side.tls_cert, "--tls-key", side.tls_key, "--tls-ca", side.tls_ca};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

} // namespace

TEST_CASE("with mutual TLS a console with a certificate of the CA is served, others refused") {
  tls_files certs;
  console_daemon d{tls_table(certs)};
  CHECK(d.logged("(mutual TLS, CA " + certs.daemon().tls_ca + ")"));

  auto good = d.ctl(with({"status"}, tls_options(certs.console())));
  INFO(good.err);
  CHECK(good.code == 0);
  CHECK(contains(good.out, "advertisers:"));
  // On the daemon's host the config's own certificate does.
  CHECK(d.ctl({"get", "advertisers"}).code == 0);

  auto rogue = d.ctl(with({"status"}, tls_options(certs.rogue())));
  INFO(rogue.err);
  CHECK(rogue.code == 3);
  CHECK(contains(rogue.err, "daemon unreachable at " + d.address() + " over TLS: the handshake failed"));
  CHECK(d.logged("closed before its handshake finished (a console without a certificate"));

  auto plain = run_program({program("cdpctl"), "--connect", d.address(), "--timeout", "2s", "status"},
                           d.dir);
  CHECK(plain.code == 3);

  // The daemon goes on serving its consoles.
  CHECK(d.ctl(with({"describe", "A"}, tls_options(certs.console()))).code == 0);
}

TEST_CASE("with mutual TLS the admin port may listen beyond loopback") {
  tls_files certs;
  console_daemon d{tls_table(certs), {"--set", "admin.listen=0.0.0.0:0"}};
  CHECK(d.logged("cdpctl endpoint on 0.0.0.0:"));
  auto status = d.ctl({"status"});
  INFO(status.err);
  CHECK(status.code == 0);
}
