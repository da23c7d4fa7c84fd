// include/rsf/store/sqlite_store.h
//
// The embedded Store: one SQLite file in WAL mode with synchronous=FULL, so a committed
// write survives a crash or power loss. The schema is created and upgraded by numbered
// migrations recorded in the table schema_migrations; a file written by a newer rsf (a higher
// schema version than this build knows) is refused rather than misread.
//
// Thread safety: safe for concurrent use (one connection, serialised by a mutex; other
// processes may open the same file, SQLite's locking applies with busy_timeout).
#pragma once

#include <memory>
#include <string>

#include "rsf/store/store.h"

namespace rsf::store {

struct SqliteStoreOptions {
  // How long to wait for another process's lock. Default: 5000 ms.
  int busy_timeout_ms = 5000;
};

// Opens (creating if absent) the store at `path` and applies pending migrations.
// kFailedPrecondition if the file's schema is newer than this build; kDataLoss if the file is
// not a SQLite database or fails its integrity check; kInternal for other SQLite errors.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteStoreOptions& options = {});

// The highest schema version this build knows.
int SqliteStoreLatestSchema();

}  // namespace rsf::store
