// include/rsf/store/pg_store.h
//
// The shared Store: PostgreSQL (13 or later), for several gateway replicas on one or more
// machines. Tables rsf_documents, rsf_counters and rsf_schema_migrations in the connection's
// search_path (so one database can hold several rsf deployments, one schema each). Migrations
// run under an advisory lock, so replicas starting together apply each one once; a database
// written by a newer rsf is refused.
//
//   - Put/Get/Delete/List/Increment are single statements (autocommit) on a pooled connection;
//     Transact runs on one connection (nested calls are savepoints).
//   - Notify is pg_notify on the channel "rsf" (transactional: sent at commit); Subscribe holds
//     one LISTEN connection, reconnects on its own after a failure and then calls fn("").
//   - TryAcquire takes a session advisory lock on a connection of its own; the lease is lost
//     with that connection (the server restarted, or this process died). A try that does not
//     get the lock keeps its connection (which then holds nothing) for the next try.
//
// Connection: a libpq URI ("postgresql://user@host:5432/db?sslmode=verify-full"). Give the
// password through PGPASSWORD or a ~/.pgpass file, never in the URI: rsf logs the URI with
// any password replaced by "***", but configuration files are read by many.
//
// Errors: kUnavailable when the server cannot be reached or the connection broke mid-statement
// (the statement may or may not have been applied; Put with expected_version and Transact are
// safe to retry, Increment is not); kResourceExhausted when the server's disk is full;
// kInvalidArgument for keys the server refuses (not UTF-8, NUL bytes).
//
// Thread safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "rsf/store/store.h"

namespace rsf::store {

struct PgStoreOptions {
  // Connections kept for concurrent callers (besides LISTEN and leases). Default: 4.
  int pool_size = 4;
  // How long connecting may take before kUnavailable. Default: 5 s.
  std::chrono::seconds connect_timeout{5};
  // Time limit on each statement (server side). Default: 10 s.
  std::chrono::milliseconds statement_timeout{10000};
};

// Connects, checks the server and applies pending migrations. kUnavailable when the server
// cannot be reached (with libpq's reason); kFailedPrecondition for a schema newer than this
// build; kInvalidArgument for a malformed URI.
Result<std::unique_ptr<Store>> OpenPgStore(const std::string& uri, const PgStoreOptions& options = {});

// The highest schema version this build knows.
int PgStoreLatestSchema();

// `uri` with any password replaced by "***", for logs and error messages.
std::string RedactUri(std::string_view uri);

}  // namespace rsf::store
