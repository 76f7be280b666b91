#include "actors/store_link.hpp"

namespace cdp {

expected<store*> store_link::get() {
  if (db_)
    return db_.get();
  auto opened = open_store(url_, options_);
  if (!opened)
    return std::move(opened).error();
  db_ = std::move(*opened);
  return db_.get();
}

} // namespace cdp
