#include "domain/import_run.hpp"

namespace cdp {

import_run::import_run(std::string default_type, bool dry_run)
  : default_type_(std::move(default_type)), dry_run_(dry_run) {
  pending_.default_type = default_type_;
  pending_.dry_run = dry_run_;
  report_.dry_run = dry_run_;
}

std::vector<import_batch> import_run::feed(std::string_view bytes) {
  parser_.feed(bytes);
  return collect(false);
}

std::vector<import_batch> import_run::finish() {
  parser_.finish();
  return collect(true);
}

std::vector<import_batch> import_run::collect(bool last) {
  for (auto& refusal : parser_.take_refusals())
    add_refusal(report_, std::move(refusal));
  std::vector<import_batch> parts;
  for (auto& line : parser_.take_lines()) {
    pending_.lines.push_back(std::move(line));
    if (pending_.lines.size() == import_chunk_rows)
      parts.push_back(std::exchange(pending_, import_batch{{}, default_type_, dry_run_}));
  }
  if (last && !pending_.lines.empty())
    parts.push_back(std::exchange(pending_, import_batch{{}, default_type_, dry_run_}));
  return parts;
}

void import_run::add(const import_report& part) {
  merge(report_, part);
}

import_report import_run::report() const {
  auto whole = report_;
  // The parts count the rows they carry; the parser counts every row.
  whole.rows = parser_.rows();
  return whole;
}

} // namespace cdp
