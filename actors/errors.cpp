#include "actors/errors.hpp"

namespace cdp {

caf::error to_caf_error(const failure& f) {
  return caf::make_error(f.code, f.message);
}

failure from_caf_error(const caf::error& err) {
  if (err.category() == caf::atom("cdp")) {
    std::string message;
    if (err.context().match_elements<std::string>())
      message = err.context().get_as<std::string>(0);
    return failure{static_cast<errc>(err.code()), std::move(message)};
  }
  if (err == caf::sec::request_timeout)
    return failure{errc::timeout, "no answer in time (request timeout)"};
  return failure{errc::store_error, caf::to_string(err)};
}

} // namespace cdp
