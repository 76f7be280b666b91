#include "jobs/cdp_profile_job.hpp"

#include <algorithm>

namespace cdp {

cdp_profile_job::cdp_profile_job(std::string store_url,
                                 std::chrono::milliseconds statement_timeout,
                                 std::chrono::milliseconds idle_in_transaction)
  : store_url_(std::move(store_url)) {
  options_.statement_timeout = statement_timeout;
  options_.idle_in_transaction = idle_in_transaction;
  // Waiting for SQLite's write lock is part of the attempt too.
  options_.busy_timeout = std::min(options_.busy_timeout, statement_timeout);
}

job_result cdp_profile_job::run(const job_request& request) {
  try {
    if (!store_) {
      auto opened = open_store(store_url_, options_);
      if (!opened)
        return job_result{.error = "cdp-profile: cannot open the store: "
                                   + opened.error().message};
      store_ = std::move(*opened);
    }
    auto counts = store_->build_monthly_profiles(request.advertiser_id, request.month);
    if (!counts) {
      // A lost connection is not coming back by itself; the next attempt
      // (a retry, or another month) starts from a fresh one.
      if (counts.error().code == errc::store_unavailable)
        store_.reset();
      return job_result{.error = counts.error().message};
    }
    return job_result{.succeeded = true,
                      .processed_records = counts->processed_records,
                      .failed_records = counts->failed_records,
                      .error = {}};
  } catch (const std::exception& e) {
    store_.reset();
    return job_result{.error = std::string{"cdp-profile: "} + e.what()};
  }
}

} // namespace cdp
