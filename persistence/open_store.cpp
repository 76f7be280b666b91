#include "persistence/postgres_store.hpp"
#include "persistence/sqlite_store.hpp"
#include "persistence/store.hpp"

namespace cdp {

bool store_is_shared(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

expected<std::unique_ptr<store>> open_store(const std::string& url,
                                            const store_options& options) {
  constexpr std::string_view sqlite_scheme = "sqlite://";
  if (url.rfind(sqlite_scheme, 0) == 0 && url.size() > sqlite_scheme.size())
    return open_sqlite_store(url.substr(sqlite_scheme.size()), options);
  if (store_is_shared(url))
    return open_postgres_store(url, options);
  return make_failure(errc::invalid_argument,
                      "store.url: expected sqlite://PATH or postgresql://..., got '" + url
                        + "'");
}

} // namespace cdp
