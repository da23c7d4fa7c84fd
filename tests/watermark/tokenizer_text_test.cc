// The GGUF tokenizer and detection on text, on the shared TinyStories model (skipped when
// ../shared/data is absent), including agreement with the ids llama.cpp generates.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rsf/model/llama_backend.h"
#include "rsf/model/tokenizer.h"
#include "rsf/watermark/hook.h"
#include "rsf/watermark/text_detect.h"
#include "testing/temp_dir.h"

namespace rsf::watermark {
namespace {

std::string Gguf() {
  const char* src = std::getenv("RSF_SOURCE_DIR");
  return std::string(src ? src : ".") + "/../shared/data/models/stories260K.gguf";
}

class GgufTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(Gguf())) GTEST_SKIP() << Gguf() << " absent: shared data not available";
    auto t = model::LoadGgufTokenizer(Gguf());
    ASSERT_TRUE(t.ok()) << t.status().message();
    tok_ = std::move(*t);
  }
  std::unique_ptr<model::Tokenizer> tok_;
};

TEST_F(GgufTokenizerTest, ReadsTheVocabularyAndRoundTripsText) {
  EXPECT_EQ(tok_->VocabSize(), 512);
  EXPECT_EQ(tok_->Digest().size(), 7u + 64u);
  const std::string text = " Once upon a time, there was a little girl named Lily.";
  const auto ids = tok_->Encode(text);
  EXPECT_LT(ids.size(), text.size() / 2) << "merges apply";
  EXPECT_EQ(tok_->Decode(ids), text);
  for (int32_t id : ids) EXPECT_FALSE(tok_->IsFallback(id));
  // Outside the vocabulary: byte fallback, and it still decodes to the same bytes.
  const std::string other = "ñandú 漢字";
  const auto fb = tok_->Encode(other);
  EXPECT_TRUE(tok_->IsFallback(fb.back()));
  EXPECT_EQ(tok_->Decode(fb), " " + other);
}

TEST_F(GgufTokenizerTest, ReTokenizingGeneratedTextGivesTheGeneratedIds) {
  if (!model::LlamaAvailable()) GTEST_SKIP() << "built without llama.cpp";
  // Record the ids llama.cpp generates through a hook, then compare with Encode(text).
  struct Recorder : model::SamplerHook {
    std::vector<int32_t> last;
    void AdjustLogits(std::span<const int32_t> c, std::span<float>) override { last.assign(c.begin(), c.end()); }
  } rec;
  model::LlamaOptions o;
  o.path = Gguf();
  o.hook = &rec;
  o.n_threads = 1;
  auto m = model::OpenLlamaModel(o, {"stories260K", "", "llama.cpp"});
  ASSERT_TRUE(m.ok()) << m.status().message();
  model::GenerateRequest req;
  req.prompt = "Once upon a time";
  req.sampling.max_tokens = 60;
  req.sampling.temperature = 0.8;
  req.sampling.seed = 5;
  req.sampling.ignore_eos = true;
  auto r = (*m)->Generate(req);
  ASSERT_TRUE(r.ok());
  // The recorder saw prompt (with BOS) + all but the last generated token.
  std::vector<int32_t> generated(rec.last.end() - 59, rec.last.end());
  EXPECT_EQ(tok_->Decode(generated), r->text.substr(0, tok_->Decode(generated).size()));
  // The text continues the prompt without a space, which re-tokenizing alone may split
  // differently at the very start; compare from the end.
  const auto ids = tok_->Encode(r->text);
  const size_t n = std::min(ids.size(), generated.size()) - 3;
  size_t same = 0;
  for (size_t i = 1; i <= n; ++i) same += ids[ids.size() - 1 - i] == generated[generated.size() - i];
  EXPECT_GE(same, n * 9 / 10) << r->text;
}

TEST_F(GgufTokenizerTest, TextVerdictsForKeysTokenizersAndLength) {
  Keyring ring;
  auto k = NewKey("wm-1", {}, "");
  ASSERT_TRUE(k.ok());
  ring.keys.push_back(*k);
  ring.active = "wm-1";
  TextDetectOptions o;
  o.key_id = "wm-9";
  EXPECT_EQ(DetectText(*tok_, "Once upon a time there was a dog.", ring, o).detection.verdict, Verdict::kUnknownKeyId);
  o.key_id.clear();
  const TextDetection cjk = DetectText(*tok_, "从前有一个小女孩，她喜欢在公园里和朋友们一起玩耍。", ring, o);
  EXPECT_EQ(cjk.detection.verdict, Verdict::kTokenizerMismatch);
  EXPECT_NE(cjk.detection.detail.find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(DetectText(*tok_, "", ring, o).detection.verdict, Verdict::kInsufficientTokens);
  EXPECT_EQ(DetectText(*tok_, "The dog ran.", ring, o).detection.verdict, Verdict::kInsufficientTokens);
  const Json j = DetectionToJson(DetectText(*tok_, "The dog ran to the park and played with the ball all day long.", ring, o));
  EXPECT_EQ(j["verdict"], "not_watermarked");
  EXPECT_EQ(j["key_id"], "wm-1");
  EXPECT_EQ(j["tokenizer"], tok_->Digest());
}

TEST(GgufFileTest, BadFilesAreNamedWithTheReason) {
  testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir.Sub(name), std::ios::binary) << bytes;
    return dir.Sub(name);
  };
  auto no = model::LoadGgufTokenizer(dir.Sub("absent.gguf"));
  EXPECT_EQ(no.status().code(), StatusCode::kNotFound);
  auto text = model::LoadGgufTokenizer(write("a.gguf", "hello world, not a model"));
  EXPECT_NE(text.status().message().find("not a GGUF file"), std::string::npos);
  auto cut = model::LoadGgufTokenizer(write("b.gguf", std::string("GGUF\x03\0\0\0", 8) + std::string(4, '\0')));
  EXPECT_NE(cut.status().message().find("truncated"), std::string::npos);
  EXPECT_NE(cut.status().message().find("b.gguf"), std::string::npos);
}

// A GGUF file with just a vocabulary, as the tokenizer reads it (version 3, no tensors).
std::string VocabGguf(const std::vector<std::string>& tokens, const std::vector<int32_t>& types) {
  std::string out("GGUF", 4);
  auto put = [&](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto str = [&](const std::string& t) {
    put(uint64_t{t.size()});
    out += t;
  };
  put(uint32_t{3});
  put(uint64_t{0});  // tensors
  put(uint64_t{3});  // metadata keys
  str("tokenizer.ggml.model");
  put(uint32_t{8});
  str("llama");
  str("tokenizer.ggml.tokens");
  put(uint32_t{9});
  put(uint32_t{8});
  put(uint64_t{tokens.size()});
  for (const auto& t : tokens) str(t);
  str("tokenizer.ggml.token_type");
  put(uint32_t{9});
  put(uint32_t{5});
  put(uint64_t{types.size()});
  for (int32_t t : types) put(t);
  return out;
}

// Byte tokens must be exactly "<0xHH>": a signed one such as "<0x-6>" once indexed past the
// byte table (found by fuzz/watermark_fuzzer.cc).
TEST(GgufFileTest, OnlyTwoHexDigitByteTokensStandForBytes) {
  testing::TempDir dir;
  const std::string path = dir.Sub("v.gguf");
  std::ofstream(path, std::ios::binary) << VocabGguf({"<unk>", "<0x-6>", "<0x41>", "<0x4g>", "b"}, {2, 6, 6, 6, 1});
  auto tok = model::LoadGgufTokenizer(path);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const std::vector<int32_t> ids = {1, 2, 3, 4};
  EXPECT_EQ((*tok)->Decode(ids), "Ab");
  for (int32_t id : (*tok)->Encode("A\xfa")) EXPECT_TRUE(id >= 0 && id < (*tok)->VocabSize()) << id;
  EXPECT_EQ((*tok)->Encode("A").back(), 2);
}

}  // namespace
}  // namespace rsf::watermark
