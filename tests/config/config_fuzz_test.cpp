// A bounded, seeded fuzz run of the configuration loader: random TOML files
// and random --set values must end in a configuration or in errors, never in
// a crash, an exception or an error without a message.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/keys.hpp"

namespace {

/// Fixed, so a failure reproduces; printed with every failure.
constexpr uint64_t fuzz_seed = 20241210;
constexpr int rounds = 1500;

class fuzzer {
public:
  explicit fuzzer(uint64_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>{0, n - 1}(rng_); }
  bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }

  template <class T>
  const T& pick(const std::vector<T>& from) {
    return from[below(from.size())];
  }

  std::string random_bytes(size_t max) {
    std::string out(below(max + 1), '\0');
    for (auto& c : out)
      c = static_cast<char>(below(256));
    return out;
  }

  /// A key: mostly real ones, sometimes near misses or nonsense.
  std::string key() {
    const auto& keys = cdp::config_keys::all();
    std::string k{keys[below(keys.size())].name};
    switch (below(10)) {
      case 0: return k + "x";
      case 1: return k.substr(0, below(k.size() + 1));
      case 2: return random_bytes(12);
      case 3: return "\"" + k + "\"";
      default: return k;
    }
  }

  /// A TOML value of any type, valid or not.
  std::string value() {
    static const std::vector<std::string> pool{
      "0", "-1", "1", "5", "65536", "9223372036854775807", "-9223372036854775808",
      "99999999999999999999", "1.5", "-0.0", "nan", "inf", "-inf", "1e308", "true", "false",
      "\"\"", "\"5m\"", "\"250ms\"", "\"0ms\"", "\"-5s\"", "\"9999999999999999h\"", "\"1h1m\"",
      "\"2d\"", "\"ms\"", "\"5 m\"", "\"cdp-profile\"", "\"command\"", "\"simulated\"",
      "\"sqlite://\"", "\"sqlite:///tmp/x.db\"", "\"postgresql://u:p@h:1/d\"",
      "\"127.0.0.1:0\"", "\"127.0.0.1:99999\"", "\":80\"", "\"host:\"", "\"UTC\"",
      "\"../../etc/passwd\"", "\"Asia/Seoul\"", "\"2024-12\"", "\"2024-13\"", "\"0000-00\"",
      "\"9999-12\"", "[]", "[\"/bin/true\"]", "[1, 2]", "[[]]", "{}", "{ a = 1 }",
      "1979-05-27T07:32:00Z", "07:32:00", "'literal'", "\"\\u0000\"", "\"\\uD800\"",
      "\"\xff\xfe\"", "\"unterminated", "[1,", "= =", "\"\\\"",
    };
    if (chance(10))
      return random_bytes(16);
    if (chance(15))
      return "\"" + path() + "\"";
    if (chance(5))
      return "\"" + std::string(below(5000), 'x') + "\"";
    return pick(pool);
  }

  /// A path the OS may refuse: too long, through a file, a folder, a
  /// device, missing; sometimes as a store URL.
  std::string path() {
    static const std::vector<std::string> parts{
      "", ".", "..", "tmp", "etc", "passwd", "proc", "self", "mem", "dev", "null", "x.db",
      "no-such-folder", "var", "log", "root", "sys", "kernel", "\\u0001", "a b",
    };
    std::string out = chance(40) ? "sqlite://" : "";
    if (chance(70))
      out += "/";
    for (size_t i = below(6) + 1; i > 0; --i) {
      out += chance(8) ? std::string(below(600) + 200, 'p') : pick(parts);
      if (i > 1)
        out += "/";
    }
    if (chance(5))
      out += std::string(below(5000), '/');
    return out;
  }

  /// A file: a few sections and keys in random order, sometimes broken.
  std::string document() {
    if (chance(5))
      return random_bytes(200);
    std::string out;
    auto lines = below(12);
    for (size_t i = 0; i < lines; ++i) {
      if (chance(15))
        out += "[" + key() + "]\n";
      out += key() + " = " + value() + "\n";
    }
    return out;
  }

  /// One --set argument.
  std::string override_text() {
    switch (below(8)) {
      case 0: return random_bytes(20);
      case 1: return "=" + value();
      case 2: return key();
      default: return key() + "=" + (chance(50) ? value() : random_bytes(10));
    }
  }

private:
  std::mt19937_64 rng_;
};

/// The loader's promise: a configuration, or at least one error, each with
/// its words.
void check_outcome(const cdp::config_result& r) {
  if (r.value) {
    CHECK(r.errors.empty());
    return;
  }
  REQUIRE_FALSE(r.errors.empty());
  for (const auto& e : r.errors)
    CHECK_FALSE(e.empty());
}

} // namespace

TEST_CASE("random TOML files and --set values end in a configuration or clear errors, never a crash") {
  INFO("seed " << fuzz_seed);
  fuzzer f{fuzz_seed};
  auto file = std::filesystem::temp_directory_path()
              / ("cdpbatch-config-fuzz-" + std::to_string(::getpid()) + ".toml");
  int accepted = 0;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto text = f.document();
    std::vector<std::string> overrides;
    for (size_t i = f.below(4); i > 0; --i)
      overrides.push_back(f.override_text());
    {
      std::ofstream out{file, std::ios::binary | std::ios::trunc};
      out << text;
    }
    INFO("file:\n" << text);
    std::string sets;
    for (const auto& o : overrides)
      sets += "\n  --set " + o;
    INFO("overrides:" << sets);
    cdp::config_result r;
    REQUIRE_NOTHROW(r = cdp::load_config(file.string(), overrides));
    check_outcome(r);
    if (!r.value)
      continue;
    ++accepted;
    // What it accepted it prints as a file that loads to the same values.
    {
      std::ofstream out{file, std::ios::trunc};
      out << cdp::render_config(*r.value);
    }
    auto again = cdp::load_config(file.string(), {});
    INFO((again.errors.empty() ? "" : again.errors.front()));
    REQUIRE(again.value);
    CHECK(cdp::render_config(*again.value) == cdp::render_config(*r.value));
  }
  std::filesystem::remove(file);
  // The run exercised both sides of the loader.
  CHECK(accepted > 0);
  CHECK(accepted < rounds);
}

TEST_CASE("random --set values alone end in a configuration or clear errors, never a crash") {
  INFO("seed " << fuzz_seed + 1);
  fuzzer f{fuzz_seed + 1};
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::string> overrides;
    for (size_t i = 1 + f.below(6); i > 0; --i)
      overrides.push_back(f.override_text());
    INFO("round " << round << ", last override: " << overrides.back());
    cdp::config_result r;
    REQUIRE_NOTHROW(r = cdp::load_config("", overrides));
    check_outcome(r);
  }
}
