// The crash test's victim (not a test itself): drives every active
// advertiser's backfill through claims, completions and failures in batches,
// deciding each step from what the store holds, so it carries on after any
// kill. Between batches it switches the advertiser `crash::toggled` on or off
// as an operator would (audited). store_crash_test.cpp kills it at random
// moments and checks that the store shows every transaction either whole or
// not at all, audit rows included.
//
//   crash_child STORE_URL OWNER MAX_SECONDS
//
// Exit 0: every month is done (or its advertiser deactivated). Exit 2: the
// store failed. Exit 3: a transition did not apply although this process is
// the only writer. Exit 4: time is up (a guard against a leaked child).

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crash_invariants.hpp"
#include "persistence/store.hpp"

using namespace cdp;

namespace {

timestamp wall_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now());
}

/// The next step of one advertiser's backfill, appended to `batch`.
void plan_step(const std::vector<month_state>& months, const std::string& owner,
               std::mt19937_64& rng, timestamp now, std::vector<transition>& batch) {
  auto open = std::find_if(months.begin(), months.end(), [](const month_state& m) {
    return m.status != month_status::completed;
  });
  if (open == months.end())
    return;
  const auto& row = *open;
  bool last = std::next(open) == months.end();
  auto new_token = [&] { return static_cast<int64_t>(rng() >> 2) + 1; };
  auto claim = [&](year_month m) {
    claim_request r;
    r.advertiser_id = row.advertiser_id;
    r.month = m;
    r.owner = owner;
    r.lease_token = new_token();
    return r;
  };
  switch (row.status) {
    case month_status::pending:
      batch.push_back(claim(row.month));
      return;
    case month_status::failed:
      if (row.retry_count < row.max_retries)
        batch.push_back(claim(row.month));
      return;
    case month_status::completed: return;
    case month_status::running: break;
  }
  if (rng() % 4 != 0) {
    complete_request done;
    done.advertiser_id = row.advertiser_id;
    done.month = row.month;
    done.lease_token = row.lease_token;
    done.processed_records = crash::processed_for(row.lease_token);
    done.failed_records = crash::failed_for(row.lease_token);
    done.backfill_done = last;
    if (!last)
      done.next_cursor = row.month.next();
    batch.push_back(done);
    // The next month rides in the same transaction as this one's completion.
    if (!last)
      batch.push_back(claim(row.month.next()));
    return;
  }
  fail_request failed;
  failed.advertiser_id = row.advertiser_id;
  failed.month = row.month;
  failed.lease_token = row.lease_token;
  failed.error_message = crash::error_for(row.lease_token);
  if (row.retry_count >= row.max_retries)
    failed.deactivate_reason = crash::deactivation_for(row.month, row.lease_token);
  else
    failed.next_attempt_at = now;
  batch.push_back(failed);
}

/// One operator switch of `crash::toggled`, at a time after its last change.
status toggle(store& s) {
  auto who = s.get_advertiser(crash::toggled);
  if (!who)
    return who.error().code == errc::not_found ? ok : status{who.error()};
  auto now = std::max(wall_now(), who->updated_at + std::chrono::milliseconds{1});
  return s.set_active(crash::toggled, !who->active, "switched by the crash child", now,
                      {"crash-operator", "a switch", "crash-node"});
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: crash_child STORE_URL OWNER MAX_SECONDS\n";
    return 64;
  }
  const std::string owner = argv[2];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{std::stoi(argv[3])};
  auto opened = open_store(argv[1]);
  if (!opened) {
    std::cerr << "crash_child: " << opened.error().message << "\n";
    return 2;
  }
  auto& s = **opened;
  // Tells the test its kill may come now; then one dot per committed batch,
  // so the test can aim its kill among transactions however slow the machine.
  std::cout << "ready" << std::endl;
  std::mt19937_64 rng{std::random_device{}()};

  while (std::chrono::steady_clock::now() < deadline) {
    auto advertisers = s.list_advertisers(true);
    if (!advertisers) {
      std::cerr << "crash_child: " << advertisers.error().message << "\n";
      return 2;
    }
    std::vector<std::string> ids;
    for (const auto& a : *advertisers)
      ids.push_back(a.id);
    auto rows = s.list_months_for(ids);
    if (!rows) {
      std::cerr << "crash_child: " << rows.error().message << "\n";
      return 2;
    }
    std::map<std::string, std::vector<month_state>> by_advertiser;
    for (auto& row : *rows)
      by_advertiser[row.advertiser_id].push_back(std::move(row));

    // Each advertiser with work left contributes its next step; a random few
    // of them make one batch, so batches differ in size and mix.
    auto now = wall_now();
    std::vector<std::vector<transition>> steps;
    for (const auto& [id, months] : by_advertiser) {
      std::vector<transition> step;
      plan_step(months, owner, rng, now, step);
      if (!step.empty())
        steps.push_back(std::move(step));
    }
    if (steps.empty())
      return 0;
    std::shuffle(steps.begin(), steps.end(), rng);
    steps.resize(std::min<size_t>(steps.size(), 1 + rng() % 32));
    std::vector<transition> batch;
    for (auto& step : steps)
      batch.insert(batch.end(), step.begin(), step.end());
    auto outcomes = s.apply(batch, now);
    if (!outcomes) {
      std::cerr << "crash_child: " << outcomes.error().message << "\n";
      return 2;
    }
    for (const auto& outcome : *outcomes)
      if (!outcome.applied) {
        std::cerr << "crash_child: a transition did not apply: " << outcome.message << "\n";
        return 3;
      }
    if (auto switched = toggle(s); !switched) {
      std::cerr << "crash_child: " << switched.error().message << "\n";
      return 2;
    }
    std::cout << '.' << std::flush;
  }
  return 4;
}
