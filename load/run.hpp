#pragma once

#include <cstdio>

#include "domain/errors.hpp"
#include "load/options.hpp"
#include "load/report.hpp"

namespace cdp::load {

/// Creates the advertisers in bulk, runs the engine in process with the
/// `simulated` job until every advertiser did its work once (or for
/// `o.duration`), then, with `o.sequential`, the same work one advertiser
/// after another. Progress goes to `progress_out`; the figures come back.
expected<report> run(const options& o, std::FILE* progress_out);

} // namespace cdp::load
