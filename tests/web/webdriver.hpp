#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon/api_daemon.hpp"
#include "daemon/daemon_process.hpp"

namespace cdp::test {

/// Debian's chromium and chromium-driver (tools/setup.sh installs them).
/// Without them the web tests fail: a page nobody looked at is not tested.
inline const std::string chromium_binary = "/usr/bin/chromium";
inline const std::string chromedriver_binary = "/usr/bin/chromedriver";

/// A headless Chromium driven through chromedriver's W3C WebDriver HTTP API:
/// one chromedriver process on a port it chose, one browser session.
class browser {
public:
  browser() {
    INFO("install them with tools/setup.sh (Debian packages chromium, chromium-driver)");
    REQUIRE(std::filesystem::exists(chromium_binary));
    REQUIRE(std::filesystem::exists(chromedriver_binary));
    // A folder of its own each time: a log or profile left by the last
    // browser would be read as this one's.
    static int counter = 0;
    scratch_ = std::filesystem::temp_directory_path()
               / ("cdp-web-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(scratch_);
    const auto& scratch = scratch_;
    driver_ = std::make_unique<process>(
      std::vector<std::string>{chromedriver_binary, "--port=0"}, scratch / "chromedriver.log");
    int port = 0;
    REQUIRE(poll_until(
      [&] {
        const std::string marker = "started successfully on port ";
        auto out = driver_->output();
        auto at = out.find(marker);
        if (at == std::string::npos || out.find('.', at + marker.size()) == std::string::npos)
          return false;
        port = std::atoi(out.c_str() + at + marker.size());
        return port > 0;
      },
      std::chrono::seconds{20}));
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    http_->set_read_timeout(std::chrono::seconds{60});
    // Root needs --no-sandbox; a profile of its own keeps runs apart.
    nlohmann::json args = {"--headless=new", "--no-sandbox", "--disable-gpu",
                           "--disable-dev-shm-usage", "--window-size=1440,1400",
                           "--user-data-dir=" + (scratch / "profile").string()};
    nlohmann::json caps = {
      {"capabilities",
       {{"alwaysMatch",
         {{"browserName", "chrome"},
          {"goog:chromeOptions", {{"binary", chromium_binary}, {"args", args}}},
          {"goog:loggingPrefs", {{"browser", "ALL"}}}}}}}};
    auto session = send("POST", "/session", caps);
    INFO(driver_->output());
    REQUIRE(session.contains("sessionId"));
    session_ = "/session/" + session["sessionId"].get<std::string>();
  }
  ~browser() {
    if (!session_.empty() && http_)
      http_->Delete(session_.c_str());
    driver_.reset();
    // A browser process still closing may hold the profile: no throw here.
    std::error_code ignored;
    std::filesystem::remove_all(scratch_, ignored);
  }
  browser(const browser&) = delete;
  browser& operator=(const browser&) = delete;

  void open(const std::string& url) { command("POST", "/url", {{"url", url}}); }

  /// Runs `script` (a function body) in the page; its return value.
  nlohmann::json run(const std::string& script, nlohmann::json args = nlohmann::json::array()) {
    return command("POST", "/execute/sync", {{"script", script}, {"args", std::move(args)}});
  }

  /// The visible text of the element with this CSS selector ("" if none).
  std::string text(const std::string& selector) {
    auto v = run("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                 {selector});
    return v.is_string() ? v.get<std::string>() : "";
  }
  /// Whether an element matches and is shown (not hidden, nor inside hidden).
  bool shown(const std::string& selector) {
    return run("const e = document.querySelector(arguments[0]);"
               "return !!e && e.getClientRects().length > 0;",
               {selector})
      .get<bool>();
  }
  /// A real click (WebDriver's, as a user's) on the first match.
  void click(const std::string& selector) {
    command("POST", "/element/" + element(selector) + "/click", nlohmann::json::object());
  }
  void type(const std::string& selector, const std::string& keys) {
    command("POST", "/element/" + element(selector) + "/value", {{"text", keys}});
  }
  /// The page's answers so far (the page counts its rounds of questions).
  int rounds() {
    auto v = run("return Number(document.body.dataset.rounds || 0);");
    return v.get<int>();
  }

  /// Browser console entries since the last call, as "LEVEL message" lines.
  std::vector<std::string> console() {
    auto entries = command("POST", "/se/log", {{"type", "browser"}});
    std::vector<std::string> out;
    for (const auto& e : entries)
      out.push_back(e["level"].get<std::string>() + " " + e["message"].get<std::string>());
    return out;
  }
  /// Only the entries at error level (SEVERE) since the last call.
  std::vector<std::string> console_errors() {
    std::vector<std::string> out;
    for (auto& line : console())
      if (line.rfind("SEVERE", 0) == 0)
        out.push_back(std::move(line));
    return out;
  }

  /// The window as PNG, written to `file`.
  void screenshot(const std::filesystem::path& file) {
    auto png = decode_base64(command("GET", "/screenshot", nullptr).get<std::string>());
    REQUIRE(png.size() > 1000);
    std::filesystem::create_directories(file.parent_path());
    std::ofstream out{file, std::ios::binary};
    out.write(png.data(), static_cast<std::streamsize>(png.size()));
    REQUIRE(out.good());
  }

private:
  std::string element(const std::string& selector) {
    auto found = command("POST", "/element", {{"using", "css selector"}, {"value", selector}});
    for (const auto& [key, id] : found.items())
      return id.get<std::string>();
    FAIL("no element " << selector);
    return "";
  }

  nlohmann::json command(const std::string& method, const std::string& path, const nlohmann::json& body) {
    auto answer = send(method, session_ + path, body);
    return answer.contains("value") ? answer["value"] : nlohmann::json{};
  }

  /// One WebDriver call; an error answer fails the test with its message.
  nlohmann::json send(const std::string& method, const std::string& path, const nlohmann::json& body) {
    auto r = method == "GET" ? http_->Get(path.c_str())
                             : http_->Post(path.c_str(), body.dump(), "application/json");
    INFO("WebDriver " << method << " " << path << ": " << httplib::to_string(r.error()));
    REQUIRE(r);
    auto doc = nlohmann::json::parse(r->body, nullptr, false);
    INFO(r->body.substr(0, 2000));
    REQUIRE(r->status == 200);
    REQUIRE(doc.is_object());
    if (path == "/session")
      return doc["value"];
    return doc;
  }

  static std::string decode_base64(const std::string& in) {
    std::string out;
    int value = 0, bits = -8;
    for (unsigned char c : in) {
      int digit = c >= 'A' && c <= 'Z'   ? c - 'A'
                  : c >= 'a' && c <= 'z' ? c - 'a' + 26
                  : c >= '0' && c <= '9' ? c - '0' + 52
                  : c == '+'             ? 62
                  : c == '/'             ? 63
                                         : -1;
      if (digit < 0)
        continue;
      value = (value << 6) | digit;
      bits += 6;
      if (bits >= 0) {
        out.push_back(static_cast<char>((value >> bits) & 0xff));
        bits -= 8;
      }
    }
    return out;
  }

  std::filesystem::path scratch_;
  std::unique_ptr<process> driver_;
  std::unique_ptr<httplib::Client> http_;
  std::string session_;
};

} // namespace cdp::test
