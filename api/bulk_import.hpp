#pragma once

// POST /api/v2/batch/advertisers:bulk: an import file (CSV or JSON lines)
// streamed in the request body.
//
// "Nothing written" for a malformed or oversized file, and never the whole
// file in memory: the body is read twice. The first pass streams it into a
// temporary spool file on disk (deleted when the request ends) while the
// parser checks the file as a whole: header, UTF-8, the size limit. Only a
// file that passes is imported, in a second pass over the spool, one part of
// 1,000 rows (one store transaction) after another. Memory stays bounded by a
// read buffer and one part; the disk holds the body once.

#include <functional>
#include <string>

#include <httplib.h>

#include "api/json.hpp"
#include "domain/import_rules.hpp"

namespace cdp::api {

/// What the import answers: its status and its body.
struct import_answer {
  int status = 200;
  json body;
};

/// One part sent to the daemon: its report, or why it failed.
using import_part_sender = std::function<expected<import_report>(import_batch)>;

/// Reads the body through `read` (at most `max_body` bytes), then imports
/// it part by part through `send`. A part that fails stops the import: the
/// answer is that failure's status with the report so far and the row it
/// stopped at (the parts before it are stored; importing again skips them).
import_answer import_body(const httplib::ContentReader& read, size_t max_body,
                          const std::string& default_type, bool dry_run,
                          const import_part_sender& send);

} // namespace cdp::api
