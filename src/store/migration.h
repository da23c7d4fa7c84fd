// src/store/migration.h — a numbered schema change, shared by the SQLite and PostgreSQL stores.
// Each store keeps its list append only: a released migration is never edited, a change is a
// new migration.
#pragma once

namespace rsf::store::internal {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

}  // namespace rsf::store::internal
