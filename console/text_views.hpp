#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "actors/type_ids.hpp"
#include "domain/views.hpp"

namespace cdp::console {

// The daemon's answers as people read them: aligned tables and labelled
// fields, times in UTC.

/// `2024-12-01 08:30:00`, or "-" when absent.
std::string when(std::optional<timestamp> t);

/// `4m12s`, `2h05m`, `3d04h`: a span at a glance.
std::string span(std::chrono::milliseconds d);

/// `0.4s`, `12.0s` under a minute, then as `span`: how long ago a node beat.
std::string heartbeat_age(std::chrono::milliseconds d);

std::string render(const system_status& s);
std::string render(const advertiser_page& page);
std::string render(const advertiser_detail& d);
std::string render(const audit_page& page);
std::string render(const advertiser_progress& p);
std::string render(const month_list& months);
std::string render(const month_state& m);
std::string render(const running_job_list& jobs);
std::string render(const attempt_list& attempts);
std::string render(const health_report& h);
std::string render(const node_list& nodes);

} // namespace cdp::console
