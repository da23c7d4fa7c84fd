// Tile layout (C2SP tlog-tiles) and the tile-backed tree, differential against the naive
// reference for every tree size up to 1,000 and every inclusion and consistency proof.
#include "rsf/ledger/tiles.h"

#include <gtest/gtest.h>

#include "rsf/ledger/proof.h"
#include "testing/mem_env.h"
#include "testing/naive_merkle.h"
#include "testing/status_matchers.h"
#include "ledger/tile_reader.h"
#include "ledger/tile_writer.h"

namespace rsf::ledger {
namespace {

TEST(TilesTest, PathsFollowTheSpec) {
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(0), "000");
  EXPECT_EQ(TileIndexPath(999), "999");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(TilePath(0, 1234067, 256), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath(1, 5, 17), "tile/1/005.p/17");
  EXPECT_EQ(EntryBundlePath(3, 112), "tile/entries/003.p/112");
  EXPECT_EQ(EntryBundlePath(3, 256), "tile/entries/003");
}

// The worked example of tlog-tiles: a tree of 70,000 entries.
TEST(TilesTest, WidthsForTheSpecExample) {
  EXPECT_EQ(FullTileCount(0, 70000), 273u);
  EXPECT_EQ(PartialTileWidth(0, 70000), 112u);
  EXPECT_EQ(FullTileCount(1, 70000), 1u);
  EXPECT_EQ(PartialTileWidth(1, 70000), 17u);
  EXPECT_EQ(FullTileCount(2, 70000), 0u);
  EXPECT_EQ(PartialTileWidth(2, 70000), 1u);
  EXPECT_EQ(TopTileLevel(70000), 2);
  EXPECT_EQ(PartialTileWidth(1, 256), 1u);
  EXPECT_EQ(PartialTileWidth(0, 256), 0u);
}

TEST(TilesTest, EntryBundleRoundTripAndTruncation) {
  std::vector<std::string> entries = {"", "a", std::string(300, 'x'), std::string(65535, 'y')};
  std::string bundle = EncodeEntryBundle(entries);
  EXPECT_EQ(bundle.substr(0, 2), std::string("\0\0", 2));
  auto decoded = DecodeEntryBundle(bundle);
  ASSERT_RSF_OK(decoded);
  EXPECT_EQ(*decoded, entries);
  auto truncated = DecodeEntryBundle(bundle.substr(0, bundle.size() - 1));
  EXPECT_RSF_CODE(truncated, StatusCode::kDataLoss);
  EXPECT_NE(truncated.status().message().find("entry 3"), std::string::npos);
  EXPECT_RSF_CODE(DecodeEntryBundle(std::string("\x01", 1)), StatusCode::kDataLoss);
}

TEST(TilesTest, ExpandedTileHoldsEveryInternalNode) {
  std::vector<Hash> hashes;
  for (int i = 0; i < 256; ++i) hashes.push_back(LeafHash(std::to_string(i)));
  testing::NaiveMerkle naive(hashes);
  auto tile = ExpandTile(hashes);
  for (int r = 0; r <= 8; ++r) {
    for (uint64_t i = 0; i < (256u >> r); ++i) {
      ASSERT_EQ(tile->Node(r, i), naive.Mth(i << r, (i + 1) << r));
    }
  }
}

struct Range {
  uint64_t first, last;
};
void PrintTo(const Range& r, std::ostream* os) { *os << "sizes " << r.first << ".." << r.last; }

class TileDifferentialTest : public ::testing::TestWithParam<Range> {};

// Builds the tiles one entry at a time (each size is a separate integration, as separate
// checkpoints would be) and compares every proof of every size in the range with the
// naive reference.
TEST_P(TileDifferentialTest, EveryProofOfEverySize) {
  const Range range = GetParam();
  testing::MemEnv env;
  ASSERT_RSF_OK(env.CreateDirs("/log/tile"));
  TileReader reader(env, "/log", 1 << 14);
  auto writer = TileWriter::Load(env, "/log", reader, 0, EmptyRoot());
  ASSERT_RSF_OK(writer);
  testing::NaiveMerkle naive({});
  for (uint64_t size = 1; size <= range.last; ++size) {
    std::string entry = "entry " + std::to_string(size - 1);
    Hash leaf = LeafHash(entry);
    naive.AddLeaf(leaf);
    ASSERT_RSF_OK((*writer)->Integrate({WalRecord{entry, leaf}}));
    ASSERT_EQ((*writer)->Root(), naive.Root(size));
    if (size < range.first) continue;
    TreeView view(reader, size);
    Hash root = naive.Root(size);
    for (uint64_t m = 0; m < size; ++m) {
      auto proof = InclusionProof(view, m, size);
      ASSERT_RSF_OK(proof);
      ASSERT_EQ(*proof, naive.Path(m, size)) << "inclusion " << m << " in " << size;
      ASSERT_RSF_OK(VerifyInclusion(m, size, naive.Mth(m, m + 1), *proof, root));
    }
    for (uint64_t m = 1; m <= size; ++m) {
      auto proof = ConsistencyProof(view, m, size);
      ASSERT_RSF_OK(proof);
      ASSERT_EQ(*proof, naive.Consistency(m, size)) << "consistency " << m << " to " << size;
    }
    auto e = reader.ReadEntry(size - 1, size);
    ASSERT_RSF_OK(e);
    ASSERT_EQ(*e, entry);
  }
  // Reloading the right edge from disk gives the same tree.
  auto reloaded = TileWriter::Load(env, "/log", reader, range.last, naive.Root(range.last));
  ASSERT_RSF_OK(reloaded);
  EXPECT_EQ((*reloaded)->Root(), naive.Root(range.last));
  EXPECT_RSF_CODE(TileWriter::Load(env, "/log", reader, range.last, LeafHash("x")),
                  StatusCode::kDataLoss);
}

INSTANTIATE_TEST_SUITE_P(Sizes, TileDifferentialTest,
                         ::testing::Values(Range{1, 300}, Range{301, 500}, Range{501, 640},
                                           Range{641, 750}, Range{751, 840}, Range{841, 920},
                                           Range{921, 1000}),
                         [](const auto& param_info) {
                           return "sizes_" + std::to_string(param_info.param.first) + "_to_" +
                                  std::to_string(param_info.param.last);
                         });

TEST(TileWriterTest, SpansSeveralTileLevels) {
  // 70,000 entries reach level 2; integrate in uneven batches and check the root and a few
  // proofs at the far edges.
  testing::MemEnv env;
  ASSERT_RSF_OK(env.CreateDirs("/log/tile"));
  TileReader reader(env, "/log", 64);
  auto writer = TileWriter::Load(env, "/log", reader, 0, EmptyRoot());
  ASSERT_RSF_OK(writer);
  std::vector<Hash> leaves;
  uint64_t next = 0;
  for (uint64_t batch : {1u, 255u, 1000u, 30000u, 38744u}) {
    std::vector<WalRecord> records;
    for (uint64_t i = 0; i < batch; ++i, ++next) {
      std::string e = std::to_string(next);
      leaves.push_back(LeafHash(e));
      records.push_back({e, leaves.back()});
    }
    ASSERT_RSF_OK((*writer)->Integrate(records));
  }
  ASSERT_EQ(next, 70000u);
  testing::NaiveMerkle naive(leaves);
  EXPECT_EQ((*writer)->Root(), naive.Root(70000));
  EXPECT_TRUE(env.FileExists("/log/tile/2/000.p/1"));
  EXPECT_TRUE(env.FileExists("/log/tile/1/000"));
  EXPECT_TRUE(env.FileExists("/log/tile/1/001.p/17"));
  EXPECT_TRUE(env.FileExists("/log/tile/0/272"));
  EXPECT_TRUE(env.FileExists("/log/tile/0/273.p/112"));
  TreeView view(reader, 70000);
  for (uint64_t m : {0u, 255u, 256u, 65535u, 65536u, 69999u}) {
    auto proof = InclusionProof(view, m, 70000);
    ASSERT_RSF_OK(proof);
    EXPECT_EQ(*proof, naive.Path(m, 70000));
  }
  ASSERT_RSF_OK((*writer)->CollectGarbage());
  EXPECT_FALSE(env.FileExists("/log/tile/0/000.p"));
}

}  // namespace
}  // namespace rsf::ledger
