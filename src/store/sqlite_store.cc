#include "rsf/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "rsf/common/env.h"
#include "store/migration.h"
#include "store/notify_hub.h"

namespace rsf::store {
namespace {

using internal::Migration;

constexpr Migration kMigrations[] = {
    {1, "documents",
     "CREATE TABLE documents ("
     "  collection TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
     "  version INTEGER NOT NULL, updated_at TEXT NOT NULL,"
     "  PRIMARY KEY (collection, key)) WITHOUT ROWID;"},
    {2, "counters",
     "CREATE TABLE counters ("
     "  collection TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,"
     "  PRIMARY KEY (collection, key)) WITHOUT ROWID;"},
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  // An empty view may have a null data pointer, which SQLite would bind as NULL.
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Status SqliteError(sqlite3* db, std::string_view what) {
  int code = sqlite3_errcode(db);
  std::string msg = fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db));
  if (code == SQLITE_FULL) return ResourceExhaustedError(msg);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return UnavailableError(msg);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return DataLossError(msg);
  return InternalError(msg);
}

Status CheckName(std::string_view collection, std::string_view key) {
  if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
  if (key.empty()) return InvalidArgumentError("store: key is empty");
  return OkStatus();
}

class FileLease final : public Lease {
 public:
  explicit FileLease(std::unique_ptr<FileLock> lock) : lock_(std::move(lock)) {}
  Status Check() override { return OkStatus(); }  // a held flock is not lost while we live

 private:
  std::unique_ptr<FileLock> lock_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return SqliteError(db_, msg);
    }
    return OkStatus();
  }

  Status Migrate() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    RSF_RETURN_IF_ERROR(Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
        "NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"));
    int current = CurrentVersion();
    if (current > SqliteStoreLatestSchema()) {
      return FailedPreconditionError(fmt::format(
          "store schema version {} is newer than this rsf knows ({}); upgrade rsf", current,
          SqliteStoreLatestSchema()));
    }
    for (const auto& m : kMigrations) {
      if (m.version <= current) continue;
      RSF_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
      Status s = Exec(m.sql);
      if (s.ok()) {
        Stmt st(db_, "INSERT INTO schema_migrations(version, name) VALUES (?, ?)");
        st.Bind(1, int64_t{m.version}).Bind(2, m.name);
        if (st.Step() != SQLITE_DONE) s = SqliteError(db_, "recording a migration");
      }
      if (!s.ok()) {
        Exec("ROLLBACK").IgnoreError();  // the migration's own error is the one to report
        return s.WithContext(fmt::format("migration {} ({})", m.version, m.name));
      }
      RSF_RETURN_IF_ERROR(Exec("COMMIT"));
    }
    return OkStatus();
  }

  Result<std::optional<StoredValue>> Get(std::string_view collection,
                                         std::string_view key) override {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt st(db_, "SELECT value, version FROM documents WHERE collection = ? AND key = ?");
    st.Bind(1, collection).Bind(2, key);
    int rc = st.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredValue>();
    if (rc != SQLITE_ROW) return SqliteError(db_, "get");
    return std::optional<StoredValue>(StoredValue{std::string(key), st.Text(0), st.Int(1)});
  }

  Result<int64_t> Put(std::string_view collection, std::string_view key, std::string_view value,
                      std::optional<int64_t> expected_version) override {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    int64_t version = 0;
    RSF_RETURN_IF_ERROR(Transact([&](Store&) -> Status {
      Stmt get(db_, "SELECT version FROM documents WHERE collection = ? AND key = ?");
      get.Bind(1, collection).Bind(2, key);
      int rc = get.Step();
      int64_t current = 0;
      if (rc == SQLITE_ROW) {
        current = get.Int(0);
      } else if (rc != SQLITE_DONE) {
        return SqliteError(db_, "put");
      }
      if (expected_version && *expected_version != current) {
        return FailedPreconditionError(fmt::format(
            "store: {}/{} is at version {}, expected {}", collection, key, current, *expected_version));
      }
      Stmt put(db_,
               "INSERT INTO documents(collection, key, value, version, updated_at) "
               "VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now')) "
               "ON CONFLICT(collection, key) DO UPDATE SET value = excluded.value, "
               "version = excluded.version, updated_at = excluded.updated_at");
      version = current + 1;
      put.Bind(1, collection).Bind(2, key).BindBlob(3, value).Bind(4, version);
      if (put.Step() != SQLITE_DONE) return SqliteError(db_, "put");
      return OkStatus();
    }));
    return version;
  }

  Status Delete(std::string_view collection, std::string_view key) override {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt st(db_, "DELETE FROM documents WHERE collection = ? AND key = ?");
    st.Bind(1, collection).Bind(2, key);
    if (st.Step() != SQLITE_DONE) return SqliteError(db_, "delete");
    if (sqlite3_changes(db_) == 0) {
      return NotFoundError(fmt::format("store: {}/{} does not exist", collection, key));
    }
    return OkStatus();
  }

  Result<std::vector<StoredValue>> List(std::string_view collection, std::string_view prefix,
                                        size_t limit, std::string_view after) override {
    if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
    std::lock_guard<std::recursive_mutex> lock(mu_);
    // Prefix match by comparing the key's first bytes, exact for any key bytes.
    Stmt st(db_,
            "SELECT key, value, version FROM documents WHERE collection = ? AND key > ? AND "
            "substr(key, 1, ?) = ? ORDER BY key LIMIT ?");
    st.Bind(1, collection)
        .Bind(2, after)
        .Bind(3, static_cast<int64_t>(prefix.size()))
        .Bind(4, prefix)
        .Bind(5, static_cast<int64_t>(limit));
    std::vector<StoredValue> out;
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Text(1), st.Int(2)});
    if (rc != SQLITE_DONE) return SqliteError(db_, "list");
    return out;
  }

  Result<int64_t> Increment(std::string_view collection, std::string_view key,
                            int64_t delta) override {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt st(db_,
            "INSERT INTO counters(collection, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT(collection, key) DO UPDATE SET value = value + excluded.value "
            "RETURNING value");
    st.Bind(1, collection).Bind(2, key).Bind(3, delta);
    if (st.Step() != SQLITE_ROW) return SqliteError(db_, "increment");
    int64_t v = st.Int(0);
    if (st.Step() != SQLITE_DONE) return SqliteError(db_, "increment");
    return v;
  }

  Result<std::vector<int64_t>> IncrementMany(std::string_view collection,
                                             std::span<const CounterDelta> deltas) override {
    for (const auto& d : deltas) RSF_RETURN_IF_ERROR(CheckName(collection, d.key));
    // Sum repeated keys, update in key order, answer in the caller's order.
    std::map<std::string_view, int64_t> sums;
    for (const auto& d : deltas) sums[d.key] += d.delta;
    std::map<std::string_view, int64_t> values;
    RSF_RETURN_IF_ERROR(Transact([&](Store&) -> Status {
      for (const auto& [key, delta] : sums) {
        RSF_ASSIGN_OR_RETURN(values[key], Increment(collection, key, delta));
      }
      return OkStatus();
    }));
    std::vector<int64_t> out;
    out.reserve(deltas.size());
    for (const auto& d : deltas) out.push_back(values[d.key]);
    return out;
  }

  Status DeleteCountersBefore(std::string_view collection, std::string_view key) override {
    if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
    std::lock_guard<std::recursive_mutex> lock(mu_);
    Stmt st(db_, "DELETE FROM counters WHERE collection = ? AND key < ?");
    st.Bind(1, collection).Bind(2, key);
    if (st.Step() != SQLITE_DONE) return SqliteError(db_, "delete counters");
    return OkStatus();
  }

  Status Notify(std::string_view channel) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (depth_ > 0) {
      pending_notes_.emplace_back(channel);  // delivered when the transaction commits
    } else {
      hub_.Post(channel);
    }
    return OkStatus();
  }

  Result<std::unique_ptr<Subscription>> Subscribe(std::function<void(std::string_view)> fn) override {
    return hub_.Add(std::move(fn));
  }

  Result<std::unique_ptr<Lease>> TryAcquire(std::string_view name) override {
    std::string file = path_ + ".lease-";
    for (char c : name) file += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    auto lock = Env::Default().LockFile(file);
    if (!lock.ok() && lock.status().code() == StatusCode::kUnavailable) return std::unique_ptr<Lease>();
    RSF_RETURN_IF_ERROR(lock.status());
    return std::unique_ptr<Lease>(std::make_unique<FileLease>(std::move(*lock)));
  }

  bool distributed() const override { return false; }

  Status Transact(const std::function<Status(Store&)>& fn) override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const bool outer = depth_ == 0;
    std::string savepoint = fmt::format("rsf_sp{}", depth_);
    RSF_RETURN_IF_ERROR(Exec(outer ? "BEGIN IMMEDIATE" : ("SAVEPOINT " + savepoint).c_str()));
    ++depth_;
    Status s = fn(*this);
    --depth_;
    if (s.ok()) {
      s = Exec(outer ? "COMMIT" : ("RELEASE " + savepoint).c_str());
      if (s.ok()) {
        if (outer) {
          for (const auto& c : pending_notes_) hub_.Post(c);
          pending_notes_.clear();
        }
        return s;
      }
    }
    if (outer) {
      pending_notes_.clear();
      Exec("ROLLBACK").IgnoreError();  // report the original failure
    } else {
      Exec(("ROLLBACK TO " + savepoint + "; RELEASE " + savepoint).c_str()).IgnoreError();
    }
    return s;
  }

  int SchemaVersion() override {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    return CurrentVersion();
  }

 private:
  int CurrentVersion() {
    Stmt st(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!st.ok() || st.Step() != SQLITE_ROW) return 0;
    return static_cast<int>(st.Int(0));
  }

  sqlite3* db_;
  const std::string path_;
  std::recursive_mutex mu_;
  int depth_ = 0;
  std::vector<std::string> pending_notes_;  // Notify() inside a transaction
  internal::NotifyHub hub_;
};

}  // namespace

int SqliteStoreLatestSchema() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteStoreOptions& options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return InternalError(fmt::format("sqlite: opening {}: {}", path, msg));
  }
  auto store = std::make_unique<SqliteStore>(db, path);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  Status s = store->Exec("PRAGMA journal_mode=WAL");
  if (s.ok()) s = store->Exec("PRAGMA synchronous=FULL");
  if (s.ok()) s = store->Exec("PRAGMA foreign_keys=ON");
  if (!s.ok()) {
    if (s.code() == StatusCode::kDataLoss || s.message().find("not a database") != std::string::npos) {
      return DataLossError(path + " is not an rsf store (SQLite): " + s.message());
    }
    return s.WithContext(path);
  }
  RSF_RETURN_IF_ERROR(store->Migrate().WithContext(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace rsf::store
