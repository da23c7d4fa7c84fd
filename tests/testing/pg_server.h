// tests/testing/pg_server.h: a real PostgreSQL server from Debian's packages for tests, on a
// Unix socket in a fresh directory (no TCP port to collide on), initialised with trust
// authentication and stopped when the test binary exits. Run as root, the server runs as the
// `postgres` user (or `nobody`), as PostgreSQL refuses root.
//
// Tests call PgServer::Shared() and skip (GTEST_SKIP) with reason() when it is not ok(): the
// server binaries are absent (apt-get install postgresql) or would not start.
#pragma once

#include <string>
#include <vector>

namespace rsf::testing {

class PgServer {
 public:
  // The binary's server, started on first use.
  static PgServer& Shared();

  bool ok() const { return ok_; }
  const std::string& reason() const { return reason_; }
  // A URI for database `db` as the superuser.
  std::string Uri(const std::string& db = "postgres") const;
  // Creates a fresh, empty database and returns its URI ("" and reason() on failure).
  std::string CreateDatabase();
  // Stops the server: "fast" (clients disconnected, clean shutdown) or "immediate" (as if it
  // crashed). Returns false with reason() set on failure.
  bool Stop(const std::string& mode = "fast");
  bool Start();
  // Runs SQL through psql in `db`; returns its output, or "" and sets reason() on failure.
  std::string Sql(const std::string& sql, const std::string& db = "postgres");

  ~PgServer();

 private:
  PgServer();
  std::vector<std::string> AsServerUser(std::vector<std::string> argv) const;

  bool ok_ = false;
  std::string reason_;
  std::string bindir_, dir_, user_;
  int databases_ = 0;
};

}  // namespace rsf::testing
