// The deployment files in deploy/ (docs/operations.md) as rsfd and Kubernetes would read them:
// every shipped gateway configuration parses, and the manifests agree with it and with each
// other (config mount, probes, the Secret the password comes from, replicas, the store host).
// tests/deploy/deploy_check.sh runs systemd-analyze and kubectl kustomize on them as well.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "rsf/gateway/config.h"
#include "testing/status_matchers.h"

namespace rsf {
namespace {

const std::string kDeploy = std::string(RSF_SOURCE_DIR) + "/deploy";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<gateway::GatewayConfig> Parse(const std::string& path) {
  return gateway::ParseGatewayConfig(Read(path), path, std::filesystem::path(path).parent_path().string());
}

// The documents of a multi-document manifest, by "Kind/name".
std::map<std::string, YAML::Node> Manifests(const std::string& path) {
  std::map<std::string, YAML::Node> out;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(path)) {
    out[doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>()] = doc;
  }
  return out;
}

TEST(DeployTest, TheSystemdUnitsConfigurationParsesAndMatchesTheUnit) {
  auto config = Parse(kDeploy + "/systemd/gateway.yaml");
  ASSERT_RSF_OK(config);
  EXPECT_EQ(config->store, "/var/lib/rsf/gateway.db");
  EXPECT_EQ(config->ledger_dir, "/var/lib/rsf/ledger");
  const std::string unit = Read(kDeploy + "/systemd/rsfd.service");
  EXPECT_NE(unit.find("ExecStart=/usr/local/bin/rsfd --config /etc/rsf/gateway.yaml"), std::string::npos);
  EXPECT_NE(unit.find("StateDirectory=rsf"), std::string::npos) << "the store and ledger live in /var/lib/rsf";
  EXPECT_NE(unit.find("--dir /var/lib/rsf/ledger"), std::string::npos) << "the ledger rsfd uses is the one created";
  EXPECT_NE(unit.find("ExecReload=/bin/kill -HUP $MAINPID"), std::string::npos);
}

TEST(DeployTest, TheKubernetesManifestsAgreeWithTheConfigurationTheyMount) {
  auto config = Parse(kDeploy + "/k8s/gateway.yaml");
  ASSERT_RSF_OK(config);
  EXPECT_EQ(config->store.rfind("postgresql://rsf@postgres:5432/rsf", 0), 0u) << config->store;

  const YAML::Node kustomization = YAML::LoadFile(kDeploy + "/k8s/kustomization.yaml");
  for (const auto& r : kustomization["resources"]) {
    EXPECT_TRUE(std::filesystem::exists(kDeploy + "/k8s/" + r.as<std::string>())) << r.as<std::string>();
  }
  EXPECT_EQ(kustomization["configMapGenerator"][0]["name"].as<std::string>(), "rsfd-config");

  auto pg = Manifests(kDeploy + "/k8s/postgres.yaml");
  ASSERT_TRUE(pg.count("Service/postgres")) << "the store URI's host";
  ASSERT_TRUE(pg.count("StatefulSet/postgres"));
  EXPECT_EQ(pg["Service/postgres"]["spec"]["ports"][0]["port"].as<int>(), 5432);

  auto rsfd = Manifests(kDeploy + "/k8s/rsfd.yaml");
  ASSERT_TRUE(rsfd.count("StatefulSet/rsfd"));
  ASSERT_TRUE(rsfd.count("Service/rsfd"));
  const YAML::Node set = rsfd["StatefulSet/rsfd"]["spec"];
  EXPECT_EQ(set["replicas"].as<int>(), 3);
  const YAML::Node pod = set["template"]["spec"];
  const YAML::Node c = pod["containers"][0];
  EXPECT_EQ(c["args"][1].as<std::string>(), "/etc/rsf/gateway.yaml");
  std::map<std::string, std::string> mounts;
  for (const auto& m : c["volumeMounts"]) mounts[m["mountPath"].as<std::string>()] = m["name"].as<std::string>();
  EXPECT_EQ(mounts["/etc/rsf/gateway.yaml"], "config");
  EXPECT_EQ(mounts["/etc/rsf/decisions"], "decisions");
  EXPECT_EQ(mounts["/var/lib/rsf"], "ledger") << "the configuration's ledger must be on the shared volume";
  EXPECT_EQ(config->ledger_dir.rfind("/var/lib/rsf/", 0), 0u);
  // One ledger for all replicas: a claim every pod mounts, which must allow that.
  EXPECT_TRUE(config->replicas.shared_ledger) << "replicas on one ledger directory need replicas.shared_ledger";
  ASSERT_TRUE(rsfd.count("PersistentVolumeClaim/rsf-ledger"));
  EXPECT_EQ(rsfd["PersistentVolumeClaim/rsf-ledger"]["spec"]["accessModes"][0].as<std::string>(), "ReadWriteMany");
  EXPECT_FALSE(set["volumeClaimTemplates"]) << "a volume per replica would give each its own ledger";
  EXPECT_EQ(config->policy_file.rfind("/etc/rsf/decisions/", 0), 0u);
  for (const auto& v : pod["volumes"]) {
    if (v["name"].as<std::string>() == "config") {
      EXPECT_EQ(v["configMap"]["name"].as<std::string>(), "rsfd-config");
    }
    if (v["name"].as<std::string>() == "ledger") {
      EXPECT_EQ(v["persistentVolumeClaim"]["claimName"].as<std::string>(), "rsf-ledger");
    }
  }
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  EXPECT_EQ(c["ports"][0]["containerPort"].as<int>(), 8080);
  EXPECT_EQ(config->listen, "0.0.0.0:8080");
  bool password_from_secret = false;
  for (const auto& e : c["env"]) {
    password_from_secret = password_from_secret || (e["name"].as<std::string>() == "PGPASSWORD" &&
                                                    e["valueFrom"]["secretKeyRef"]["name"].as<std::string>() == "rsf-postgres");
  }
  EXPECT_TRUE(password_from_secret);
}

}  // namespace
}  // namespace rsf
