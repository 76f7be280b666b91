#include "console/output.hpp"

#include <ostream>

#include "api/json.hpp"

namespace cdp::console {

exit_status report(const console_error& e, output_format format, std::ostream& out,
                   std::ostream& err) {
  err << "cdpctl: " << e.message << '\n';
  if (format == output_format::json) {
    auto word = e.code ? api::http_error_of(*e.code).error : std::string_view{"unreachable"};
    out << api::error_body(word, e.message).dump(2) << '\n';
  }
  return e.status;
}

} // namespace cdp::console
