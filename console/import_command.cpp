#include "console/import_command.hpp"

#include <fstream>
#include <ostream>

#include "api/json.hpp"
#include "console/table.hpp"
#include "domain/import_run.hpp"

namespace cdp::console {

namespace {

/// Bytes read from the file at a time.
constexpr size_t read_bytes = 64 * 1024;

/// Reads `path` through `eat` in pieces; false when it cannot be read.
template <class Eat>
bool read_file(const std::string& path, Eat eat) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return false;
  std::string buffer(read_bytes, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto n = static_cast<size_t>(in.gcount());
    if (n > 0 && !eat(std::string_view{buffer.data(), n}))
      return true;
  }
  return !in.bad();
}

} // namespace

std::string render(const import_report& r) {
  fields f;
  f.add("rows", std::to_string(r.rows));
  f.add(r.dry_run ? "would create" : "created", std::to_string(r.created));
  f.add("skipped", std::to_string(r.skipped) + " (exist with the same type)");
  f.add("refused", std::to_string(r.refused));
  if (r.dry_run)
    f.add("dry run", "yes, nothing was written");
  auto out = f.render();
  if (r.first_refused.empty())
    return out;
  out += "\nrefused rows";
  if (r.refused > static_cast<int64_t>(r.first_refused.size()))
    out += " (the first " + std::to_string(r.first_refused.size()) + " of "
           + std::to_string(r.refused) + ")";
  out += "\n";
  table t{{"ROW", "ADVERTISER", "REASON"}};
  t.right(0);
  for (const auto& x : r.first_refused)
    t.add({std::to_string(x.row), x.advertiser_id, x.reason});
  return out + t.render();
}

exit_status run_import(session& daemon, const import_options& opt, const operator_call& who,
                       output_format format, std::ostream& out, std::ostream& err) {
  import_parser check;
  bool readable = read_file(opt.file, [&](std::string_view bytes) {
    check.feed(bytes);
    check.take_lines();
    check.take_refusals();
    return !check.file_error();
  });
  if (!readable)
    return report({exit_status::usage, "cannot read '" + opt.file + "'"}, format, out, err);
  if (!check.file_error())
    check.finish();
  if (check.file_error())
    return report({exit_status::refused,
                   opt.file + ": the file is refused, nothing was imported: "
                     + check.file_error()->message,
                   errc::invalid_argument},
                  format, out, err);

  import_run run{opt.default_type, opt.dry_run};
  std::optional<console_error> stopped;
  int64_t stopped_at = 0;
  auto send_all = [&](std::vector<import_batch> parts) {
    for (auto& part : parts) {
      if (stopped)
        return false;
      auto first = part.lines.front().row;
      auto answer = daemon.ask_within<import_report>(opt.part_timeout, import_atom_v, who,
                                                     std::move(part));
      if (!answer) {
        stopped = answer.error();
        stopped_at = first;
        return false;
      }
      run.add(*answer);
    }
    return true;
  };
  readable = read_file(opt.file, [&](std::string_view bytes) { return send_all(run.feed(bytes)); });
  if (!readable && !stopped)
    return report({exit_status::usage, "cannot read '" + opt.file + "' again"}, format, out, err);
  if (!stopped)
    send_all(run.finish());
  auto whole = run.report();
  if (stopped) {
    // What was done stays done: say so, and where to look.
    stopped->message = "the import stopped at row " + std::to_string(stopped_at) + ": "
                       + stopped->message
                       + "; the rows before it are imported, importing the file again skips them";
    if (format == output_format::json) {
      auto http = api::http_error_of(stopped->code.value_or(errc::timeout));
      auto body = api::error_body(http.error, stopped->message);
      body["stoppedAtRow"] = stopped_at;
      body["report"] = api::to_json(whole);
      out << body.dump(2) << '\n';
    } else {
      out << render(whole);
    }
    err << "cdpctl: " << stopped->message << '\n';
    return stopped->status;
  }
  if (format == output_format::json)
    out << api::to_json(whole).dump(2) << '\n';
  else
    out << render(whole);
  return exit_status::ok;
}

} // namespace cdp::console
