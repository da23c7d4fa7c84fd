// The ledger-backed audit log on a real ledger (in memory through MemEnv, which can make the
// disk fail).
#include "rsf/gateway/audit_log.h"

#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/mem_env.h"
#include "testing/status_matchers.h"

namespace rsf::gateway {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_RSF_OK(ledger::Ledger::Init(env_, "/l", "audit.example/log"));
    auto lg = ledger::Ledger::Open(env_, "/l");
    ASSERT_RSF_OK(lg);
    ledger_ = std::move(*lg);
  }
  // Every entry of `type` in the published log.
  std::vector<ledger::Entry> Entries(std::string_view type) {
    EXPECT_RSF_OK(ledger_->Publish());
    std::vector<ledger::Entry> out;
    for (uint64_t i = 0; i < ledger_->Size(); ++i) {
      auto bytes = ledger_->ReadEntry(i);
      EXPECT_RSF_OK(bytes);
      auto e = ledger::DecodeEntry(*bytes);
      EXPECT_RSF_OK(e);
      if (e->type == type) out.push_back(*e);
    }
    return out;
  }

  testing::MemEnv env_;
  rsf::testing::FakeClock clock_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(AuditLogTest, BatchesRequestRecordsUnderTheEntryLimit) {
  auto log = MakeLedgerAuditLog(*ledger_, clock_, {.flush_interval = std::chrono::hours(1)});
  for (int i = 0; i < 1000; ++i) log->Request({{"key_id", "0123456789abcdef"}, {"n", i}, {"pad", std::string(100, 'p')}});
  ASSERT_RSF_OK(log->Flush());
  auto entries = Entries("gateway.requests");
  ASSERT_GT(entries.size(), 1u) << "1000 records of ~140 bytes do not fit one 64 KB entry";
  int seen = 0;
  for (const auto& e : entries) {
    EXPECT_LE(ledger::EncodeEntry(e)->size(), 65535u);
    for (const auto& r : (*e.body)["records"]) EXPECT_EQ(r["n"], seen++);
  }
  EXPECT_EQ(seen, 1000);
}

TEST_F(AuditLogTest, EventsAreDurableAndInvalidUtf8IsReplaced) {
  auto log = MakeLedgerAuditLog(*ledger_, clock_);
  auto index = log->Event("gateway.admin", "gateway:model:chat", {{"reason", std::string("bad \xc3\x28 bytes")}});
  ASSERT_RSF_OK(index);
  auto entries = Entries("gateway.admin");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE((*entries[0].body)["reason"].get<std::string>().find("bad "), std::string::npos);
}

TEST_F(AuditLogTest, FlushesOnItsOwnWithinTheInterval) {
  auto log = MakeLedgerAuditLog(*ledger_, clock_, {.flush_interval = std::chrono::milliseconds(20)});
  log->Request({{"n", 1}});
  for (int i = 0; i < 200 && ledger_->Size() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(ledger_->Size(), 1u);
}

TEST_F(AuditLogTest, ReportsUnhealthyWhenTheDiskFails) {
  auto log = MakeLedgerAuditLog(*ledger_, clock_, {.flush_interval = std::chrono::hours(1)});
  env_.FailAfterBytes(0);
  log->Request({{"n", 1}});
  EXPECT_FALSE(log->Flush().ok());
  EXPECT_FALSE(log->healthy());
  EXPECT_FALSE(log->Event("gateway.admin", "gateway:x", {{"a", 1}}).ok());
}

}  // namespace
}  // namespace rsf::gateway
