#include "domain/import_file.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace cdp {

namespace {

constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

constexpr std::string_view header_help =
  "the header names advertiserId and any of type, active, name, e.g. "
  "'advertiserId,type,active'";

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::string shown(std::string_view text) {
  return "'" + std::string{text.substr(0, 60)} + (text.size() > 60 ? "…'" : "'");
}

/// RFC 4180 fields; nullopt when a quote is out of place.
std::optional<std::vector<std::string>> split_csv(std::string_view r) {
  std::vector<std::string> fields;
  size_t i = 0;
  const size_t n = r.size();
  while (true) {
    std::string field;
    if (i < n && r[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (r[i] != '"') {
          field += r[i++];
        } else if (i + 1 < n && r[i + 1] == '"') {
          field += '"';
          i += 2;
        } else {
          ++i;
          closed = true;
          break;
        }
      }
      if (!closed || (i < n && r[i] != ','))
        return std::nullopt;
    } else {
      while (i < n && r[i] != ',') {
        if (r[i] == '"')
          return std::nullopt;
        field += r[i++];
      }
    }
    fields.push_back(std::move(field));
    if (i >= n)
      return fields;
    ++i; // the comma: another field follows, maybe empty
  }
}

} // namespace

void import_parser::feed(std::string_view bytes) {
  if (error_)
    return;
  if (!started_) {
    // Up to three bytes are held back to tell a byte order mark.
    auto take = std::min(bytes.size(), byte_order_mark.size() - start_.size());
    start_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    bool maybe_mark = byte_order_mark.starts_with(start_);
    if (maybe_mark && start_.size() < byte_order_mark.size())
      return;
    started_ = true;
    auto held = std::exchange(start_, {});
    if (maybe_mark)
      held.clear();
    for (char c : held)
      consume(c);
  }
  for (char c : bytes) {
    if (error_)
      return;
    consume(c);
  }
}

void import_parser::finish() {
  if (!started_) {
    started_ = true;
    auto held = std::exchange(start_, {});
    if (held != byte_order_mark)
      for (char c : held)
        consume(c);
  }
  if (error_)
    return;
  if (utf8_pending_ > 0)
    return fail("the file is not UTF-8: it ends inside a multi-byte character");
  if (!record_.empty() || overlong_)
    end_record();
  if (error_)
    return;
  if (format_ == import_format::unknown)
    return fail("the file is empty: a CSV file needs its header (" + std::string{header_help}
                + "), JSON lines one object per line");
}

bool import_parser::utf8_ok(unsigned char b) {
  if (utf8_pending_ > 0) {
    if (b < utf8_low_ || b > utf8_high_)
      return false;
    --utf8_pending_;
    utf8_low_ = 0x80;
    utf8_high_ = 0xBF;
    return true;
  }
  if (b < 0x80)
    return true;
  // RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF.
  if (b >= 0xC2 && b <= 0xDF) {
    utf8_pending_ = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    utf8_pending_ = 2;
    if (b == 0xE0)
      utf8_low_ = 0xA0;
    if (b == 0xED)
      utf8_high_ = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    utf8_pending_ = 3;
    if (b == 0xF0)
      utf8_low_ = 0x90;
    if (b == 0xF4)
      utf8_high_ = 0x8F;
  } else {
    return false;
  }
  return true;
}

void import_parser::consume(char c) {
  if (!utf8_ok(static_cast<unsigned char>(c)))
    return fail("the file is not UTF-8: line " + std::to_string(line_)
                + " has a byte that is not (save it as UTF-8 and import it again)");
  if (c == '\n' && !(in_quotes_ && !overlong_)) {
    end_record();
    ++line_;
    record_line_ = line_;
    return;
  }
  if (c == '\n')
    ++line_;
  if (overlong_)
    return;
  if (format_ == import_format::unknown && c != ' ' && c != '\t' && c != '\r')
    format_ = c == '{' ? import_format::json_lines : import_format::csv;
  if (format_ == import_format::csv)
    follow_quotes(c);
  record_ += c;
  if (record_.size() > import_max_row_bytes) {
    // Read on to the next line break, quoted or not, and refuse the row.
    overlong_ = true;
    in_quotes_ = false;
    record_.clear();
  }
}

void import_parser::follow_quotes(char c) {
  // A quote opens quoting only at the start of a field, or right after a
  // closing one (a doubled quote inside a quoted field); anywhere else it is
  // a stray one the row is refused for, and line breaks still end the row.
  if (in_quotes_) {
    if (c == '"') {
      in_quotes_ = false;
      after_close_ = true;
    }
    return;
  }
  if (c == '"' && (field_start_ || after_close_))
    in_quotes_ = true;
  field_start_ = c == ',';
  after_close_ = false;
}

void import_parser::end_record() {
  auto record = std::exchange(record_, {});
  bool unterminated = in_quotes_;
  in_quotes_ = false;
  field_start_ = true;
  after_close_ = false;
  if (overlong_) {
    overlong_ = false;
    if (format_ == import_format::csv && !header_read_)
      return fail("bad header: line " + std::to_string(record_line_) + " is longer than "
                  + std::to_string(import_max_row_bytes) + " bytes; " + std::string{header_help});
    ++rows_;
    return refuse("the row is longer than " + std::to_string(import_max_row_bytes) + " bytes");
  }
  if (!record.empty() && record.back() == '\r')
    record.pop_back();
  if (is_blank(record))
    return;
  if (format_ == import_format::json_lines)
    return read_json(record);
  if (!header_read_)
    return read_header(record);
  if (unterminated) {
    ++rows_;
    return refuse("a quoted field is never closed");
  }
  read_csv(record);
}

void import_parser::read_header(std::string_view record) {
  auto names = split_csv(record);
  if (!names)
    return fail("bad header: misplaced quote in line " + std::to_string(record_line_) + "; "
                + std::string{header_help});
  bool has_id = false;
  for (const auto& name : *names) {
    column col;
    if (name == "advertiserId")
      col = column::id;
    else if (name == "name")
      col = column::name;
    else if (name == "type")
      col = column::type;
    else if (name == "active")
      col = column::active;
    else
      return fail("bad header: unknown column " + shown(name) + " in line "
                  + std::to_string(record_line_) + "; " + std::string{header_help});
    if (std::find(columns_.begin(), columns_.end(), col) != columns_.end())
      return fail("bad header: column " + shown(name) + " appears twice; "
                  + std::string{header_help});
    has_id = has_id || col == column::id;
    columns_.push_back(col);
  }
  if (!has_id)
    return fail("bad header: no advertiserId column; " + std::string{header_help});
  header_read_ = true;
}

void import_parser::read_csv(std::string_view record) {
  ++rows_;
  auto fields = split_csv(record);
  if (!fields)
    return refuse("misplaced quote: a quote may open a field, close it, or be doubled inside "
                  "a quoted one");
  import_line line;
  line.row = record_line_;
  for (size_t i = 0; i < fields->size() && i < columns_.size(); ++i) {
    auto& value = (*fields)[i];
    switch (columns_[i]) {
      case column::id: line.advertiser_id = std::move(value); break;
      case column::name: line.name = std::move(value); break;
      case column::type: line.type = std::move(value); break;
      case column::active: line.active = std::move(value); break;
    }
  }
  if (fields->size() != columns_.size())
    return refuse("the row has " + std::to_string(fields->size()) + " fields, the header "
                    + std::to_string(columns_.size()),
                  line.advertiser_id);
  lines_.push_back(std::move(line));
}

void import_parser::read_json(std::string_view record) {
  ++rows_;
  auto doc = nlohmann::json::parse(record, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return refuse("not a JSON object: each line holds one, e.g. "
                  R"({"advertiserId":"A1","type":"EXISTING","active":true})");
  import_line line;
  line.row = record_line_;
  if (auto id = doc.find("advertiserId"); id != doc.end() && id->is_string())
    line.advertiser_id = id->get<std::string>();
  for (const auto& [key, value] : doc.items()) {
    if (value.is_null())
      continue;
    if (key == "active") {
      if (!value.is_boolean())
        return refuse("field 'active' must be true or false", line.advertiser_id);
      line.active = value.get<bool>() ? "true" : "false";
      continue;
    }
    std::string* field = key == "advertiserId" ? &line.advertiser_id
                         : key == "name"       ? &line.name
                         : key == "type"       ? &line.type
                                               : nullptr;
    if (!field)
      return refuse("unknown field " + shown(key)
                      + "; a line has advertiserId and any of type, active, name",
                    line.advertiser_id);
    if (!value.is_string())
      return refuse("field '" + key + "' must be a string", line.advertiser_id);
    *field = value.get<std::string>();
  }
  if (line.advertiser_id.empty())
    return refuse("no advertiserId");
  lines_.push_back(std::move(line));
}

void import_parser::refuse(std::string reason, std::string id) {
  refusals_.push_back({record_line_, std::move(id), std::move(reason)});
}

void import_parser::fail(std::string message) {
  if (!error_)
    error_ = make_failure(errc::invalid_argument, std::move(message));
}

} // namespace cdp
