#include "actors/hibernation.hpp"

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

#include "actors/wire.hpp"

namespace cdp {

std::vector<char> pack_dormant(const advertiser& who, const std::vector<month_state>& months) {
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  // CAF 0.17's inspectors take references to write through even when they
  // only read; serialising values in memory cannot fail.
  static_cast<void>(sink(const_cast<advertiser&>(who), const_cast<std::vector<month_state>&>(months)));
  bytes.shrink_to_fit();
  return bytes;
}

std::optional<dormant_advertiser> unpack_dormant(const std::vector<char>& bytes) {
  dormant_advertiser out;
  caf::binary_deserializer source{nullptr, bytes};
  if (source(out.who, out.months) || source.remaining() != 0)
    return std::nullopt;
  return out;
}

} // namespace cdp
