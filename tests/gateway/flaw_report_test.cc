#include "rsf/gateway/flaw_report.h"

#include <gtest/gtest.h>

#include "rsf/store/sqlite_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::gateway {
namespace {

TEST(FlawReportTest, ParsesASubmissionAndDigestsItsContent) {
  auto r = ParseFlawReport(R"({"title":"t","description":"d","reproduction":"r","severity":"low","accept_safe_harbour":true})");
  ASSERT_RSF_OK(r);
  EXPECT_EQ(r->content_sha256, FlawContentDigest(*r));
  EXPECT_EQ(r->ToJson(false).dump().find("\"description\""), std::string::npos);
  // Length-prefixed: moving text between fields changes the digest.
  auto moved = ParseFlawReport(R"({"title":"t","description":"dr","reproduction":"","accept_safe_harbour":true})");
  EXPECT_NE(moved->content_sha256, r->content_sha256);
}

TEST(FlawReportTest, RefusesBadSubmissionsNamingTheField) {
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"description":"d","accept_safe_harbour":true})", "'title'"},
           {R"({"title":"t","description":"d"})", "accept_safe_harbour"},
           {R"({"title":"t","description":"d","severity":"dire","accept_safe_harbour":true})", "'severity'"},
           {R"({"title":"t","description":5,"accept_safe_harbour":true})", "'description'"},
           {R"({"title":"t","description":"d","x":1,"accept_safe_harbour":true})", "'x'"},
           {R"({"title":")" + std::string(201, 'a') + R"(","description":"d","accept_safe_harbour":true})", "'title'"},
           {"[1]", "JSON object"},
           {"{\"title\":\"\xc3\x28\"}", "flaw report"}}) {
    auto r = ParseFlawReport(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  }
}

TEST(FlawReportTest, StoresAndListsReports) {
  rsf::testing::TempDir dir;
  auto store = store::OpenSqliteStore(dir.Sub("s.db"));
  ASSERT_RSF_OK(store);
  FlawReportStore reports(**store);
  auto r = ParseFlawReport(R"({"title":"t","description":"d","accept_safe_harbour":true})");
  ASSERT_RSF_OK(r);
  r->id = "fr-1";
  r->reporter = "anonymous";
  ASSERT_RSF_OK(reports.Put(*r));
  auto got = reports.Get("fr-1");
  ASSERT_RSF_OK(got);
  EXPECT_EQ(got->description, "d");
  EXPECT_EQ(got->reporter, "anonymous");
  EXPECT_EQ(reports.List()->size(), 1u);
  EXPECT_EQ(reports.Get("fr-2").status().code(), StatusCode::kNotFound);
  // A stored row with a field of the wrong type is refused by name, not thrown on.
  ASSERT_RSF_OK((*store)->Put("gateway.flaw_reports", "fr-3",
                              R"({"title":"t","description":"d","accept_safe_harbour":true,"status":5})"));
  auto bad = reports.Get("fr-3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("field 'status'"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace rsf::gateway
