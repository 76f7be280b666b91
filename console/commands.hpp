#pragma once

#include <iosfwd>
#include <string>

#include "console/import_command.hpp"
#include "console/outcome.hpp"
#include "console/output.hpp"
#include "console/session.hpp"
#include "console/watch_command.hpp"
#include "domain/views.hpp"

namespace cdp::console {

enum class verb {
  status,
  get_advertisers,
  get_nodes,
  describe,
  progress,
  states,
  running,
  attempts,
  create,
  trigger,
  retry,
  activate,
  deactivate,
  health,
  watch,
  import_file,
  audit,
};

/// One cdpctl command as typed: ids, months and query fields stay raw, the
/// daemon's operator actor validates them as it does for the REST API.
struct command {
  verb what = verb::status;
  std::string advertiser;
  std::string month;
  /// get advertisers
  advertiser_query query;
  /// create
  std::string name;
  bool existing = false;
  /// watch
  watch_options watch;
  /// import
  import_options import;
  /// Why a change is made, for the audit trail (--reason).
  std::string reason;
  /// audit
  audit_query audit;
};

/// Sends `cmd` (changes with `token` and the command's reason) and prints the answer to `out` in
/// `format`, or the reason there is none (see `report`). A DOWN health
/// report exits 1.
exit_status run(session& daemon, const command& cmd, const std::string& token,
                output_format format, std::ostream& out, std::ostream& err);

} // namespace cdp::console
