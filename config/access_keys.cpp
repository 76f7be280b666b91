#include "config/access_keys.hpp"

#include <array>
#include <cstdlib>
#include <set>
#include <sstream>

#include "domain/audit.hpp"

namespace cdp::access_keys {

namespace {

using problems_t = std::vector<std::string>;

constexpr std::string_view tokens_key = "api.tokens";
constexpr std::string_view roles_key = "admin.roles";

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 50
         && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789_.-")
              == std::string_view::npos;
}

/// Names the audit trail gives callers that are not a token.
bool reserved(std::string_view name) {
  static constexpr std::array names{engine_caller, demo_caller, anonymous_caller,
                                    unauthenticated_caller, default_caller};
  for (const auto* n : names)
    if (name == n)
      return true;
  return false;
}

std::optional<std::string> text_field(const toml::table& t, std::string_view field,
                                      const std::string& where, problems_t& out) {
  const auto* node = t.get(field);
  if (node == nullptr)
    return std::nullopt;
  auto v = node->value_exact<std::string>();
  if (!v)
    out.push_back(where + "." + std::string{field} + ": expected a string");
  return v;
}

std::optional<api_token> read_token(const toml::table& t, const std::string& where,
                                    problems_t& out) {
  auto before = out.size();
  for (const auto& [field, node] : t)
    if (field != "name" && field != "role" && field != "token" && field != "token_env")
      out.push_back(where + ": unknown field '" + std::string{field.str()}
                    + "' (an entry has name, role, and token or token_env)");
  api_token token;
  auto name = text_field(t, "name", where, out);
  if (!name || !valid_name(*name))
    out.push_back(where + ".name: required, 1-50 characters of A-Z a-z 0-9 _ . -");
  else if (reserved(*name))
    out.push_back(where + ".name: '" + *name + "' is reserved (the audit trail's name for "
                  + (*name == default_caller ? "http.token" : "a caller without a token") + ")");
  else
    token.name = *name;
  auto role_text = text_field(t, "role", where, out);
  auto granted = role_text ? parse_role(*role_text) : std::nullopt;
  if (!granted)
    out.push_back(where + ".role: required, \"read\" or \"operate\"");
  else
    token.granted = *granted;
  auto secret = text_field(t, "token", where, out);
  auto env = text_field(t, "token_env", where, out);
  if (secret.has_value() == env.has_value()) {
    out.push_back(where + ": give the token as token = \"...\" or token_env = \"VARIABLE\", "
                  "one of them");
  } else if (secret) {
    if (secret->empty())
      out.push_back(where + ".token: must not be empty");
    token.secret = *secret;
  } else {
    const char* value = std::getenv(env->c_str());
    if (value == nullptr || *value == '\0')
      out.push_back(where + ".token_env: the environment variable '" + *env
                    + "' is not set or is empty");
    else
      token.secret = value;
  }
  if (out.size() != before)
    return std::nullopt;
  return token;
}

problems_t assign_tokens(config& cfg, const toml::node& node) {
  problems_t out;
  const auto* list = node.as_array();
  if (list == nullptr) {
    out.emplace_back("api.tokens: expected [[api.tokens]] entries (name, role, token or "
                     "token_env)");
    return out;
  }
  std::vector<api_token> tokens;
  for (size_t i = 0; i < list->size(); ++i) {
    auto where = "api.tokens[" + std::to_string(i + 1) + "]";
    const auto* entry = list->get(i)->as_table();
    if (entry == nullptr) {
      out.push_back(where + ": expected a table with name, role, and token or token_env");
      continue;
    }
    if (auto token = read_token(*entry, where, out))
      tokens.push_back(std::move(*token));
  }
  if (out.empty())
    cfg.api.tokens = std::move(tokens);
  return out;
}

problems_t assign_roles(config& cfg, const toml::node& node) {
  problems_t out;
  const auto* table = node.as_table();
  if (table == nullptr) {
    out.emplace_back("admin.roles: expected a table of \"certificate subject\" = \"read\" or "
                     "\"operate\"");
    return out;
  }
  subject_roles roles;
  for (const auto& [subject, value] : *table) {
    auto where = "admin.roles.\"" + std::string{subject.str()} + "\"";
    auto text = value.value_exact<std::string>();
    auto granted = text ? parse_role(*text) : std::nullopt;
    if (subject.str().empty() || subject.str().size() > 500)
      out.push_back(where + ": a subject is 1-500 characters, as the certificate has it "
                    "(RFC 2253: CN=alice,O=Example)");
    else if (!granted)
      out.push_back(where + ": expected \"read\" or \"operate\"");
    else
      roles.emplace(std::string{subject.str()}, *granted);
  }
  if (out.empty())
    cfg.admin.roles = std::move(roles);
  return out;
}

} // namespace

bool is_access_key(std::string_view name) {
  return name == tokens_key || name == roles_key;
}

std::vector<std::string> assign(config& cfg, std::string_view name, const toml::node& node) {
  return name == tokens_key ? assign_tokens(cfg, node) : assign_roles(cfg, node);
}

std::vector<std::string> problems(const config& cfg) {
  problems_t out;
  std::set<std::string_view> names;
  std::set<std::string_view> secrets;
  if (!cfg.http.token.empty())
    secrets.insert(cfg.http.token);
  for (const auto& t : cfg.api.tokens) {
    if (!names.insert(t.name).second)
      out.push_back("api.tokens: the name '" + t.name + "' is used twice");
    // One token for two names would leave the audit trail guessing who.
    if (!secrets.insert(t.secret).second)
      out.push_back("api.tokens: the token of '" + t.name
                    + "' is also another entry's (or http.token's); each needs its own");
  }
  return out;
}

std::string render(const config& cfg) {
  auto quoted = [](std::string_view text) { return toml::value<std::string>{std::string{text}}; };
  std::ostringstream out;
  out << "api.tokens = [";
  for (size_t i = 0; i < cfg.api.tokens.size(); ++i) {
    const auto& t = cfg.api.tokens[i];
    out << (i ? ", " : "") << "{ name = " << quoted(t.name) << ", role = "
        << quoted(to_string(t.granted)) << ", token = " << quoted("<redacted " + t.name + ">")
        << " }";
  }
  out << "]\nadmin.roles = {";
  size_t i = 0;
  for (const auto& [subject, granted] : cfg.admin.roles)
    out << (i++ ? ", " : " ") << quoted(subject) << " = " << quoted(to_string(granted));
  out << (cfg.admin.roles.empty() ? "}" : " }") << "\n";
  return out.str();
}

} // namespace cdp::access_keys
