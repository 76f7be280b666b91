#include "console/client_inputs.hpp"

#include <fstream>
#include <sstream>

namespace cdp::console {

std::string connectable(const std::string& host) {
  if (host == "0.0.0.0" || host.empty())
    return "127.0.0.1";
  if (host == "::")
    return "::1";
  return host;
}

std::optional<std::string> read_token(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto token = text.str();
  auto end = token.find_last_not_of(" \t\r\n");
  return end == std::string::npos ? std::string{} : token.substr(0, end + 1);
}

} // namespace cdp::console
