#pragma once

#include <string>

#include "caf/error.hpp"

#include "actors/type_ids.hpp"
#include "domain/errors.hpp"

namespace cdp {

/// A domain failure as a CAF error (category "cdp"), message kept.
caf::error to_caf_error(const failure& f);

/// Any CAF error as a domain failure: ours keep their code and message;
/// CAF's own (request timeout, dead actor) become timeout or store_error.
failure from_caf_error(const caf::error& err);

} // namespace cdp
