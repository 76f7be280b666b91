#include <catch2/catch.hpp>

#include <vector>

#include "domain/access.hpp"

using namespace cdp;

namespace {

const std::vector<api_token> tokens{{"default", role::operate, "op-secret"},
                                    {"dashboard", role::read, "read-secret"}};

std::string who(const std::optional<caller>& c) {
  return c ? c->name + "/" + std::string{to_string(c->granted)} : "none";
}

} // namespace

TEST_CASE("access: a token names its caller and role; an unknown one names nobody") {
  CHECK(who(identify(tokens, "op-secret")) == "default/operate");
  CHECK(who(identify(tokens, "read-secret")) == "dashboard/read");
  CHECK(who(identify(tokens, "")) == "none");
  CHECK(who(identify(tokens, "read-secre")) == "none");
  CHECK(who(identify(tokens, "read-secrett")) == "none");
  // With no token configured, everyone is anonymous and may change.
  CHECK(who(identify({}, "")) == "anonymous/operate");
  CHECK(who(identify({}, "anything")) == "anonymous/operate");
}

TEST_CASE("access: a read caller may not change, and the refusal names the role needed") {
  CHECK(may_change({"alice", role::operate}));
  CHECK_FALSE(may_change({"dashboard", role::read}));
  auto refusal = forbidden_change({"dashboard", role::read});
  CHECK(refusal.code == errc::forbidden);
  CHECK(refusal.message.find("'dashboard' has role read") != std::string::npos);
  CHECK(refusal.message.find("needs role operate") != std::string::npos);
  CHECK(unknown_token().code == errc::unauthorized);
}

TEST_CASE("access: a certificate subject is the console's name; admin.roles gives its role") {
  const subject_roles roles{{"CN=alice,O=Example", role::operate}, {"CN=dash", role::read}};
  CHECK(who(identify(tokens, roles, "CN=alice,O=Example", "")) == "CN=alice,O=Example/operate");
  CHECK(who(identify(tokens, roles, "CN=dash", "op-secret")) == "CN=dash/read");
  // Once roles are given to certificates, an unnamed subject only reads,
  // whatever token it brings.
  CHECK(who(identify(tokens, roles, "CN=mallory", "op-secret")) == "CN=mallory/read");
  // Without admin.roles the token decides, and the subject is still the name.
  CHECK(who(identify(tokens, {}, "CN=bob", "read-secret")) == "CN=bob/read");
  CHECK(who(identify(tokens, {}, "CN=bob", "op-secret")) == "CN=bob/operate");
  CHECK(who(identify(tokens, {}, "CN=bob", "guess")) == "none");
  // Without a subject (the plain loopback port) admin.roles plays no part.
  CHECK(who(identify(tokens, roles, "", "read-secret")) == "dashboard/read");
}

TEST_CASE("access: roles read and print as read and operate only") {
  CHECK(parse_role("read") == role::read);
  CHECK(parse_role("operate") == role::operate);
  CHECK_FALSE(parse_role("admin"));
  CHECK_FALSE(parse_role("Read"));
  CHECK(to_string(role::operate) == "operate");
}
