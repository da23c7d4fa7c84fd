#include "rsf/store/open.h"

#include "rsf/store/pg_store.h"
#include "rsf/store/sqlite_store.h"

namespace rsf::store {

bool IsPostgresUri(std::string_view spec) {
  return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& spec) {
  if (IsPostgresUri(spec)) return OpenPgStore(spec);
  return OpenSqliteStore(spec);
}

}  // namespace rsf::store
