#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/errors.hpp"

namespace cdp {

/// What a caller may do.
enum class role : uint8_t {
  /// Looks only: every GET, `cdpctl get`, `describe`, `watch`, `audit`.
  read,
  /// Also changes the engine: create, import, trigger, retry, activate,
  /// deactivate.
  operate,
};

std::string_view to_string(role r);
std::optional<role> parse_role(std::string_view text);

/// One API token: an `[[api.tokens]]` entry, or http.token as the operate
/// token named `default`.
struct api_token {
  std::string name;
  role granted = role::read;
  std::string secret;
};

/// Who a call comes from and what they may do.
struct caller {
  std::string name;
  role granted = role::read;
};

/// admin.roles: the admin port's verified certificate subjects (RFC 2253,
/// "CN=alice,O=Example") and their roles.
using subject_roles = std::map<std::string, role, std::less<>>;

/// The caller whose token `presented` is, or nullopt when it is none of
/// them. With no token configured every caller is `anonymous` with role
/// operate: the daemon then listens on loopback or was told
/// api.allow_anonymous. Every token is compared whole, so how long it takes
/// does not tell how close a guess came.
std::optional<caller> identify(std::span<const api_token> tokens, std::string_view presented);

/// The caller of a console's call. A verified certificate subject is the
/// name; once admin.roles names any subject, a subject's role is what it
/// says there, and read for a subject it does not name (roles for
/// certificates are then given, never assumed). Without a subject, or with
/// admin.roles empty, the token decides as it does on the REST API.
std::optional<caller> identify(std::span<const api_token> tokens, const subject_roles& roles,
                               std::string_view subject, std::string_view presented);

/// Whether `who` may make a change.
bool may_change(const caller& who);

/// The refusal of a change by a caller whose role is read (errc::forbidden).
failure forbidden_change(const caller& who);

/// The refusal of a call whose token is none of the configured ones.
failure unknown_token();

} // namespace cdp
