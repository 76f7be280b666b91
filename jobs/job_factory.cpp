#include "config/config.hpp"
#include "jobs/cdp_profile_job.hpp"
#include "jobs/command_job.hpp"
#include "jobs/month_job.hpp"
#include "jobs/simulated_job.hpp"

namespace cdp {

expected<job_factory> make_job_factory(const config& cfg) {
  const auto& job = cfg.job;
  if (job.kind == "cdp-profile") {
    // A frozen node's profile transaction must not block the node that
    // takes its month over (store_options::idle_in_transaction).
    auto idle = store_is_shared(cfg.store.url) ? cfg.node.lease_ttl : std::chrono::milliseconds{};
    return job_factory{[url = cfg.store.url, timeout = job.timeout, idle] {
      return std::unique_ptr<month_job>{std::make_unique<cdp_profile_job>(url, timeout, idle)};
    }};
  }
  if (job.kind == "command") {
    if (job.command_argv.empty())
      return make_failure(errc::invalid_argument,
                          "job.command.argv: job.kind = \"command\" needs a program to run");
    return job_factory{[argv = job.command_argv] {
      return std::unique_ptr<month_job>{std::make_unique<command_job>(argv)};
    }};
  }
  if (job.kind == "simulated")
    return job_factory{[options = job.simulated] {
      return std::unique_ptr<month_job>{std::make_unique<simulated_job>(options)};
    }};
  return make_failure(errc::invalid_argument, "job.kind: must be cdp-profile, command or "
                                              "simulated, got '" + job.kind + "'");
}

} // namespace cdp
