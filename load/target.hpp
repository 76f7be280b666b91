#pragma once

#include <cstdio>

#include "domain/errors.hpp"
#include "load/options.hpp"
#include "load/report.hpp"

namespace cdp::load {

/// Drives the daemon at `o.target` through its admin port: creates the
/// advertisers in bulk, follows their month rows until every one did its
/// work once (or for `o.duration`), then measures the run from their stored
/// attempts (see load/stored_figures.hpp). The advertisers stay in the
/// daemon afterwards, as any operator's would.
expected<report> run_against(const options& o, std::FILE* progress_out);

} // namespace cdp::load
