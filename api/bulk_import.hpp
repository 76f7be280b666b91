#pragma once

// POST /api/v2/batch/advertisers:bulk: an import file (CSV or JSON lines)
// in the request body.
//
// "Nothing written" for a malformed or oversized file, and never the whole
// file in memory: the REST server spools the body to an unlinked temporary
// file as it arrives, refusing it past http.max_body (api/http_server.hpp),
// and the file is read twice. The first pass checks it as a whole: header,
// UTF-8. Only a file that passes is imported, in a second pass, one part of
// 1,000 rows (one store transaction) after another. Memory stays bounded by a
// read buffer and one part; the disk holds the body once.
#include <functional>
#include <string>

#include <cstdio>

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

/// Checks the whole import file `body` (the spooled request body, at most
/// http.max_body) first, then imports it part by part through `send`. A
/// part that fails stops the import: the answer is that failure's status
/// with the report so far and the row it stopped at (the parts before it
/// are stored; importing again skips them).
import_answer import_body(std::FILE* body, const std::string& default_type, bool dry_run,
                          const import_part_sender& send);

} // namespace cdp::api
