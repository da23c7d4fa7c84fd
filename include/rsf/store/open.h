// include/rsf/store/open.h
//
// Opens the store a configuration names: "postgresql://..." or "postgres://..." is the shared
// PostgreSQL store (pg_store.h); anything else is the path of an embedded SQLite file
// (sqlite_store.h).
//
// Thread safety: a function; the store returned is safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "rsf/store/store.h"

namespace rsf::store {

bool IsPostgresUri(std::string_view spec);

// Opens the store `spec` names, with the errors of OpenSqliteStore or OpenPgStore.
Result<std::unique_ptr<Store>> OpenStore(const std::string& spec);

}  // namespace rsf::store
