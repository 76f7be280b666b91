#include "domain/advertiser.hpp"

namespace cdp {

bool is_valid_advertiser_id(std::string_view id) {
  // "." and ".." are dot segments: HTTP clients resolve them away, so such
  // an advertiser could never be addressed in a URL.
  if (id.empty() || id.size() > 50 || id == "." || id == "..")
    return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

failure invalid_advertiser_id(std::string_view id) {
  return make_failure(errc::invalid_argument,
                      "invalid advertiser id '" + std::string{id.substr(0, 60)}
                        + "': use 1-50 characters of A-Z a-z 0-9 _ . - (not . or .. alone)");
}

std::string_view to_string(advertiser_type type) {
  return type == advertiser_type::new_advertiser ? "NEW" : "EXISTING";
}

std::optional<advertiser_type> parse_advertiser_type(std::string_view text) {
  if (text == "NEW")
    return advertiser_type::new_advertiser;
  if (text == "EXISTING")
    return advertiser_type::existing;
  return std::nullopt;
}

status validate(const new_advertiser& request) {
  if (!is_valid_advertiser_id(request.id))
    return invalid_advertiser_id(request.id);
  if (request.name.size() > 200)
    return make_failure(errc::invalid_argument,
                        "advertiser name is longer than 200 characters");
  return ok;
}

} // namespace cdp
