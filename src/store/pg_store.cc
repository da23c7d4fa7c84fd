#include "rsf/store/pg_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "rsf/common/sha256.h"
#include "store/migration.h"
#include "store/notify_hub.h"

namespace rsf::store {
namespace {

using internal::Migration;

constexpr Migration kMigrations[] = {
    {1, "documents",
     "CREATE TABLE rsf_documents ("
     "  collection text COLLATE \"C\" NOT NULL, key text COLLATE \"C\" NOT NULL,"
     "  value bytea NOT NULL, version bigint NOT NULL,"
     "  updated_at timestamptz NOT NULL DEFAULT now(),"
     "  PRIMARY KEY (collection, key))"},
    {2, "counters",
     "CREATE TABLE rsf_counters ("
     "  collection text COLLATE \"C\" NOT NULL, key text COLLATE \"C\" NOT NULL,"
     "  value bigint NOT NULL, PRIMARY KEY (collection, key))"},
};

constexpr char kChannel[] = "rsf";
// The advisory lock that serialises migrations (an arbitrary constant: "rsf-migr").
constexpr int64_t kMigrationLock = 0x7273662d6d696772;

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

Status PgError(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string detail = res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  std::string msg = fmt::format("postgres: {}: {}", what, detail);
  if (PQstatus(conn) != CONNECTION_OK || !state) return UnavailableError(msg);
  std::string_view s(state);
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" || s == "40001" || s == "40P01" ||
      s == "55P03" || s == "57014") {
    return UnavailableError(msg);  // connection, shutdown, serialisation, lock or time-out
  }
  if (s.starts_with("53")) return ResourceExhaustedError(msg);  // disk full, out of memory
  if (s.starts_with("22")) return InvalidArgumentError(msg);    // data exceptions: bad encoding
  return InternalError(msg);
}

Status CheckName(std::string_view collection, std::string_view key) {
  if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
  if (key.empty()) return InvalidArgumentError("store: key is empty");
  return OkStatus();
}

// One statement's parameters: text, except where marked binary (bytea values).
class Params {
 public:
  Params& Text(std::string_view v) { return Add(std::string(v), 0); }
  Params& Int(int64_t v) { return Add(std::to_string(v), 0); }
  Params& Binary(std::string_view v) { return Add(std::string(v), 1); }
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() {
    ptrs_.clear();
    for (const auto& v : values_) ptrs_.push_back(v.data());
    return ptrs_.data();
  }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  Params& Add(std::string v, int format) {
    lengths_.push_back(static_cast<int>(v.size()));
    formats_.push_back(format);
    values_.push_back(std::move(v));
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<const char*> ptrs_;
  std::vector<int> lengths_, formats_;
};

// Binary-format result columns.
std::string Bytes(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}
int64_t Int8(const PGresult* r, int row, int col) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

// A text[] literal of `items`, quoted.
std::string TextArray(const std::vector<std::string_view>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Result<PGconn*> Connect(const std::string& uri, const PgStoreOptions& o) {
  const std::string timeout = std::to_string(std::max<int64_t>(1, o.connect_timeout.count()));
  const std::string options = fmt::format("-c statement_timeout={}", o.statement_timeout.count());
  const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
  const char* values[] = {uri.c_str(), timeout.c_str(), options.c_str(), "rsf", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return UnavailableError("postgres: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (msg.find("invalid URI") != std::string::npos || msg.find("invalid connection option") != std::string::npos ||
        msg.find("missing \"=\"") != std::string::npos) {
      return InvalidArgumentError(fmt::format("postgres: {}: {}", RedactUri(uri), msg));
    }
    return UnavailableError(fmt::format("postgres: cannot connect to {}: {}", RedactUri(uri), msg));
  }
  // Server notices and warnings are not ours to print; errors come back as Status.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return conn;
}

// Runs one statement with binary results. `what` names it in errors.
Result<ResultPtr> Run(PGconn* conn, const char* sql, Params& p, std::string_view what) {
  ResultPtr r(PQexecParams(conn, sql, p.size(), nullptr, p.values(), p.lengths(), p.formats(), 1), &PQclear);
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, r.get(), what);
  return r;
}

Status Exec(PGconn* conn, const char* sql, std::string_view what) {
  ResultPtr r(PQexec(conn, sql), &PQclear);
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(conn, r.get(), what);
  return OkStatus();
}

int64_t LockKey(std::string_view name) {
  const Digest d = Sha256Of(std::string("rsf.lease/") + std::string(name));
  int64_t v = 0;
  for (int i = 0; i < 8; ++i) v = static_cast<int64_t>((static_cast<uint64_t>(v) << 8) | d[i]);
  return v;
}

// The operations on one connection, shared by the pooled store and its transactions.
class Ops {
 public:
  static Result<std::optional<StoredValue>> Get(PGconn* c, std::string_view collection, std::string_view key) {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    Params p;
    p.Text(collection).Text(key);
    RSF_ASSIGN_OR_RETURN(auto r, Run(c, "SELECT value, version FROM rsf_documents WHERE collection = $1 AND key = $2",
                                     p, "get"));
    if (PQntuples(r.get()) == 0) return std::optional<StoredValue>();
    return std::optional<StoredValue>(StoredValue{std::string(key), Bytes(r.get(), 0, 0), Int8(r.get(), 0, 1)});
  }

  static Result<int64_t> Put(PGconn* c, std::string_view collection, std::string_view key, std::string_view value,
                             std::optional<int64_t> expected) {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    Params p;
    p.Text(collection).Text(key).Binary(value);
    const char* sql =
        "INSERT INTO rsf_documents(collection, key, value, version) VALUES ($1, $2, $3, 1) "
        "ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value, "
        "version = rsf_documents.version + 1, updated_at = now() RETURNING version";
    if (expected && *expected == 0) {
      sql = "INSERT INTO rsf_documents(collection, key, value, version) VALUES ($1, $2, $3, 1) "
            "ON CONFLICT (collection, key) DO NOTHING RETURNING version";
    } else if (expected) {
      p.Int(*expected);
      sql = "UPDATE rsf_documents SET value = $3, version = version + 1, updated_at = now() "
            "WHERE collection = $1 AND key = $2 AND version = $4 RETURNING version";
    }
    RSF_ASSIGN_OR_RETURN(auto r, Run(c, sql, p, "put"));
    if (PQntuples(r.get()) == 1) return Int8(r.get(), 0, 0);
    RSF_ASSIGN_OR_RETURN(auto current, Get(c, collection, key));
    return FailedPreconditionError(fmt::format("store: {}/{} is at version {}, expected {}", collection, key,
                                               current ? current->version : 0, *expected));
  }

  static Status Delete(PGconn* c, std::string_view collection, std::string_view key) {
    RSF_RETURN_IF_ERROR(CheckName(collection, key));
    Params p;
    p.Text(collection).Text(key);
    RSF_ASSIGN_OR_RETURN(auto r, Run(c, "DELETE FROM rsf_documents WHERE collection = $1 AND key = $2", p, "delete"));
    if (std::strcmp(PQcmdTuples(r.get()), "0") == 0) {
      return NotFoundError(fmt::format("store: {}/{} does not exist", collection, key));
    }
    return OkStatus();
  }

  static Result<std::vector<StoredValue>> List(PGconn* c, std::string_view collection, std::string_view prefix,
                                               size_t limit, std::string_view after) {
    if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
    Params p;
    p.Text(collection).Text(after).Text(prefix).Int(static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    RSF_ASSIGN_OR_RETURN(auto r, Run(c,
                                     "SELECT key, value, version FROM rsf_documents WHERE collection = $1 AND "
                                     "key > $2 AND starts_with(key, $3) ORDER BY key LIMIT $4",
                                     p, "list"));
    std::vector<StoredValue> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      out.push_back({Bytes(r.get(), i, 0), Bytes(r.get(), i, 1), Int8(r.get(), i, 2)});
    }
    return out;
  }

  static Result<std::vector<int64_t>> IncrementMany(PGconn* c, std::string_view collection,
                                                    std::span<const CounterDelta> deltas) {
    if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
    std::map<std::string_view, int64_t> sums;
    for (const auto& d : deltas) {
      RSF_RETURN_IF_ERROR(CheckName(collection, d.key));
      sums[d.key] += d.delta;
    }
    if (sums.empty()) return std::vector<int64_t>();
    std::vector<std::string_view> keys;
    std::string nums = "{";
    for (const auto& [k, v] : sums) {
      keys.push_back(k);
      if (nums.size() > 1) nums += ',';
      nums += std::to_string(v);
    }
    nums += '}';
    Params p;
    p.Text(collection).Text(TextArray(keys)).Text(nums);
    // Rows are locked in key order (the ORDER BY), so concurrent batches cannot deadlock.
    RSF_ASSIGN_OR_RETURN(auto r, Run(c,
                                     "INSERT INTO rsf_counters(collection, key, value) "
                                     "SELECT $1, k, d FROM unnest($2::text[], $3::int8[]) AS t(k, d) ORDER BY k "
                                     "ON CONFLICT (collection, key) DO UPDATE SET value = rsf_counters.value + "
                                     "excluded.value RETURNING key, value",
                                     p, "increment"));
    std::map<std::string, int64_t, std::less<>> values;
    for (int i = 0; i < PQntuples(r.get()); ++i) values[Bytes(r.get(), i, 0)] = Int8(r.get(), i, 1);
    std::vector<int64_t> out;
    out.reserve(deltas.size());
    for (const auto& d : deltas) {
      auto it = values.find(d.key);
      if (it == values.end()) return InternalError("postgres: increment returned no value for " + d.key);
      out.push_back(it->second);
    }
    return out;
  }

  static Status DeleteCountersBefore(PGconn* c, std::string_view collection, std::string_view key) {
    if (collection.empty()) return InvalidArgumentError("store: collection name is empty");
    Params p;
    p.Text(collection).Text(key);
    return Run(c, "DELETE FROM rsf_counters WHERE collection = $1 AND key < $2", p, "delete counters").status();
  }

  static Status Notify(PGconn* c, std::string_view channel) {
    Params p;
    p.Text(kChannel).Text(channel);
    return Run(c, "SELECT pg_notify($1, $2)", p, "notify").status();
  }
};

class PgStore;

// The store seen from inside a transaction: every call on the transaction's connection.
class TxStore final : public Store {
 public:
  TxStore(PgStore& outer, PGconn* conn, int depth) : outer_(outer), conn_(conn), depth_(depth) {}
  Result<std::optional<StoredValue>> Get(std::string_view c, std::string_view k) override { return Ops::Get(conn_, c, k); }
  Result<int64_t> Put(std::string_view c, std::string_view k, std::string_view v, std::optional<int64_t> e) override {
    return Ops::Put(conn_, c, k, v, e);
  }
  Status Delete(std::string_view c, std::string_view k) override { return Ops::Delete(conn_, c, k); }
  Result<std::vector<StoredValue>> List(std::string_view c, std::string_view p, size_t l, std::string_view a) override {
    return Ops::List(conn_, c, p, l, a);
  }
  Result<int64_t> Increment(std::string_view c, std::string_view k, int64_t d) override {
    CounterDelta one{std::string(k), d};
    RSF_ASSIGN_OR_RETURN(auto v, Ops::IncrementMany(conn_, c, std::span<const CounterDelta>(&one, 1)));
    return v[0];
  }
  Result<std::vector<int64_t>> IncrementMany(std::string_view c, std::span<const CounterDelta> d) override {
    return Ops::IncrementMany(conn_, c, d);
  }
  Status DeleteCountersBefore(std::string_view c, std::string_view k) override {
    return Ops::DeleteCountersBefore(conn_, c, k);
  }
  Status Notify(std::string_view channel) override { return Ops::Notify(conn_, channel); }
  Result<std::unique_ptr<Subscription>> Subscribe(std::function<void(std::string_view)> fn) override;
  Result<std::unique_ptr<Lease>> TryAcquire(std::string_view name) override;
  bool distributed() const override { return true; }
  Status Transact(const std::function<Status(Store&)>& fn) override {
    const std::string sp = fmt::format("rsf_sp{}", depth_);
    RSF_RETURN_IF_ERROR(Exec(conn_, ("SAVEPOINT " + sp).c_str(), "savepoint"));
    TxStore inner(outer_, conn_, depth_ + 1);
    Status s = fn(inner);
    if (s.ok()) s = Exec(conn_, ("RELEASE SAVEPOINT " + sp).c_str(), "release savepoint");
    if (!s.ok()) {
      Exec(conn_, ("ROLLBACK TO SAVEPOINT " + sp + "; RELEASE SAVEPOINT " + sp).c_str(), "rollback").IgnoreError();
    }
    return s;
  }
  int SchemaVersion() override;

 private:
  PgStore& outer_;
  PGconn* conn_;
  int depth_;
};

class PgLease final : public Lease {
 public:
  PgLease(PGconn* conn, int64_t key) : conn_(conn), key_(key) {}
  ~PgLease() override {
    Params p;
    p.Int(key_);
    (void)Run(conn_, "SELECT pg_advisory_unlock($1::int8)", p, "unlock");
    PQfinish(conn_);
  }
  Status Check() override {
    std::lock_guard lock(mu_);
    if (lost_) return UnavailableError("postgres: the lease's connection was lost");
    // The lock lives as long as this session: a round trip proves the session is alive.
    Params p;
    p.Int(key_);
    auto r = Run(conn_,
                 "SELECT count(*)::int8 FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                 "pid = pg_backend_pid() AND ((classid::int8 << 32) | objid::int8) = $1::int8",
                 p, "lease check");
    if (!r.ok() || Int8(r->get(), 0, 0) == 0) {
      lost_ = true;
      return UnavailableError("postgres: the lease was lost" + (r.ok() ? std::string() : ": " + r.status().message()));
    }
    return OkStatus();
  }

 private:
  std::mutex mu_;
  PGconn* conn_;
  int64_t key_;
  bool lost_ = false;
};

// LISTEN "rsf" on a connection of its own, on a thread that reconnects after failures.
class Listener {
 public:
  // Listens before returning when the server is reachable, so no change made after Subscribe
  // returns is missed; otherwise keeps trying on its thread.
  Listener(std::string uri, PgStoreOptions options, internal::NotifyHub& hub)
      : uri_(std::move(uri)), options_(options), hub_(hub) {
    PGconn* first = Open();
    thread_ = std::thread([this, first] { Run(first); });
  }
  ~Listener() {
    stop_.store(true);
    thread_.join();
  }

 private:
  PGconn* Open() {
    auto conn = Connect(uri_, options_);
    if (!conn.ok()) return nullptr;
    if (!Exec(*conn, "LISTEN rsf", "listen").ok()) {
      PQfinish(*conn);
      return nullptr;
    }
    return *conn;
  }

  void Run(PGconn* conn) {
    while (!stop_.load()) {
      if (!conn) conn = Open();
      if (!conn) {
        Sleep(std::chrono::milliseconds(250));
        continue;
      }
      // Whatever changed between the subscriber's last read and this LISTEN: reload all.
      hub_.Post("");
      Listen(conn);
      PQfinish(conn);
      conn = nullptr;
    }
    if (conn) PQfinish(conn);
  }

  // Returns when the connection fails or stop_ is set.
  void Listen(PGconn* conn) {
    const int fd = PQsocket(conn);
    while (!stop_.load()) {
      pollfd p{fd, POLLIN, 0};
      const int n = ::poll(&p, 1, 100);
      if (n < 0 && errno != EINTR) return;
      if (n > 0) {
        if (!PQconsumeInput(conn)) return;
        while (PGnotify* note = PQnotifies(conn)) {
          hub_.Post(note->extra ? note->extra : "");
          PQfreemem(note);
        }
      }
      if (PQstatus(conn) != CONNECTION_OK) return;
    }
  }

  void Sleep(std::chrono::milliseconds d) {
    for (auto t = d; t.count() > 0 && !stop_.load(); t -= std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  const std::string uri_;
  const PgStoreOptions options_;
  internal::NotifyHub& hub_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class PgStore final : public Store {
 public:
  PgStore(std::string uri, PgStoreOptions options) : uri_(std::move(uri)), options_(options) {}
  ~PgStore() override {
    listener_.reset();
    for (PGconn* c : idle_) PQfinish(c);
    if (lease_spare_) PQfinish(lease_spare_);
  }

  // A pooled connection, returned to the pool (or closed when broken) on destruction.
  class Conn {
   public:
    Conn(PgStore& s, PGconn* c) : s_(s), c_(c) {}
    ~Conn() { s_.Release(c_); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    PGconn* get() const { return c_; }

   private:
    PgStore& s_;
    PGconn* c_;
  };

  Result<std::unique_ptr<Conn>> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool_size; });
    if (!idle_.empty()) {
      PGconn* c = idle_.back();
      idle_.pop_back();
      lock.unlock();
      if (!Alive(c)) PQreset(c);  // the server restarted or closed the session since
      if (PQstatus(c) != CONNECTION_OK) {
        Status s = UnavailableError(fmt::format("postgres: cannot reconnect to {}: {}", RedactUri(uri_),
                                                PQerrorMessage(c)));
        Release(c);
        return s;
      }
      return std::make_unique<Conn>(*this, c);
    }
    ++open_;
    lock.unlock();
    auto c = Connect(uri_, options_);
    if (!c.ok()) {
      std::lock_guard relock(mu_);
      --open_;
      cv_.notify_one();
      return c.status();
    }
    return std::make_unique<Conn>(*this, *c);
  }

  // An idle connection has nothing to read: if it has, the server has closed it (or sent a
  // shutdown notice), and it is reset before use rather than failing the caller's statement.
  static bool Alive(PGconn* c) {
    if (PQstatus(c) != CONNECTION_OK) return false;
    pollfd p{PQsocket(c), POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) return true;
    return PQconsumeInput(c) == 1 && PQstatus(c) == CONNECTION_OK && !(p.revents & (POLLHUP | POLLERR));
  }

  void Release(PGconn* c) {
    std::lock_guard lock(mu_);
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
      idle_.push_back(c);
    } else {
      PQfinish(c);
      --open_;
    }
    cv_.notify_one();
  }

  Status Migrate() {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    PGconn* c = conn->get();
    RSF_RETURN_IF_ERROR(Exec(c, "BEGIN", "migrate"));
    Status s = [&]() -> Status {
      Params lock;
      lock.Int(kMigrationLock);
      RSF_RETURN_IF_ERROR(Run(c, "SELECT pg_advisory_xact_lock($1::int8)", lock, "migration lock").status());
      RSF_RETURN_IF_ERROR(Exec(c,
                               "CREATE TABLE IF NOT EXISTS rsf_schema_migrations (version int PRIMARY KEY, "
                               "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                               "migrate"));
      RSF_ASSIGN_OR_RETURN(int current, CurrentVersion(c));
      if (current > PgStoreLatestSchema()) {
        return FailedPreconditionError(fmt::format(
            "store schema version {} is newer than this rsf knows ({}); upgrade rsf", current, PgStoreLatestSchema()));
      }
      for (const auto& m : kMigrations) {
        if (m.version <= current) continue;
        Status ms = Exec(c, m.sql, "migrate");
        if (ms.ok()) {
          Params p;
          p.Int(m.version).Text(m.name);
          ms = Run(c, "INSERT INTO rsf_schema_migrations(version, name) VALUES ($1::int, $2)", p, "migrate").status();
        }
        if (!ms.ok()) return ms.WithContext(fmt::format("migration {} ({})", m.version, m.name));
      }
      return OkStatus();
    }();
    if (!s.ok()) {
      Exec(c, "ROLLBACK", "rollback").IgnoreError();
      return s;
    }
    return Exec(c, "COMMIT", "migrate");
  }

  static Result<int> CurrentVersion(PGconn* c) {
    Params none;
    RSF_ASSIGN_OR_RETURN(auto r, Run(c, "SELECT COALESCE(MAX(version), 0)::int8 FROM rsf_schema_migrations", none,
                                     "schema version"));
    return static_cast<int>(Int8(r.get(), 0, 0));
  }

  Result<std::optional<StoredValue>> Get(std::string_view c, std::string_view k) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::Get(conn->get(), c, k);
  }
  Result<int64_t> Put(std::string_view c, std::string_view k, std::string_view v, std::optional<int64_t> e) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::Put(conn->get(), c, k, v, e);
  }
  Status Delete(std::string_view c, std::string_view k) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::Delete(conn->get(), c, k);
  }
  Result<std::vector<StoredValue>> List(std::string_view c, std::string_view p, size_t l, std::string_view a) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::List(conn->get(), c, p, l, a);
  }
  Result<int64_t> Increment(std::string_view c, std::string_view k, int64_t d) override {
    CounterDelta one{std::string(k), d};
    RSF_ASSIGN_OR_RETURN(auto v, IncrementMany(c, std::span<const CounterDelta>(&one, 1)));
    return v[0];
  }
  Result<std::vector<int64_t>> IncrementMany(std::string_view c, std::span<const CounterDelta> d) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::IncrementMany(conn->get(), c, d);
  }
  Status DeleteCountersBefore(std::string_view c, std::string_view k) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::DeleteCountersBefore(conn->get(), c, k);
  }
  Status Notify(std::string_view channel) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Ops::Notify(conn->get(), channel);
  }

  Result<std::unique_ptr<Subscription>> Subscribe(std::function<void(std::string_view)> fn) override {
    std::lock_guard lock(listener_mu_);
    auto sub = hub_.Add(std::move(fn));
    if (!listener_) listener_ = std::make_unique<Listener>(uri_, options_, hub_);
    return sub;
  }

  Result<std::unique_ptr<Lease>> TryAcquire(std::string_view name) override {
    PGconn* c = TakeLeaseSpare();
    if (!c) {
      RSF_ASSIGN_OR_RETURN(c, Connect(uri_, options_));
    }
    const int64_t key = LockKey(name);
    Params p;
    p.Int(key);
    auto r = Run(c, "SELECT pg_try_advisory_lock($1::int8)", p, "lease");
    if (!r.ok()) {
      PQfinish(c);
      return r.status();
    }
    const bool held = PQgetlength(r->get(), 0, 0) == 1 && PQgetvalue(r->get(), 0, 0)[0] == 1;
    if (!held) {
      KeepLeaseSpare(c);
      return std::unique_ptr<Lease>();
    }
    return std::unique_ptr<Lease>(std::make_unique<PgLease>(c, key));
  }

  bool distributed() const override { return true; }

  // A candidate tries the lease every poll. A try that did not get the lock holds nothing on
  // its connection, so the connection is kept for the next try instead of connecting anew
  // each time (which, on a loaded server, is what times out first).
  PGconn* TakeLeaseSpare() {
    PGconn* c = nullptr;
    {
      std::lock_guard lock(lease_mu_);
      std::swap(c, lease_spare_);
    }
    if (c && !Alive(c)) PQreset(c);
    if (c && PQstatus(c) != CONNECTION_OK) {
      PQfinish(c);
      c = nullptr;
    }
    return c;
  }

  void KeepLeaseSpare(PGconn* c) {
    std::lock_guard lock(lease_mu_);
    if (lease_spare_ || PQtransactionStatus(c) != PQTRANS_IDLE) {
      PQfinish(c);
      return;
    }
    lease_spare_ = c;
  }

  Status Transact(const std::function<Status(Store&)>& fn) override {
    RSF_ASSIGN_OR_RETURN(auto conn, Acquire());
    PGconn* c = conn->get();
    RSF_RETURN_IF_ERROR(Exec(c, "BEGIN", "begin"));
    TxStore tx(*this, c, 0);
    Status s = fn(tx);
    if (s.ok()) s = Exec(c, "COMMIT", "commit");
    if (!s.ok()) Exec(c, "ROLLBACK", "rollback").IgnoreError();  // report the original failure
    return s;
  }

  int SchemaVersion() override {
    auto conn = Acquire();
    if (!conn.ok()) return 0;
    auto v = CurrentVersion((*conn)->get());
    return v.ok() ? *v : 0;
  }

 private:
  const std::string uri_;
  const PgStoreOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PGconn*> idle_;
  int open_ = 0;
  std::mutex lease_mu_;
  PGconn* lease_spare_ = nullptr;  // a lease try's connection that got no lock (TakeLeaseSpare)
  std::mutex listener_mu_;
  internal::NotifyHub hub_;
  std::unique_ptr<Listener> listener_;
};

Result<std::unique_ptr<Subscription>> TxStore::Subscribe(std::function<void(std::string_view)> fn) {
  return outer_.Subscribe(std::move(fn));
}
Result<std::unique_ptr<Lease>> TxStore::TryAcquire(std::string_view name) { return outer_.TryAcquire(name); }
int TxStore::SchemaVersion() { return outer_.SchemaVersion(); }

}  // namespace

int PgStoreLatestSchema() { return kMigrations[std::size(kMigrations) - 1].version; }

std::string RedactUri(std::string_view uri) {
  // scheme://user:password@host... -> scheme://user:***@host...; also ?password=... .
  std::string out(uri);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const size_t end = out.find_first_of("& ", p);
    out.replace(p + 9, (end == std::string::npos ? out.size() : end) - p - 9, "***");
  }
  return out;
}

Result<std::unique_ptr<Store>> OpenPgStore(const std::string& uri, const PgStoreOptions& options) {
  if (options.pool_size < 1) return InvalidArgumentError("postgres: pool_size must be at least 1");
  auto store = std::make_unique<PgStore>(uri, options);
  RSF_RETURN_IF_ERROR(store->Migrate().WithContext(RedactUri(uri)));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace rsf::store
