#include "ledger/wal.h"

#include <gtest/gtest.h>

#include "testing/mem_env.h"
#include "testing/status_matchers.h"

namespace rsf::ledger {
namespace {

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_RSF_OK(env_.CreateDirs("/wal"));
    auto w = WalWriter::Create(env_, "/wal", 100);
    ASSERT_RSF_OK(w);
    std::string records;
    for (int i = 0; i < 5; ++i) {
      std::string e = "entry " + std::to_string(i);
      EncodeWalRecord(e, LeafHash(e), &records);
    }
    ASSERT_RSF_OK((*w)->Append(records, 5));
    ASSERT_RSF_OK((*w)->Sync());
    segment_ = {100, "/wal/" + WalSegmentName(100)};
    data_ = *env_.ReadFile(segment_.path);
  }
  testing::MemEnv env_;
  WalSegment segment_;
  std::string data_;
};

TEST_F(WalTest, ScansRecordsFromAnIndex) {
  auto segments = ListWalSegments(env_, "/wal");
  ASSERT_RSF_OK(segments);
  ASSERT_EQ(segments->size(), 1u);
  EXPECT_EQ((*segments)[0].start_index, 100u);
  auto scan = ScanWalSegment(env_, segment_, 102);
  ASSERT_RSF_OK(scan);
  EXPECT_EQ(scan->record_count, 5u);
  ASSERT_EQ(scan->records.size(), 3u);
  EXPECT_EQ(scan->records[0].entry, "entry 2");
  EXPECT_FALSE(scan->torn_tail);
}

TEST_F(WalTest, TornTailsAreToleratedCorruptionIsNot) {
  env_.Corrupt(segment_.path, data_.substr(0, data_.size() - 3));
  auto scan = ScanWalSegment(env_, segment_, 0);
  ASSERT_RSF_OK(scan);
  EXPECT_TRUE(scan->torn_tail);
  EXPECT_EQ(scan->record_count, 4u);

  env_.Corrupt(segment_.path, data_ + std::string(100, '\0'));
  scan = ScanWalSegment(env_, segment_, 0);
  ASSERT_RSF_OK(scan);
  EXPECT_TRUE(scan->torn_tail);
  EXPECT_EQ(scan->record_count, 5u);

  std::string middle = data_;
  middle[8 + 36 + 2] ^= 1;  // inside entry 0's bytes
  env_.Corrupt(segment_.path, middle);
  auto bad = ScanWalSegment(env_, segment_, 0);
  EXPECT_RSF_CODE(bad, StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("record 100 at byte 8"), std::string::npos) << bad.status().message();

  env_.Corrupt(segment_.path, "RSFWAL");
  EXPECT_RSF_CODE(ScanWalSegment(env_, segment_, 0), StatusCode::kDataLoss);
  env_.Corrupt(segment_.path, "");
  EXPECT_TRUE(ScanWalSegment(env_, segment_, 0)->torn_tail);
}

TEST_F(WalTest, StrayFilesAreReported) {
  env_.Corrupt("/wal/junk", "x");
  EXPECT_RSF_CODE(ListWalSegments(env_, "/wal"), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace rsf::ledger
