#pragma once

#include <cstddef>
#include <string_view>

namespace cdp {

/// Length of the well-formed UTF-8 sequence starting at `s[i]`, or 0: no
/// overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629), which is
/// what PostgreSQL and TOML accept.
size_t utf8_sequence(std::string_view s, size_t i);

/// Every byte of `s` is in a well-formed UTF-8 sequence.
bool is_utf8(std::string_view s);

} // namespace cdp
