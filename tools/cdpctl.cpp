// cdpctl: the admin console. Options and config.toml's admin.* keys say
// where the daemon is; one command, one answer, one exit status
// (0 ok, 1 refused by the daemon, 2 usage, 3 unreachable or timed out).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "actors/system_config.hpp"
#include "api/json.hpp"
#include "config/config.hpp"
#include "config/paths.hpp"
#include "console/client_inputs.hpp"
#include "console/commands.hpp"
#include "console/terminal.hpp"
#include "console/watch_view.hpp"
#include "domain/duration.hpp"
#include "tools/version.hpp"

namespace {

using namespace cdp::console;

constexpr int usage = static_cast<int>(exit_status::usage);

struct options {
  std::string config_path = "config.toml";
  bool config_given = false;
  std::string connect;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string token_file;
  std::string timeout = "5s";
  std::string output = "table";
};

int usage_error(const std::string& message) {
  std::cerr << "cdpctl: " << message << '\n';
  return usage;
}

int run(const options& opt, const command& cmd) {
  // No config.toml here is fine (a console on another host); one named with
  // --config must exist.
  std::error_code ec;
  auto path = opt.config_given || std::filesystem::exists(opt.config_path, ec) ? opt.config_path
                                                                               : std::string{};
  auto loaded = cdp::load_config(path, {}, {}, cdp::config_reader::client);
  if (!loaded.value) {
    for (const auto& e : loaded.errors)
      std::cerr << "cdpctl: config error: " << e << '\n';
    return usage;
  }
  const auto& cfg = *loaded.value;
  auto address = cdp::parse_listen_address(opt.connect.empty() ? cfg.admin.listen : opt.connect);
  if (!address)
    return usage_error("--connect: expected HOST:PORT such as 127.0.0.1:4242, got '"
                       + opt.connect + "'");
  if (address->port == 0)
    return usage_error("no admin port to connect to (admin.listen says port 0): use --connect");
  auto timeout = cdp::parse_duration(opt.timeout);
  if (!timeout || timeout->count() == 0)
    return usage_error("--timeout: expected a duration such as 5s or 500ms, got '" + opt.timeout
                       + "'");
  cdp::remote_settings remote{cfg.admin.heartbeat_interval, cfg.admin.connection_timeout,
                              opt.tls_cert.empty() ? cfg.admin.tls_cert : opt.tls_cert,
                              opt.tls_key.empty() ? cfg.admin.tls_key : opt.tls_key,
                              opt.tls_ca.empty() ? cfg.admin.tls_ca : opt.tls_ca};
  int tls_parts = !remote.tls_cert.empty() + !remote.tls_key.empty() + !remote.tls_ca.empty();
  if (tls_parts != 0 && tls_parts != 3)
    return usage_error("--tls-cert, --tls-key and --tls-ca go together");
  for (const auto& file : {remote.tls_cert, remote.tls_key, remote.tls_ca}) {
    auto problem = file.empty() ? std::nullopt : cdp::path_problem(file, cdp::path_use::read_file);
    if (problem)
      return usage_error("TLS file: " + *problem);
  }
  auto token = cfg.http.token;
  if (!opt.token_file.empty()) {
    auto read = read_token(opt.token_file);
    if (!read)
      return usage_error("--token-file: cannot read '" + opt.token_file + "'");
    token = *read;
  }

  auto shown = cmd;
  shown.watch.silence_limit = shown.watch.interval + *timeout;
  shown.import.part_timeout = std::max(shown.import.part_timeout, *timeout);
  cdp::system_config sys_cfg{2, remote};
  caf::actor_system sys{sys_cfg};
  session daemon{sys, {connectable(address->host), address->port, remote.tls()}, *timeout};
  auto hello = daemon.open();
  auto format = opt.output == "json" ? output_format::json : output_format::table;
  shown.watch.format = format;
  auto status = hello ? cdp::console::run(daemon, shown, token, format, std::cout, std::cerr)
                      : report(hello.error(), format, std::cout, std::cerr);
  if (daemon.connect_stuck()) {
    // CAF 0.17's middleman may be blocked in connect() for minutes; the
    // actor system would wait for it at its end.
    std::fflush(nullptr);
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(static_cast<int>(status));
  }
  return static_cast<int>(status);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"cdpctl - the admin console of cdpbatchd (CAF remote actors, mutual TLS)"};
  app.set_version_flag("--version", cdp::version_line("cdpctl"));
  app.require_subcommand(1);
  // Global options may come after the command too: cdpctl status --connect h:p.
  app.fallthrough();
  options opt;
  command cmd;
  app.add_option("-c,--config", opt.config_path,
                 "configuration file for the defaults below (default config.toml, if present)")
    ->each([&](const std::string&) { opt.config_given = true; });
  app.add_option("--connect", opt.connect, "the daemon's admin port (default admin.listen)")
    ->type_name("HOST:PORT");
  app.add_option("--tls-cert", opt.tls_cert, "this console's certificate (default admin.tls.cert)");
  app.add_option("--tls-key", opt.tls_key, "its private key (default admin.tls.key)");
  app.add_option("--tls-ca", opt.tls_ca, "the CA that signed the daemon's (default admin.tls.ca)");
  app.add_option("--token-file", opt.token_file,
                 "file holding the API token for changes (default CDPBATCH_API_TOKEN, http.token)");
  app.add_option("--timeout", opt.timeout, "longest wait for the connection and each answer")
    ->default_str("5s");
  app.add_option("-o,--output", opt.output, "table (for people) or json (the REST API's fields)")
    ->check(CLI::IsMember({"table", "json"}))
    ->default_str("table");

  auto verb_of = [&](CLI::App* sub, verb v) {
    sub->callback([&cmd, v] { cmd.what = v; });
    return sub;
  };
  auto with_id = [&](const char* name, const char* help, verb v) {
    auto sub = verb_of(app.add_subcommand(name, help), v);
    sub->add_option("ADV", cmd.advertiser, "advertiser id")->required();
    return sub;
  };
  verb_of(app.add_subcommand("status", "the whole system at a glance"), verb::status);
  auto get = app.add_subcommand("get", "list things");
  get->require_subcommand(1);
  get->fallthrough();
  auto list = verb_of(get->add_subcommand("advertisers", "advertisers with their lifecycle"),
                      verb::get_advertisers);
  list->add_option("--lifecycle", cmd.query.lifecycle,
                   "NEW, BACKFILLING, LIVE, DEGRADED or DEACTIVATED");
  list->add_option("--active", cmd.query.active, "true or false");
  list->add_option("--limit", cmd.query.limit, "advertisers per page (1-1000, default 100)");
  list->add_option("--after", cmd.query.after, "the page after this advertiser id");
  verb_of(get->add_subcommand("nodes", "the daemons sharing the store: heartbeat age, advertisers "
                                      "owned, running jobs"),
          verb::get_nodes);
  with_id("describe", "one advertiser: progress, lifecycle, ETA, why, latest attempts and actions",
          verb::describe);
  with_id("progress", "one advertiser's backfill progress", verb::progress);
  with_id("states", "one advertiser's months", verb::states);
  verb_of(app.add_subcommand("running", "jobs running now"), verb::running);
  with_id("attempts", "one month's attempt history", verb::attempts)
    ->add_option("MONTH", cmd.month, "YYYY-MM")
    ->required();
  auto create = with_id("create", "add an advertiser (NEW backfills, EXISTING stays current)",
                        verb::create);
  create->add_option("--name", cmd.name, "its display name")->required();
  create->add_flag("--existing", cmd.existing, "an EXISTING advertiser: no backfill");
  auto trigger = with_id("trigger", "run what is due for one advertiser now", verb::trigger);
  auto retry = with_id("retry", "retry one month from scratch (its retries reset)", verb::retry);
  retry->add_option("MONTH", cmd.month, "YYYY-MM")->required();
  auto activate = with_id("activate", "resume an advertiser at its stored cursor", verb::activate);
  auto deactivate = with_id("deactivate", "stop new work for an advertiser (a running job "
                                          "finishes); needs --reason",
                            verb::deactivate);
  auto import_cmd = verb_of(app.add_subcommand("import", "bulk import of advertisers from a CSV "
                                                    "(advertiserId,type,active) or JSON lines "
                                                    "file; ids that exist are skipped"),
                        verb::import_file);
  import_cmd->add_option("FILE", cmd.import.file, "the file")->required();
  import_cmd->add_option("--type", cmd.import.default_type,
                     "the type of rows that name none (NEW or EXISTING)")
    ->check(CLI::IsMember({"NEW", "EXISTING"}));
  import_cmd->add_flag("--dry-run", cmd.import.dry_run,
                   "check every row and report what would be done; write nothing");
  for (auto* change : {create, trigger, retry, activate, import_cmd})
    change->add_option("--reason", cmd.reason, "why, for the audit trail");
  deactivate->add_option("--reason", cmd.reason, "why, for the audit trail")->required();
  auto audit = verb_of(app.add_subcommand("audit", "who changed what and why, newest first"),
                       verb::audit);
  audit->add_option("--advertiser", cmd.audit.advertiser_id, "only this advertiser's actions");
  audit->add_option("--since", cmd.audit.since, "only the last 30m, 1h, 7d, ...");
  audit->add_option("--limit", cmd.audit.limit, "actions per page (1-1000, default 100)");
  audit->add_option("--next", cmd.audit.next, "the page after a previous one's --next");
  verb_of(app.add_subcommand("health", "store, director, supervisor and runners (exit 1 if DOWN)"),
          verb::health);
  auto watch = verb_of(app.add_subcommand("watch", "live view: running jobs, backfills, failures"),
                       verb::watch);
  std::string interval = "1s";
  watch->add_flag("--once", cmd.watch.once, "print one frame and exit");
  watch->add_option("--interval", interval, "time between frames")->default_str("1s");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : usage;
  }
  auto every = cdp::parse_duration(interval);
  if (!every || every->count() == 0)
    return usage_error("--interval: expected a duration such as 1s or 500ms, got '" + interval
                       + "'");
  cmd.watch.interval = *every;
  bool json = opt.output == "json";
  cmd.watch.full_screen = stdout_is_terminal() && !cmd.watch.once && !json;
  if (json && cmd.watch.once)
    cmd.watch.print = [](const cdp::watch_frame& f) { return cdp::api::to_json(f).dump(2) + "\n"; };
  else if (json)  // one frame a line (JSON Lines)
    cmd.watch.print = [](const cdp::watch_frame& f) { return cdp::api::to_json(f).dump() + "\n"; };
  else if (stdout_is_terminal() && cmd.watch.once)
    cmd.watch.print = [](const cdp::watch_frame& f) {
      return render_screen(f, {0, terminal_size().cols}, "");
    };
  else
    cmd.watch.print = [](const cdp::watch_frame& f) { return render_lines(f) + "\n"; };
  return run(opt, cmd);
}
