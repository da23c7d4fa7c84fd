#include "rsf/gateway/api_keys.h"

#include <gtest/gtest.h>

#include "rsf/store/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::gateway {
namespace {

TEST(KeyRingTest, CreatesAuthenticatesAndRevokesKeysStoredOnlyAsDigests) {
  rsf::testing::TempDir dir;
  rsf::testing::FakeClock clock;
  std::string plain, id;
  {
    auto store = store::OpenSqliteStore(dir.Sub("keys.db"));
    ASSERT_RSF_OK(store);
    auto ring = KeyRing::Open(**store, clock);
    ASSERT_RSF_OK(ring);
    auto created = (*ring)->Create({.name = "ci", .tenant = "acme", .tier = "public"});
    ASSERT_RSF_OK(created);
    plain = created->second;
    id = created->first.id;
    EXPECT_EQ(plain.size(), 4u + 16 + 1 + 43);
    EXPECT_EQ(KeyRing::KeyId(plain), id);
    auto who = (*ring)->Authenticate(plain);
    ASSERT_RSF_OK(who);
    EXPECT_EQ(who->tenant, "acme");
    EXPECT_EQ(who->tier, "public");
    // The secret is nowhere in the store.
    auto stored = (*store)->Get("gateway.keys", id);
    ASSERT_RSF_OK(stored);
    ASSERT_TRUE(stored->has_value());
    EXPECT_EQ((*stored)->value.find(plain.substr(22)), std::string::npos);
    EXPECT_EQ(who->ToPublicJson().dump().find("sha256"), std::string::npos);
  }
  // Survives a restart; a one-character change, a wrong id and garbage are all refused alike.
  auto store = store::OpenSqliteStore(dir.Sub("keys.db"));
  ASSERT_RSF_OK(store);
  auto ring = KeyRing::Open(**store, clock);
  ASSERT_RSF_OK(ring);
  EXPECT_RSF_OK((*ring)->Authenticate(plain));
  std::string altered = plain;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  EXPECT_RSF_CODE((*ring)->Authenticate(altered), StatusCode::kPermissionDenied);
  std::string other_id = plain;
  other_id[4] = other_id[4] == '0' ? '1' : '0';
  EXPECT_RSF_CODE((*ring)->Authenticate(other_id), StatusCode::kPermissionDenied);
  for (std::string_view bad : {"", "rsf_", "sk-1234", "rsf_zzzzzzzzzzzzzzzz_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_RSF_CODE((*ring)->Authenticate(bad), StatusCode::kPermissionDenied) << bad;
  }
  ASSERT_RSF_OK((*ring)->Revoke(id));
  EXPECT_RSF_CODE((*ring)->Authenticate(plain), StatusCode::kPermissionDenied);
  EXPECT_RSF_CODE((*ring)->Revoke("0000000000000000"), StatusCode::kNotFound);
  ASSERT_EQ((*ring)->List().size(), 1u);
  EXPECT_TRUE((*ring)->List()[0].revoked);
}

TEST(KeyRingTest, RefusesIncompleteKeys) {
  rsf::testing::TempDir dir;
  rsf::testing::FakeClock clock;
  auto store = store::OpenSqliteStore(dir.Sub("keys.db"));
  ASSERT_RSF_OK(store);
  auto ring = KeyRing::Open(**store, clock);
  ASSERT_RSF_OK(ring);
  EXPECT_RSF_CODE((*ring)->Create({.name = "x", .tenant = "", .tier = "public"}), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE((*ring)->Create({.name = "x", .tenant = "acme", .tier = ""}), StatusCode::kInvalidArgument);
  EXPECT_RSF_OK((*ring)->Create({.name = "ops", .tenant = "acme", .tier = "", .role = KeyRole::kAdmin}));
}

}  // namespace
}  // namespace rsf::gateway
