#include "testing/pg_server.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "testing/subprocess.h"

namespace rsf::testing {
namespace {

std::string FindBindir() {
  if (const char* env = std::getenv("RSF_PG_BINDIR")) return env;
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (std::filesystem::exists(e.path() / "bin" / "initdb")) found.push_back((e.path() / "bin").string());
  }
  if (found.empty()) return "";
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return found.back();
}

}  // namespace

PgServer& PgServer::Shared() {
  static PgServer server;  // stopped when the binary exits
  return server;
}

PgServer::PgServer() {
  bindir_ = FindBindir();
  if (bindir_.empty()) {
    reason_ = "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)";
    return;
  }
  char tmpl[] = "/tmp/rsfpg-XXXXXX";
  if (!mkdtemp(tmpl)) {
    reason_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) pw = getpwnam("nobody");
    if (!pw || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      reason_ = "running as root and no 'postgres' or 'nobody' user to run the server as";
      return;
    }
    user_ = pw->pw_name;
  }
  chmod(dir_.c_str(), 0700);
  ProcessResult init = RunProcess(AsServerUser({bindir_ + "/initdb", "-D", dir_ + "/data", "-A", "trust", "-U",
                                                "postgres", "-E", "UTF8", "--locale=C", "--no-sync"}));
  if (init.exit_code != 0) {
    reason_ = "initdb failed: " + init.err;
    return;
  }
  ok_ = true;
  if (!Start()) ok_ = false;
}

PgServer::~PgServer() {
  if (dir_.empty()) return;
  if (ok_) Stop("immediate");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

std::vector<std::string> PgServer::AsServerUser(std::vector<std::string> argv) const {
  if (user_.empty()) return argv;
  std::vector<std::string> out = {"/usr/sbin/runuser", "-u", user_, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

bool PgServer::Start() {
  ProcessResult r = RunProcess(AsServerUser(
      {bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
       "-k " + dir_ + " -c listen_addresses='' -p 5432 -c max_connections=200", "start"}));
  if (r.exit_code != 0) {
    reason_ = "pg_ctl start failed: " + r.out + r.err;
    return false;
  }
  return true;
}

bool PgServer::Stop(const std::string& mode) {
  ProcessResult r = RunProcess(AsServerUser({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", mode, "-w", "stop"}));
  if (r.exit_code != 0) {
    reason_ = "pg_ctl stop failed: " + r.out + r.err;
    return false;
  }
  return true;
}

std::string PgServer::Uri(const std::string& db) const {
  return "postgresql:///" + db + "?host=" + dir_ + "&port=5432&user=postgres";
}

std::string PgServer::Sql(const std::string& sql, const std::string& db) {
  ProcessResult r = RunProcess({bindir_ + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", dir_, "-p",
                                "5432", "-U", "postgres", "-d", db, "-c", sql});
  if (r.exit_code != 0) {
    reason_ = "psql failed: " + r.err;
    return "";
  }
  return r.out.empty() ? std::string("\n") : r.out;
}

std::string PgServer::CreateDatabase() {
  const std::string name = "rsf_test_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  if (Sql("CREATE DATABASE " + name).empty()) return "";
  return Uri(name);
}

}  // namespace rsf::testing
