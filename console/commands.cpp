#include "console/commands.hpp"

#include <ostream>

#include "api/json.hpp"
#include "console/text_views.hpp"

namespace cdp::console {

namespace {

/// Prints an answer, or the reason there is none.
template <class T>
exit_status print(const reply<T>& answer, output_format format, std::ostream& out,
                  std::ostream& err) {
  if (!answer)
    return report(answer.error(), format, out, err);
  if (format == output_format::json)
    out << api::to_json(*answer).dump(2) << '\n';
  else
    out << render(*answer);
  return exit_status::ok;
}

} // namespace

exit_status run(session& daemon, const command& cmd, const std::string& token,
                output_format format, std::ostream& out, std::ostream& err) {
  const auto& id = cmd.advertiser;
  operator_call who{token, cmd.reason};
  auto show = [&](const auto& answer) { return print(answer, format, out, err); };
  switch (cmd.what) {
    case verb::status:
      return show(daemon.ask<system_status>(status_atom_v));
    case verb::get_advertisers:
      return show(daemon.ask<advertiser_page>(list_atom_v, cmd.query));
    case verb::get_nodes:
      return show(daemon.ask<node_list>(nodes_atom_v));
    case verb::describe:
      return show(daemon.ask<advertiser_detail>(describe_atom_v, id));
    case verb::progress:
      return show(daemon.ask<advertiser_progress>(progress_atom_v, id));
    case verb::states:
      return show(daemon.ask<month_list>(months_atom_v, id));
    case verb::running:
      return show(daemon.ask<running_job_list>(running_atom_v));
    case verb::attempts:
      return show(daemon.ask<attempt_list>(attempts_atom_v, id, cmd.month));
    case verb::create:
      return show(daemon.ask<advertiser_progress>(
                     create_atom_v, who,
                     advertiser_request{id, cmd.name, cmd.existing ? "EXISTING" : "NEW"}));
    case verb::trigger:
      return show(daemon.ask<advertiser_progress>(trigger_atom_v, who, id));
    case verb::retry:
      return show(daemon.ask<month_state>(retry_atom_v, who, id, cmd.month));
    case verb::activate:
      return show(daemon.ask<advertiser_progress>(activate_atom_v, who, id));
    case verb::deactivate:
      return show(daemon.ask<advertiser_progress>(deactivate_atom_v, who, id));
    case verb::health: {
      auto health = daemon.ask<health_report>(health_atom_v);
      auto status = show(health);
      return status == exit_status::ok && !health->up ? exit_status::refused : status;
    }
    case verb::watch:
      return run_watch(daemon, cmd.watch, out, err);
    case verb::import_file:
      return run_import(daemon, cmd.import, who, format, out, err);
    case verb::audit:
      return show(daemon.ask<audit_page>(audit_atom_v, cmd.audit));
  }
  return exit_status::usage;
}

} // namespace cdp::console
