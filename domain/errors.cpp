#include "domain/errors.hpp"

namespace cdp {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::store_unavailable: return "store_unavailable";
    case errc::store_error: return "store_error";
    case errc::schema_too_new: return "schema_too_new";
    case errc::timeout: return "timeout";
    case errc::queue_full: return "queue_full";
    case errc::job_failed: return "job_failed";
    case errc::shutting_down: return "shutting_down";
    case errc::unauthorized: return "unauthorized";
    case errc::incompatible_protocol: return "incompatible_protocol";
    case errc::lease_lost: return "lease_lost";
    case errc::forbidden: return "forbidden";
  }
  return "unknown";
}

} // namespace cdp
