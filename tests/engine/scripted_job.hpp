#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobs/month_job.hpp"

namespace cdp::test {

/// Decides, per advertiser and month, how a test's jobs behave, and records
/// every attempt. Shared by all runners of one engine.
class job_script {
public:
  using key = std::pair<std::string, std::string>;

  struct attempt_seen {
    std::string advertiser;
    std::string month;
    int attempt;
    std::chrono::steady_clock::time_point at;
  };

  /// The first `n` attempts of this month fail.
  void fail_first(const std::string& advertiser, const std::string& month, int n) {
    std::lock_guard guard{mutex_};
    failures_[{advertiser, month}] = n;
  }
  /// Every attempt of this advertiser's months fails.
  void always_fail(const std::string& advertiser) {
    std::lock_guard guard{mutex_};
    broken_.insert(advertiser);
  }
  /// Attempts of this month block until `release` or their timeout.
  void hang(const std::string& advertiser, const std::string& month) {
    std::lock_guard guard{mutex_};
    hanging_.insert({advertiser, month});
  }
  /// Every attempt takes this long (a job that does work).
  void take(std::chrono::milliseconds each) {
    std::lock_guard guard{mutex_};
    duration_ = each;
  }
  void release_all() {
    {
      std::lock_guard guard{mutex_};
      hanging_.clear();
    }
    released_.notify_all();
  }

  std::vector<attempt_seen> attempts() const {
    std::lock_guard guard{mutex_};
    return seen_;
  }

  std::vector<attempt_seen> attempts_of(const std::string& advertiser) const {
    std::vector<attempt_seen> out;
    for (auto& a : attempts())
      if (a.advertiser == advertiser)
        out.push_back(a);
    return out;
  }

  job_result run(const job_request& r) {
    std::unique_lock guard{mutex_};
    key k{r.advertiser_id, r.month.to_string()};
    seen_.push_back({r.advertiser_id, k.second, r.attempt, std::chrono::steady_clock::now()});
    if (duration_.count() > 0) {
      auto each = duration_;
      guard.unlock();
      std::this_thread::sleep_for(each);
      guard.lock();
    }
    if (hanging_.count(k)) {
      released_.wait_for(guard, r.timeout, [&] { return !hanging_.count(k); });
      if (hanging_.count(k))
        return {false, 0, 0, "timed out"};
    }
    if (broken_.count(r.advertiser_id))
      return {false, 0, 0, "scripted failure of " + r.advertiser_id};
    if (auto it = failures_.find(k); it != failures_.end() && it->second > 0) {
      --it->second;
      return {false, 0, 0, "scripted failure"};
    }
    return {true, 10, 1, ""};
  }

private:
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::map<key, int> failures_;
  std::set<std::string> broken_;
  std::set<key> hanging_;
  std::vector<attempt_seen> seen_;
  std::chrono::milliseconds duration_{0};
};

class scripted_job final : public month_job {
public:
  explicit scripted_job(std::shared_ptr<job_script> script) : script_(std::move(script)) {}
  job_result run(const job_request& r) override { return script_->run(r); }

private:
  std::shared_ptr<job_script> script_;
};

} // namespace cdp::test
