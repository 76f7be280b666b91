#pragma once

// The REST API's JSON: camelCase fields as the original Spring service wrote
// them (../SPEC.md), ISO-8601 UTC instants or null. Only api/ maps views to
// JSON; `cdpctl --output json` prints this same mapping.

#include <nlohmann/json.hpp>

#include "actors/type_ids.hpp"
#include "domain/errors.hpp"

namespace cdp::api {

using json = nlohmann::ordered_json;

json to_json(const advertiser_progress& p);
json to_json(const advertiser_summary& s);
json to_json(const advertiser_page& page);
json to_json(const advertiser_detail& d);
json to_json(const audit_entry& e);
json to_json(const audit_page& page);
json to_json(const month_state& m);
json to_json(const attempt_record& a);
json to_json(const running_job& j);
json to_json(const system_status& s);
json to_json(const health_report& h);
json to_json(const node_view& n);
/// cdpctl's live view: the status, running jobs, backfills and the latest
/// failures, each as the API shows it.
json to_json(const watch_frame& f);
/// A bulk import's report: rows, created, skipped, refused, and the first
/// refused rows with their row and reason.
json to_json(const import_report& r);

template <class T>
json to_json(const std::vector<T>& items) {
  auto out = json::array();
  for (const auto& x : items)
    out.push_back(to_json(x));
  return out;
}

/// `{"error": "...", "detail": "..."}`.
json error_body(std::string_view error, std::string_view detail);

/// The HTTP status and the short error word for a failure.
struct http_error {
  int status;
  std::string_view error;
};
http_error http_error_of(errc code);

} // namespace cdp::api
