// rsfd as an operator runs it: `rsf gateway check`, an admin key made offline, the daemon
// serving on 127.0.0.1 (port 0), SIGHUP reloading, SIGTERM stopping cleanly with the audit in
// the ledger; and two daemons on PostgreSQL sharing one ledger while its writer is killed. The
// configuration is the one `rsf demo` writes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/ledger/entry.h"
#include "rsf/ledger/ledger.h"
#include "rsf/model/http.h"
#include "testing/pg_server.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace rsf::cli {
namespace {

using testing::ProcessResult;
using testing::RunProcess;

ProcessResult Exec(std::string binary, std::vector<std::string> args) {
  args.insert(args.begin(), std::move(binary));
  return RunProcess(args, "");
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

TEST(GatewayCliTest, ChecksServesReloadsAndStopsCleanly) {
  rsf::testing::TempDir tmp;
  const std::string dir = tmp.Sub("demo");
  auto demo = Exec(RSF_BINARY, {"demo", "--dir", dir, "--bulk", "100"});
  ASSERT_EQ(demo.exit_code, 0) << Describe(demo);
  const std::string config = dir + "/gateway/gateway.yaml";
  auto check = Exec(RSF_BINARY, {"gateway", "check", "--config", config});
  ASSERT_EQ(check.exit_code, 0) << Describe(check);
  EXPECT_NE(check.out.find("frontier-1"), std::string::npos) << check.out;
  // A configuration with a mistake is refused with its file and line.
  std::ofstream(tmp.Sub("bad.yaml")) << "policy: p.yaml\nmodels: []\n";
  auto bad = Exec(RSF_BINARY, {"gateway", "check", "--config", tmp.Sub("bad.yaml")});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  EXPECT_NE(bad.err.find("bad.yaml:2"), std::string::npos) << Describe(bad);

  auto key = Exec(RSF_BINARY, {"gateway", "key", "create", "--config", config, "--tenant", "ops", "--role", "admin"});
  ASSERT_EQ(key.exit_code, 0) << Describe(key);
  const std::string admin = key.out.substr(0, key.out.find('\n'));
  ASSERT_EQ(admin.rfind("rsf_", 0), 0u) << admin;

  const std::string ready = tmp.Sub("port");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(RSFD_BINARY, RSFD_BINARY, "--config", config.c_str(), "--listen", "127.0.0.1:0", "--ready-file", ready.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 3000 && !std::filesystem::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(std::filesystem::exists(ready)) << "rsfd did not start";
  const std::string base = "http://127.0.0.1:" + std::to_string(std::stoi(*Env::Default().ReadFile(ready)));
  auto transport = model::MakeHttpTransport();
  auto send = [&](const std::string& method, const std::string& path, const std::string& body) {
    model::HttpRequest r;
    r.method = method;
    r.url = base + path;
    r.body = body;
    r.headers = {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}};
    auto res = transport->Send(r);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : model::HttpResponse{};
  };
  auto created = send("POST", "/admin/v1/keys", R"({"tenant":"uni","tier":"vetted-researcher"})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string client = Json::parse(created.body)["key"];
  model::HttpRequest chat;
  chat.url = base + "/v1/chat/completions";
  chat.body = R"({"model":"frontier-1","max_tokens":8,"messages":[{"role":"user","content":"Tell me a story"}]})";
  chat.headers = {{"Authorization", "Bearer " + client}};
  EXPECT_EQ(transport->Send(chat)->status, 200);
  // SIGHUP with a broken configuration keeps serving the old one.
  std::string good = *Env::Default().ReadFile(config);
  std::ofstream(config) << "listen: [\n";
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(transport->Send(chat)->status, 200);
  std::ofstream(config) << good;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "rsfd did not exit on SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // Everything it did is in the ledger: the configuration, the key created through the CLI and
  // the admin API, and the request records (by digest only).
  ledger::LedgerOptions ro;
  ro.read_only = true;
  auto lg = ledger::Ledger::Open(Env::Default(), dir + "/ledger", ro);
  ASSERT_TRUE(lg.ok()) << lg.status().ToString();
  std::map<std::string, int> types;
  std::string all;
  for (uint64_t i = 0; i < (*lg)->LatestCheckpoint().checkpoint.size; ++i) {
    auto bytes = (*lg)->ReadEntry(i);
    ASSERT_TRUE(bytes.ok());
    ++types[ledger::DecodeEntry(*bytes)->type];
    all += *bytes;
  }
  EXPECT_GE(types["gateway.config"], 1);
  EXPECT_GE(types["gateway.admin"], 2);
  EXPECT_GE(types["gateway.requests"], 1);
  EXPECT_EQ(all.find("Tell me a story"), std::string::npos);
  EXPECT_EQ(all.find(client.substr(21)), std::string::npos) << "a key's secret reached the ledger";
}

// Starts rsfd on `config` and returns its pid and base URL (pid -1 if it did not start).
std::pair<pid_t, std::string> StartDaemon(const std::string& config, const std::string& ready) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl(RSFD_BINARY, RSFD_BINARY, "--config", config.c_str(), "--listen", "127.0.0.1:0", "--ready-file", ready.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 3000 && !std::filesystem::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (pid < 0 || !std::filesystem::exists(ready)) return {-1, ""};
  return {pid, "http://127.0.0.1:" + std::to_string(std::stoi(*Env::Default().ReadFile(ready)))};
}

// Two replicas on one PostgreSQL database and one ledger directory (replicas.shared_ledger):
// the first to start writes the ledger for both; killed with SIGKILL, the other takes over, and
// every admin action either replica acknowledged is in the ledger at the index it reported.
TEST(GatewayCliTest, TwoDaemonsShareOneLedgerWhileItsWriterIsKilled) {
  auto& pg = rsf::testing::PgServer::Shared();
  if (!pg.ok()) GTEST_SKIP() << "no PostgreSQL server: " << pg.reason();
  const std::string uri = pg.CreateDatabase();
  ASSERT_FALSE(uri.empty()) << pg.reason();
  rsf::testing::TempDir tmp;
  const std::string dir = tmp.Sub("demo");
  auto demo = Exec(RSF_BINARY, {"demo", "--dir", dir, "--bulk", "20"});
  ASSERT_EQ(demo.exit_code, 0) << Describe(demo);
  const std::string config = dir + "/gateway/gateway.yaml";
  std::string yaml = *Env::Default().ReadFile(config);
  const size_t at = yaml.find("store: gateway.db");
  ASSERT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, std::string_view("store: gateway.db").size(), "store: " + uri);
  yaml += "replicas: {shared_ledger: true, reload_s: 30}\n";
  std::ofstream(config) << yaml;

  // Offline, with no daemon running: the CLI writes the ledger itself for the moment it needs.
  auto key = Exec(RSF_BINARY, {"gateway", "key", "create", "--config", config, "--tenant", "ops", "--role", "admin"});
  ASSERT_EQ(key.exit_code, 0) << Describe(key);
  const std::string admin = key.out.substr(0, key.out.find('\n'));

  auto [writer, writer_base] = StartDaemon(config, tmp.Sub("port-a"));
  ASSERT_GT(writer, 0) << "rsfd A did not start";
  auto [other, other_base] = StartDaemon(config, tmp.Sub("port-b"));
  ASSERT_GT(other, 0) << "rsfd B did not start";
  auto transport = model::MakeHttpTransport();
  std::map<uint64_t, std::string> acknowledged;  // ledger index -> tenant of the key created
  auto create_key = [&](const std::string& base, const std::string& tenant) {
    model::HttpRequest r;
    r.method = "POST";
    r.url = base + "/admin/v1/keys";
    r.body = Json{{"tenant", tenant}, {"tier", "public"}}.dump();
    r.headers = {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}};
    auto res = transport->Send(r);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    ASSERT_EQ(res->status, 200) << res->body;
    acknowledged[Json::parse(res->body)["ledger_index"].get<uint64_t>()] = tenant;
  };
  ASSERT_NO_FATAL_FAILURE(create_key(writer_base, "through-a"));
  ASSERT_NO_FATAL_FAILURE(create_key(other_base, "through-b"));
  ASSERT_EQ(acknowledged.size(), 2u);

  kill(writer, SIGKILL);
  int status = 0;
  waitpid(writer, &status, 0);
  // B's candidate takes the lease (A's connection died with it) and the directory (its lock
  // too), settles what A left, and appends B's action within the wait.
  ASSERT_NO_FATAL_FAILURE(create_key(other_base, "after-the-kill"));
  ASSERT_EQ(acknowledged.size(), 3u);
  model::HttpRequest metrics;
  metrics.method = "GET";
  metrics.url = other_base + "/metrics";
  auto scraped = transport->Send(metrics);
  ASSERT_TRUE(scraped.ok()) << scraped.status().ToString();
  EXPECT_NE(scraped->body.find("\nrsf_ledger_writer 1\n"), std::string::npos) << scraped->body;
  kill(other, SIGTERM);
  waitpid(other, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  ledger::LedgerOptions ro;
  ro.read_only = true;
  auto lg = ledger::Ledger::Open(Env::Default(), dir + "/ledger", ro);
  ASSERT_TRUE(lg.ok()) << lg.status().ToString();
  const uint64_t size = (*lg)->LatestCheckpoint().checkpoint.size;
  std::map<std::string, int> creates;  // tenant -> times in the ledger
  for (uint64_t i = 0; i < size; ++i) {
    auto entry = ledger::DecodeEntry(*(*lg)->ReadEntry(i));
    ASSERT_TRUE(entry.ok());
    if (entry->type != "gateway.admin" || !entry->body || (*entry->body)["action"] != "key.create") continue;
    const std::string tenant = (*entry->body)["params"].value("tenant", "");
    ++creates[tenant];
    if (acknowledged.count(i)) {
      EXPECT_EQ(acknowledged[i], tenant) << "entry " << i;
    }
  }
  for (const auto& [index, tenant] : acknowledged) {
    EXPECT_LT(index, size) << tenant << " acknowledged but not in the ledger";
    EXPECT_EQ(creates[tenant], 1) << tenant << " must be in the ledger exactly once";
  }
  EXPECT_EQ(creates["ops"], 1) << "the offline key creation";
}

}  // namespace
}  // namespace rsf::cli
