#pragma once

// The syntax of an import file, read as it streams in: the file is fed in
// chunks of any size and never held whole. Two formats, told apart by the
// first byte that is not white space (after a UTF-8 byte order mark):
// `{` is JSON lines, anything else CSV.
//
// CSV (RFC 4180): a header is required, naming `advertiserId` and any of
// `type`, `active`, `name` in any order; fields may be quoted ("" is a quote
// inside one); records end with LF or CRLF. JSON lines: one object per line
// with `advertiserId` and optionally `type`, `active` (true/false) and
// `name`. Blank lines are ignored in both.
//
// A malformed row is refused with its line and why, and the rows around it
// go on; a malformed file (no or a bad header, bytes that are not UTF-8) is
// a file error, and an import refuses the whole file for it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/errors.hpp"
#include "domain/import_rules.hpp"

namespace cdp {

/// The longest row read; a longer one is refused (a stray quote would
/// otherwise swallow the rest of the file into one row).
inline constexpr size_t import_max_row_bytes = 4096;

enum class import_format { unknown, csv, json_lines };

class import_parser {
public:
  /// The next bytes of the file.
  void feed(std::string_view bytes);
  /// The file ended: its last row (without a line break) is read.
  void finish();

  /// Why the whole file is refused, once known; nothing more is read then.
  const std::optional<failure>& file_error() const { return error_; }
  import_format format() const { return format_; }
  /// Rows read so far (not counting the header and blank lines).
  int64_t rows() const { return rows_; }

  /// The rows read since the last take, whose fields the rules check next.
  std::vector<import_line> take_lines() { return std::exchange(lines_, {}); }
  /// The rows refused for their syntax since the last take.
  std::vector<import_refusal> take_refusals() { return std::exchange(refusals_, {}); }

private:
  void consume(char c);
  void end_record();
  void follow_quotes(char c);
  void read_csv(std::string_view record);
  void read_json(std::string_view record);
  void read_header(std::string_view record);
  void refuse(std::string reason, std::string id = {});
  void fail(std::string message);
  /// Checks one byte as part of UTF-8; false once the file is not UTF-8.
  bool utf8_ok(unsigned char byte);

  std::optional<failure> error_;
  import_format format_ = import_format::unknown;
  /// Byte order mark: bytes of the start still to be looked at.
  std::string start_;
  bool started_ = false;
  std::string record_;
  int64_t line_ = 1;
  int64_t record_line_ = 1;
  bool in_quotes_ = false;
  bool field_start_ = true;
  bool after_close_ = false;
  bool overlong_ = false;
  /// UTF-8: continuation bytes still expected, and the range the next must be in.
  int utf8_pending_ = 0;
  unsigned char utf8_low_ = 0x80, utf8_high_ = 0xBF;
  /// CSV: the header's columns, by position.
  enum class column { id, name, type, active };
  std::vector<column> columns_;
  bool header_read_ = false;
  int64_t rows_ = 0;
  std::vector<import_line> lines_;
  std::vector<import_refusal> refusals_;
};

} // namespace cdp
