#include "api/bulk_import.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "domain/import_file.hpp"
#include "domain/import_run.hpp"

namespace cdp::api {

namespace {

/// Bytes read from the spool at a time in the second pass.
constexpr size_t spool_read_bytes = 64 * 1024;

using spool_file = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

import_answer refusal(int status, std::string_view error, std::string_view detail) {
  return {status, error_body(error, detail)};
}

std::string limit_text(size_t max_body) {
  return max_body % (1024 * 1024) == 0 ? std::to_string(max_body / (1024 * 1024)) + " MiB"
                                       : std::to_string(max_body / 1024) + " KiB";
}

} // namespace

import_answer import_body(const httplib::ContentReader& read, size_t max_body,
                          const std::string& default_type, bool dry_run,
                          const import_part_sender& send) {
  // tmpfile(): unlinked at once, so the spool goes away with the request
  // even when the daemon is killed.
  spool_file spool{std::tmpfile(), &std::fclose};
  if (!spool)
    return refusal(503, "unavailable",
                   std::string{"cannot create a temporary spool file for the import: "}
                     + std::strerror(errno) + " (is TMPDIR writable?)");
  import_parser check;
  size_t seen = 0;
  bool over = false, unwritable = false;
  bool whole = read([&](const char* data, size_t n) {
    seen += n;
    over = seen > max_body;
    if (over)
      return false;
    if (std::fwrite(data, 1, n, spool.get()) != n) {
      unwritable = true;
      return false;
    }
    check.feed({data, n});
    // Only the file's own errors matter in this pass; rows are read later.
    check.take_lines();
    check.take_refusals();
    return !check.file_error();
  });
  if (over)
    return refusal(413, "payload_too_large",
                   "the import file is larger than http.max_body (" + limit_text(max_body)
                     + "); split it, or raise http.max_body");
  if (unwritable)
    return refusal(503, "unavailable",
                   std::string{"cannot spool the import to a temporary file: "}
                     + std::strerror(errno));
  if (!check.file_error() && whole)
    check.finish();
  if (check.file_error())
    return refusal(400, "bad_request",
                   "the file is refused, nothing was imported: " + check.file_error()->message);
  if (!whole)
    return refusal(400, "bad_request", "the body ended early or is malformed");

  std::rewind(spool.get());
  import_run run{default_type, dry_run};
  std::string buffer(spool_read_bytes, '\0');
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
    auto n = std::fread(buffer.data(), 1, buffer.size(), spool.get());
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
