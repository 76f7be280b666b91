#include "api/bulk_import.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "domain/import_file.hpp"
#include "domain/import_run.hpp"

namespace cdp::api {

namespace {

/// Bytes read from the file at a time, in each pass.
constexpr size_t read_bytes = 64 * 1024;

import_answer refusal(int status, std::string_view error, std::string_view detail) {
  return {status, error_body(error, detail)};
}

} // namespace

import_answer import_body(std::FILE* body, const std::string& default_type, bool dry_run,
                          const import_part_sender& send) {
  std::string buffer(read_bytes, '\0');
  import_parser check;
  while (!check.file_error()) {
    auto n = std::fread(buffer.data(), 1, buffer.size(), body);
    if (n == 0)
      break;
    check.feed({buffer.data(), n});
    // Only the file's own errors matter in this pass; rows are read later.
    check.take_lines();
    check.take_refusals();
  }
  if (std::ferror(body))
    return refusal(503, "unavailable",
                   std::string{"cannot read the spooled import file: "} + std::strerror(errno));
  if (!check.file_error())
    check.finish();
  if (check.file_error())
    return refusal(400, "bad_request",
                   "the file is refused, nothing was imported: " + check.file_error()->message);

  std::rewind(body);
  import_run run{default_type, dry_run};
  auto send_all = [&](std::vector<import_batch> parts) -> std::optional<import_answer> {
    for (auto& part : parts) {
      auto first = part.lines.front().row;
      auto answer = send(std::move(part));
      if (!answer) {
        auto e = http_error_of(answer.error().code);
        auto body = error_body(e.error, "the import stopped at row " + std::to_string(first)
                                          + ": " + answer.error().message
                                          + "; the rows before it are imported, importing the "
                                            "file again skips them");
        body["stoppedAtRow"] = first;
        body["report"] = to_json(run.report());
        return import_answer{e.status, std::move(body)};
      }
      run.add(*answer);
    }
    return std::nullopt;
  };
  while (true) {
    auto n = std::fread(buffer.data(), 1, buffer.size(), body);
    if (n == 0)
      break;
    if (auto stopped = send_all(run.feed({buffer.data(), n})))
      return *stopped;
  }
  if (auto stopped = send_all(run.finish()))
    return *stopped;
  return {200, to_json(run.report())};
}

} // namespace cdp::api
