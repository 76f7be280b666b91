#include "domain/access.hpp"

#include "domain/audit.hpp"
#include "domain/operator_input.hpp"

namespace cdp {

std::string_view to_string(role r) {
  return r == role::operate ? "operate" : "read";
}

std::optional<role> parse_role(std::string_view text) {
  if (text == "read")
    return role::read;
  if (text == "operate")
    return role::operate;
  return std::nullopt;
}

std::optional<caller> identify(std::span<const api_token> tokens, std::string_view presented) {
  if (tokens.empty())
    return caller{anonymous_caller, role::operate};
  const api_token* found = nullptr;
  for (const auto& t : tokens)
    if (token_matches(t.secret, presented) && found == nullptr)
      found = &t;
  if (found == nullptr)
    return std::nullopt;
  return caller{found->name, found->granted};
}

std::optional<caller> identify(std::span<const api_token> tokens, const subject_roles& roles,
                               std::string_view subject, std::string_view presented) {
  if (subject.empty())
    return identify(tokens, presented);
  if (!roles.empty()) {
    auto it = roles.find(subject);
    return caller{std::string{subject}, it == roles.end() ? role::read : it->second};
  }
  auto by_token = identify(tokens, presented);
  if (!by_token)
    return std::nullopt;
  return caller{std::string{subject}, by_token->granted};
}

bool may_change(const caller& who) {
  return who.granted == role::operate;
}

failure forbidden_change(const caller& who) {
  return {errc::forbidden, "'" + who.name + "' has role read: this call changes the engine and "
                             "needs role operate"};
}

failure unknown_token() {
  return {errc::unauthorized, "this call needs an API token: send 'Authorization: Bearer "
                              "<token>' with http.token or one of api.tokens"};
}

} // namespace cdp
