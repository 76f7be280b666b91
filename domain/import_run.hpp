#pragma once

// One import of a whole file as a client (the REST API, cdpctl) drives it:
// the file's bytes go in as they stream, parts of at most 1,000 rows come
// out to be sent to the daemon one after another, and their answers add up
// to the report. The client checks the whole file first (import_parser):
// a file error must refuse it before any part is sent.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/import_file.hpp"
#include "domain/import_rules.hpp"

namespace cdp {

class import_run {
public:
  import_run(std::string default_type, bool dry_run);

  /// The next bytes of the file; the parts they complete, in file order.
  std::vector<import_batch> feed(std::string_view bytes);
  /// The file ended: the last part, if it has rows.
  std::vector<import_batch> finish();
  /// The daemon's answer to a part.
  void add(const import_report& part);

  /// What the parts answered so far, with the rows the parser refused.
  import_report report() const;
  const std::optional<failure>& file_error() const { return parser_.file_error(); }

private:
  std::vector<import_batch> collect(bool last);

  import_parser parser_;
  std::string default_type_;
  bool dry_run_;
  import_batch pending_;
  import_report report_;
};

} // namespace cdp
