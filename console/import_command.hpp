#pragma once

// cdpctl import FILE: a bulk import of advertisers over the admin port. The
// file is read twice and never held whole: a first pass checks it as a
// whole (header, UTF-8), so a malformed file is refused before anything is
// sent; the second pass sends it in parts of 1,000 rows, one store
// transaction each, and adds up the daemon's reports.

#include <chrono>
#include <iosfwd>
#include <string>

#include "console/output.hpp"
#include "console/session.hpp"
#include "domain/import_rules.hpp"

namespace cdp::console {

struct import_options {
  std::string file;
  /// --type: the type of rows that have none ("" : each row names it).
  std::string default_type;
  bool dry_run = false;
  /// How long one part may take (its transaction may outlast --timeout).
  std::chrono::milliseconds part_timeout = std::chrono::seconds{35};
};

/// Imports the file and prints the report (or, when a part fails, the
/// report so far and where it stopped). Exit 0 when the import ran through,
/// refused rows or not; 1 for a refused file or a part the daemon refused;
/// 2 for a file that cannot be read; 3 when the daemon stopped answering.
exit_status run_import(session& daemon, const import_options& opt, const operator_call& who,
                       output_format format, std::ostream& out, std::ostream& err);

/// The report for people: the counts, then the first refused rows.
std::string render(const import_report& r);

} // namespace cdp::console
