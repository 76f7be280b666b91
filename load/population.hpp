#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cdp::load {

/// A run's advertisers: NEW ones are `<prefix>n<i>`, EXISTING `<prefix>e<i>`.
struct population {
  std::string prefix;
  int64_t new_count = 0;
  int64_t existing_count = 0;

  std::string id(int64_t i) const {
    return i < new_count ? prefix + "n" + std::to_string(i)
                         : prefix + "e" + std::to_string(i - new_count);
  }
  bool is_new(std::string_view id) const {
    return id.size() > prefix.size() && id.substr(0, prefix.size()) == prefix
           && id[prefix.size()] == 'n';
  }
  int64_t size() const { return new_count + existing_count; }
};

} // namespace cdp::load
