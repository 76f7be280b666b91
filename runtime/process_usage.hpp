#pragma once

namespace cdp {

/// This process's resident memory now, in MiB.
double rss_mb();
/// The most this process has held resident, in MiB.
double peak_rss_mb();
/// User plus system CPU time this process has used, in seconds.
double cpu_seconds();

} // namespace cdp
