#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "actors/system_config.hpp"

namespace cdp::test {

/// The README's commands that make a CA and the certificates of the admin
/// port's mutual TLS: the sh block after the marker comment, as it stands.
inline std::string readme_tls_commands() {
  std::ifstream in{std::string{CDP_SOURCE_DIR} + "/README.md"};
  std::stringstream text;
  text << in.rdbuf();
  auto readme = text.str();
  auto marker = readme.find("<!-- cdpctl tests run this block");
  REQUIRE(marker != std::string::npos);
  auto start = readme.find("```sh\n", marker);
  REQUIRE(start != std::string::npos);
  start += 6;
  return readme.substr(start, readme.find("```", start) - start);
}

/// Certificates made by the README's commands in a temp folder: the
/// daemon's and a console's, signed by one CA, and a rogue console's signed
/// by another.
struct tls_files {
  std::filesystem::path dir;

  tls_files() {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path()
          / ("cdpbatch-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    auto script = dir / "make-certs.sh";
    std::filesystem::create_directories(dir / "other");
    std::ofstream{script} << "set -euo pipefail\n" << readme_tls_commands();
    for (const auto& where : {dir, dir / "other"})
      REQUIRE(std::system(("cd " + where.string() + " && bash " + script.string()
                           + " >/dev/null 2>&1")
                            .c_str())
              == 0);
  }
  ~tls_files() { std::filesystem::remove_all(dir); }

  remote_settings daemon() const { return side(dir / "tls", "daemon"); }
  remote_settings console() const { return side(dir / "tls", "console"); }
  /// Its own certificate is fine, but another CA signed it; it trusts our CA.
  /// A console's certificate for `subject` (openssl's "/O=Example/CN=alice"
  /// form), signed by our CA.
  remote_settings named(const std::string& name, const std::string& subject) const {
    auto d = dir / "tls";
    auto cmd = "cd " + d.string() + " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
               " -nodes -subj '" + subject + "' -keyout " + name + ".key -out " + name + ".csr"
               " && openssl x509 -req -days 1 -in " + name + ".csr -CA ca.pem -CAkey ca.key"
               " -CAcreateserial -out " + name + ".pem >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return side(d, name);
  }
  remote_settings rogue() const {
    auto r = side(dir / "other" / "tls", "console");
    r.tls_ca = (dir / "tls" / "ca.pem").string();
    return r;
  }

private:
  static remote_settings side(const std::filesystem::path& d, const std::string& name) {
    remote_settings r;
    r.tls_cert = (d / (name + ".pem")).string();
    r.tls_key = (d / (name + ".key")).string();
    r.tls_ca = (d / "ca.pem").string();
    return r;
  }
};

} // namespace cdp::test
