#pragma once

// The rules of a bulk import of advertisers (a migration onto cdpbatch): what
// one row of the file must hold, what becomes of a row whose id exists, and
// the report an operator gets. The file's syntax is domain/import_file, a
// row's fields are checked by check_import_line (domain/operator_input).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/errors.hpp"

namespace cdp {

/// Rows of one store transaction of an import, and of one message carrying
/// them (a few hundred KB on the admin port at most).
inline constexpr size_t import_chunk_rows = 1000;
/// Refused rows a report lists one by one (all are counted).
inline constexpr size_t import_report_refusals = 100;

/// One row of an import file as its fields read, before its rules are
/// checked. Fields the file does not have are empty.
struct import_line {
  /// The file's line where the row starts (the header is line 1).
  int64_t row = 0;
  std::string advertiser_id;
  std::string name;
  std::string type;
  std::string active;
};

/// One part of an import as a client (the REST API, cdpctl) sends it to the
/// daemon: at most `import_chunk_rows` rows, in file order.
struct import_batch {
  std::vector<import_line> lines;
  /// `NEW`, `EXISTING`, or "" (rows must name their type).
  std::string default_type;
  bool dry_run = false;
};

/// A row whose fields are valid: what the store is asked to import.
struct import_row {
  int64_t row = 0;
  std::string advertiser_id;
  std::string name;
  advertiser_type type = advertiser_type::existing;
  bool active = true;
};

/// A row that was not imported, and why.
struct import_refusal {
  int64_t row = 0;
  std::string advertiser_id;
  std::string reason;
};

/// What an import did (or, in a dry run, would do).
struct import_report {
  bool dry_run = false;
  /// Rows of the file (blank lines and the header are not rows).
  int64_t rows = 0;
  int64_t created = 0;
  /// The id exists with the same type: nothing changes.
  int64_t skipped = 0;
  int64_t refused = 0;
  /// The first `import_report_refusals` refused rows, by row.
  std::vector<import_refusal> first_refused;
};

/// The type an advertiser was created with: a NEW one stays NEW in this sense
/// once its backfill is done (it has a backfill start), so importing the same
/// file again skips it rather than refusing it.
advertiser_type created_as(const advertiser& who);

enum class import_verdict { create, skip, refuse };

struct import_decision {
  import_verdict verdict = import_verdict::create;
  /// Why a row is refused.
  std::string reason;
};

/// What becomes of a valid row: created when its id is unknown (`stored_as`
/// empty), skipped when it exists with the type the row says, refused when
/// it exists with another. An existing advertiser is never changed, its
/// active flag neither.
import_decision decide_import(const import_row& row, std::optional<advertiser_type> stored_as);

/// What one transaction of an import is to do with its rows.
struct import_plan {
  /// The advertisers to create, in row order.
  std::vector<new_advertiser> create;
  /// Of those, the ones to store inactive.
  std::vector<std::string> inactive;
  int64_t skipped = 0;
  std::vector<import_refusal> refused;
};

/// Decides each row as decide_import does, `stored` holding the type each
/// existing id was created as; a row whose id an earlier row of the same
/// part creates sees it as existing (an id twice in a file is created once).
import_plan plan_import(std::span<const import_row> rows,
                        std::unordered_map<std::string, advertiser_type> stored);

/// Counts one refused row in `report`, listing it among the first ones.
void add_refusal(import_report& report, import_refusal refusal);

/// Adds what one part of an import did to the whole, its refused rows listed
/// in row order whatever order the parts come in.
void merge(import_report& whole, const import_report& part);

} // namespace cdp
