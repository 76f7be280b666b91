#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace {

struct toml_file {
  std::filesystem::path path;
  explicit toml_file(const std::string& text) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path()
           / ("cdpbatch-access-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)
              + ".toml");
    std::ofstream{path} << text;
  }
  ~toml_file() { std::filesystem::remove(path); }
};

cdp::config_result load(const std::string& text,
                        cdp::config_reader reader = cdp::config_reader::daemon) {
  toml_file f{text};
  return cdp::load_config(f.path.string(), {}, {}, reader);
}

bool has_error(const cdp::config_result& r, const std::string& part) {
  for (const auto& e : r.errors)
    if (e.find(part) != std::string::npos)
      return true;
  return false;
}

const char* two_tokens = R"(
[http]
token = "op-secret"
[[api.tokens]]
name = "dashboard"
role = "read"
token_env = "CDPBATCH_TEST_DASH_TOKEN"
[[api.tokens]]
name = "ops-alice"
role = "operate"
token = "alice-secret"
[admin.roles]
"CN=alice,O=Example" = "operate"
"CN=dash" = "read"
)";

} // namespace

TEST_CASE("config: [[api.tokens]] names tokens with roles, from the file or the environment") {
  ::setenv("CDPBATCH_TEST_DASH_TOKEN", "dash-secret", 1);
  auto r = load(two_tokens);
  ::unsetenv("CDPBATCH_TEST_DASH_TOKEN");
  INFO((r.errors.empty() ? "" : r.errors.front()));
  REQUIRE(r.value);
  auto all = cdp::api_tokens(*r.value);
  REQUIRE(all.size() == 3);
  CHECK(all[0].name == "default");
  CHECK(all[0].granted == cdp::role::operate);
  CHECK(all[0].secret == "op-secret");
  CHECK(all[1].name == "dashboard");
  CHECK(all[1].granted == cdp::role::read);
  CHECK(all[1].secret == "dash-secret");
  CHECK(all[2].secret == "alice-secret");
  CHECK(r.value->admin.roles.at("CN=alice,O=Example") == cdp::role::operate);
  CHECK(r.value->admin.roles.at("CN=dash") == cdp::role::read);
  // Printed, the tokens are redacted and the roles shown.
  auto text = cdp::render_config(*r.value);
  CHECK(text.find("dash-secret") == std::string::npos);
  CHECK(text.find("alice-secret") == std::string::npos);
  CHECK(text.find("{ name = 'dashboard', role = 'read', token = '<redacted dashboard>' }")
        != std::string::npos);
  CHECK(text.find("admin.roles = { 'CN=alice,O=Example' = 'operate', 'CN=dash' = 'read' }")
        != std::string::npos);
  // It reads back as the same configuration (the tokens redacted, each its own).
  toml_file printed{text};
  auto again = cdp::load_config(printed.path.string(), {});
  INFO((again.errors.empty() ? "" : again.errors.front()));
  REQUIRE(again.value);
  CHECK(cdp::render_config(*again.value) == text);
}

TEST_CASE("config: a token entry that is wrong is refused, naming the entry and its field") {
  auto entry = [](const std::string& body) { return load("[[api.tokens]]\n" + body); };
  CHECK(has_error(entry("name = \"x\"\nrole = \"admin\"\ntoken = \"t\"\n"), "api.tokens[1].role"));
  CHECK(has_error(entry("role = \"read\"\ntoken = \"t\"\n"), "api.tokens[1].name"));
  CHECK(has_error(entry("name = \"bad name\"\nrole = \"read\"\ntoken = \"t\"\n"),
                  "api.tokens[1].name"));
  CHECK(has_error(entry("name = \"default\"\nrole = \"read\"\ntoken = \"t\"\n"), "reserved"));
  CHECK(has_error(entry("name = \"anonymous\"\nrole = \"read\"\ntoken = \"t\"\n"), "reserved"));
  CHECK(has_error(entry("name = \"x\"\nrole = \"read\"\n"), "token_env"));
  CHECK(has_error(entry("name = \"x\"\nrole = \"read\"\ntoken = \"t\"\ntoken_env = \"V\"\n"),
                  "one of them"));
  CHECK(has_error(entry("name = \"x\"\nrole = \"read\"\ntoken = \"\"\n"), "must not be empty"));
  CHECK(has_error(entry("name = \"x\"\nrole = \"read\"\ntoken_env = \"CDPBATCH_TEST_UNSET_VAR\"\n"),
                  "'CDPBATCH_TEST_UNSET_VAR' is not set"));
  CHECK(has_error(entry("name = \"x\"\nrole = \"read\"\ntoken = \"t\"\nscope = \"all\"\n"),
                  "unknown field 'scope'"));
  CHECK(has_error(load("[api]\ntokens = \"t\"\n"), "api.tokens"));
  CHECK(has_error(load("[admin.roles]\n\"CN=x\" = \"root\"\n"), "admin.roles.\"CN=x\""));
}

TEST_CASE("config: two entries with one name or one token are refused") {
  auto twice = load(R"(
[[api.tokens]]
name = "x"
role = "read"
token = "one"
[[api.tokens]]
name = "x"
role = "operate"
token = "two"
)");
  CHECK(has_error(twice, "the name 'x' is used twice"));
  auto shared = load(R"(
[http]
token = "same"
[[api.tokens]]
name = "x"
role = "read"
token = "same"
)");
  CHECK(has_error(shared, "each needs its own"));
}

TEST_CASE("config: a non-loopback listen is accepted with a named token alone") {
  auto r = load("[http]\nlisten = \"0.0.0.0:8080\"\n[[api.tokens]]\nname = \"x\"\nrole = \"read\"\n"
                "token = \"t\"\n");
  INFO((r.errors.empty() ? "" : r.errors.front()));
  CHECK(r.value);
  CHECK(has_error(load("[http]\nlisten = \"0.0.0.0:8080\"\n"), "no API token is set"));
}

TEST_CASE("config: cdpctl reads the daemon's file without the daemon's token variables") {
  auto r = load(two_tokens, cdp::config_reader::client);
  INFO((r.errors.empty() ? "" : r.errors.front()));
  REQUIRE(r.value);
  CHECK(r.value->http.token == "op-secret");
  CHECK(r.value->api.tokens.empty());
  CHECK(has_error(load(two_tokens), "'CDPBATCH_TEST_DASH_TOKEN' is not set"));
}

TEST_CASE("config: --set takes api.tokens as TOML too") {
  auto r = cdp::load_config(
    "", {R"(api.tokens=[{name="ci", role="operate", token="ci-secret"}])"});
  INFO((r.errors.empty() ? "" : r.errors.front()));
  REQUIRE(r.value);
  REQUIRE(r.value->api.tokens.size() == 1);
  CHECK(r.value->api.tokens[0].name == "ci");
}
