#include "rsf/curate/line_reader.h"

#include <gtest/gtest.h>

#include "curate/curate_test_util.h"
#include "rsf/common/encoding.h"
#include "testing/temp_dir.h"

namespace rsf::curate {
namespace {

std::vector<std::string> ReadAll(const std::string& path, Status* error = nullptr) {
  auto r = LineReader::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> lines;
  std::string line;
  for (;;) {
    auto more = (*r)->Next(&line);
    if (!more.ok()) {
      if (error) *error = more.status();
      break;
    }
    if (!*more) break;
    lines.push_back(line);
  }
  return lines;
}

TEST(LineReaderTest, ReadsPlainGzipAndZstdAlike) {
  rsf::testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"text\":\"line " + std::to_string(i) + "\"}\n";
  text += "last line without a newline\r";
  testing::Write(dir.Sub("a.jsonl"), text);
  testing::Write(dir.Sub("a.gz"), testing::Gzip(text));
  testing::Write(dir.Sub("a.zst"), testing::Zstd(text));
  // Two gzip members and two zstd frames, as concatenating files makes.
  const size_t half = text.find('\n', text.size() / 2) + 1;
  testing::Write(dir.Sub("b.gz"), testing::Gzip(text.substr(0, half)) + testing::Gzip(text.substr(half)));
  testing::Write(dir.Sub("b.zst"), testing::Zstd(text.substr(0, half)) + testing::Zstd(text.substr(half)));
  for (const char* f : {"a.jsonl", "a.gz", "a.zst", "b.gz", "b.zst"}) {
    const auto lines = ReadAll(dir.Sub(f));
    ASSERT_EQ(lines.size(), 20001u) << f;
    EXPECT_EQ(lines[12345], "{\"text\":\"line 12345\"}") << f;
    EXPECT_EQ(lines.back(), "last line without a newline") << f;
  }
  auto r = LineReader::Open(dir.Sub("a.gz"));
  ASSERT_TRUE(r.ok());
  std::string line;
  while (*(*r)->Next(&line)) {
  }
  EXPECT_EQ((*r)->compression(), Compression::kGzip);
  EXPECT_EQ((*r)->text_bytes(), text.size());
  const std::string stored = testing::Read(dir.Sub("a.gz"));
  EXPECT_EQ((*r)->stored_bytes(), stored.size());
  EXPECT_EQ(HexEncode((*r)->StoredDigest()), Sha256Hex(stored));
}

TEST(LineReaderTest, TruncatedCompressedFilesAreErrorsNotShorterCorpora) {
  rsf::testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"text\":\"document number " + std::to_string(i) + "\"}\n";
  const std::string gz = testing::Gzip(text), zst = testing::Zstd(text);
  testing::Write(dir.Sub("cut.gz"), gz.substr(0, gz.size() * 2 / 3));
  testing::Write(dir.Sub("cut.zst"), zst.substr(0, zst.size() * 2 / 3));
  for (const char* f : {"cut.gz", "cut.zst"}) {
    Status error;
    const auto lines = ReadAll(dir.Sub(f), &error);
    EXPECT_EQ(error.code(), StatusCode::kDataLoss) << f;
    EXPECT_NE(error.message().find("truncated"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find(f), std::string::npos) << error.message();
    EXPECT_LT(lines.size(), 5000u);
  }
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;
  corrupt[gz.size() / 2 + 1] ^= 0x55;
  testing::Write(dir.Sub("bad.gz"), corrupt);
  Status error;
  ReadAll(dir.Sub("bad.gz"), &error);
  EXPECT_EQ(error.code(), StatusCode::kDataLoss);
  EXPECT_EQ(LineReader::Open(dir.Sub("missing.jsonl")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace rsf::curate
