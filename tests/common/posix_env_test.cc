#include "rsf/common/env.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf {
namespace {

TEST(PosixEnvTest, FilesDirectoriesAndAtomicWrites) {
  testing::TempDir tmp;
  Env& env = Env::Default();
  std::string dir = JoinPath(tmp.path(), "a/b/c");
  ASSERT_RSF_OK(env.CreateDirs(dir));
  std::string f = JoinPath(dir, "x.txt");
  ASSERT_RSF_OK(env.WriteFileAtomic(f, "hello", 0600));
  EXPECT_EQ(*env.ReadFile(f), "hello");
  struct stat st;
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_RSF_OK(env.WriteFileAtomic(f, "world"));
  EXPECT_EQ(*env.ReadFile(f), "world");
  auto names = env.ListDir(dir);
  ASSERT_RSF_OK(names);
  EXPECT_EQ(*names, std::vector<std::string>{"x.txt"});  // no temporary file left behind
  {
    auto w = env.NewAppendableFile(f);
    ASSERT_RSF_OK(w);
    ASSERT_RSF_OK((*w)->Append("!"));
    ASSERT_RSF_OK((*w)->Sync());
    EXPECT_EQ((*w)->Size(), 6u);
  }
  EXPECT_EQ(*env.ReadFile(f), "world!");
  auto ra = env.NewRandomAccessFile(f);
  ASSERT_RSF_OK(ra);
  std::string part;
  ASSERT_RSF_OK((*ra)->Read(1, 3, &part));
  EXPECT_EQ(part, "orl");
  ASSERT_RSF_OK(env.TruncateFile(f, 2));
  EXPECT_EQ(*env.FileSize(f), 2u);
  EXPECT_RSF_CODE(env.ReadFile(JoinPath(dir, "missing")), StatusCode::kNotFound);
  ASSERT_RSF_OK(env.RemoveFile(f));
  ASSERT_RSF_OK(env.RemoveDir(dir));
  EXPECT_FALSE(env.FileExists(dir));
}

TEST(PosixEnvTest, LockIsExclusiveUntilReleased) {
  testing::TempDir tmp;
  Env& env = Env::Default();
  std::string path = JoinPath(tmp.path(), "LOCK");
  auto first = env.LockFile(path);
  ASSERT_RSF_OK(first);
  EXPECT_RSF_CODE(env.LockFile(path), StatusCode::kUnavailable);
  first->reset();
  EXPECT_RSF_OK(env.LockFile(path));
}

TEST(PathTest, DirnameAndJoin) {
  EXPECT_EQ(Dirname("a/b/c"), "a/b");
  EXPECT_EQ(Dirname("a/b/"), "a");
  EXPECT_EQ(Dirname("c"), ".");
  EXPECT_EQ(Dirname("/c"), "/");
  EXPECT_EQ(JoinPath("a/", "/b"), "a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

}  // namespace
}  // namespace rsf
