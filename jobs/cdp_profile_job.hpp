#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "jobs/month_job.hpp"
#include "persistence/store.hpp"

namespace cdp {

/// The built-in `cdp-profile` job: rebuilds a month's customer profiles with
/// the store's set-based `build_monthly_profiles`. Keeps its own connection,
/// opened on the first run (and again after the connection was lost), with
/// `statement_timeout` (job.timeout) as the database's limit on the work and
/// on waiting for a lock, and `idle_in_transaction` as store_options says.
class cdp_profile_job final : public month_job {
public:
  cdp_profile_job(std::string store_url, std::chrono::milliseconds statement_timeout,
                  std::chrono::milliseconds idle_in_transaction = {});

  job_result run(const job_request& request) override;

private:
  std::string store_url_;
  store_options options_;
  std::unique_ptr<store> store_;
};

} // namespace cdp
