// C2SP signed notes and checkpoints, including the specification's own example.
#include "rsf/ledger/note.h"

#include <gtest/gtest.h>

#include "rsf/ledger/checkpoint.h"
#include "testing/status_matchers.h"

namespace rsf::ledger {
namespace {

constexpr char kSpecVkey[] = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr char kSpecNote[] =
    "This is an example message.\n\n\xe2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
// golang.org/x/mod sumdb/note test keys (keys with '+' and '/' in the base64 part).
constexpr char kPeterVkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

TEST(NoteTest, SpecificationExampleVerifies) {
  auto v = NoteVerifier::Parse(kSpecVkey);
  ASSERT_RSF_OK(v);
  EXPECT_EQ(v->name(), "example.com/foo");
  EXPECT_EQ(v->key_hash(), 0x530d903au);
  EXPECT_EQ(v->ToString(), kSpecVkey);
  auto note = ParseNote(kSpecNote);
  ASSERT_RSF_OK(note);
  EXPECT_EQ(note->text, "This is an example message.\n");
  EXPECT_RSF_OK(VerifyNote(*note, *v));
  EXPECT_EQ(FormatNote(*note), kSpecNote);
  EXPECT_RSF_OK(NoteVerifier::Parse(kPeterVkey));
}

TEST(NoteTest, TamperedNotesAreRejected) {
  auto v = *NoteVerifier::Parse(kSpecVkey);
  std::string changed = kSpecNote;
  changed[5] = 'X';
  auto note = ParseNote(changed);
  ASSERT_RSF_OK(note);
  EXPECT_RSF_CODE(VerifyNote(*note, v), StatusCode::kPermissionDenied);
  EXPECT_RSF_CODE(ParseNote("no blank line\n\xe2\x80\x94 a AAAA\n"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(ParseNote("text\n\n- a AAAAAAA=\n"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(ParseNote("text\x01\n\n\xe2\x80\x94 a AAAAAAA=\n"), StatusCode::kInvalidArgument);
}

TEST(NoteTest, SignAndVerifyWithGeneratedKeys) {
  auto signer = NoteSigner::Generate("rsf.example/log");
  ASSERT_RSF_OK(signer);
  auto parsed = NoteSigner::Parse(signer->ToString());
  ASSERT_RSF_OK(parsed);
  EXPECT_EQ(parsed->Verifier().ToString(), signer->Verifier().ToString());
  auto signed_note = SignNote("hello\nworld\n", *signer);
  ASSERT_RSF_OK(signed_note);
  auto note = ParseNote(*signed_note);
  ASSERT_RSF_OK(note);
  EXPECT_RSF_OK(VerifyNote(*note, signer->Verifier()));
  // An unknown key's signature is ignored; a note without the known key's is rejected.
  auto other = *NoteSigner::Generate("other.example/witness");
  auto cosigned = AddSignature(*note, other);
  ASSERT_RSF_OK(cosigned);
  auto both = ParseNote(*cosigned);
  ASSERT_RSF_OK(both);
  EXPECT_EQ(both->signatures.size(), 2u);
  EXPECT_RSF_OK(VerifyNote(*both, signer->Verifier()));
  EXPECT_RSF_OK(VerifyNote(*both, other.Verifier()));
  auto only_other = *ParseNote(*SignNote("hello\nworld\n", other));
  EXPECT_RSF_CODE(VerifyNote(only_other, signer->Verifier()), StatusCode::kPermissionDenied);
  EXPECT_RSF_CODE(SignNote("no newline", *signer), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(SignNote("a\n\nb\n", *signer), StatusCode::kInvalidArgument);
}

TEST(NoteTest, KeyParsingErrors) {
  EXPECT_RSF_CODE(NoteVerifier::Parse("name+530d903a"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(NoteVerifier::Parse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"),
                  StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(NoteVerifier::Parse("bad name+530d903a+AAAA"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(NoteSigner::Parse("PRIVATE+KEY+x+00000000+AAAA"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(NoteSigner::Generate("has space"), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(NoteSigner::Generate(""), StatusCode::kInvalidArgument);
}

TEST(CheckpointTest, FormatParseSignOpen) {
  auto signer = *NoteSigner::Generate("rsf.example/log");
  Checkpoint cp{"rsf.example/log", 70000, LeafHash("root"), {}};
  std::string text = FormatCheckpointText(cp);
  EXPECT_EQ(text, "rsf.example/log\n70000\n" + HashBase64(cp.root) + "\n");
  auto parsed = ParseCheckpointText(text);
  ASSERT_RSF_OK(parsed);
  EXPECT_EQ(parsed->size, 70000u);
  EXPECT_EQ(parsed->root, cp.root);
  auto signed_cp = SignCheckpoint(cp, signer);
  ASSERT_RSF_OK(signed_cp);
  auto opened = OpenCheckpoint(signed_cp->note, signer.Verifier());
  ASSERT_RSF_OK(opened);
  EXPECT_EQ(opened->checkpoint.size, 70000u);
  auto other = *NoteSigner::Generate("other.example/log");
  EXPECT_RSF_CODE(OpenCheckpoint(signed_cp->note, other.Verifier()), StatusCode::kInvalidArgument);
  EXPECT_RSF_CODE(SignCheckpoint(cp, other), StatusCode::kInvalidArgument);
  std::string forged = signed_cp->note;
  forged.replace(forged.find("70000"), 5, "70001");
  EXPECT_RSF_CODE(OpenCheckpoint(forged, signer.Verifier()), StatusCode::kPermissionDenied);
}

TEST(CheckpointTest, ParseErrorsNameTheLine) {
  EXPECT_RSF_CODE(ParseCheckpointText("origin\n01\nAAAA\n"), StatusCode::kInvalidArgument);
  auto r = ParseCheckpointText("origin\nten\n" + HashBase64(EmptyRoot()) + "\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
  r = ParseCheckpointText("origin\n10\nAAAA\n");
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos);
  EXPECT_RSF_CODE(ParseCheckpointText("origin\n10\n"), StatusCode::kInvalidArgument);
  auto ext = ParseCheckpointText("o\n0\n" + HashBase64(EmptyRoot()) + "\nextension\n");
  ASSERT_RSF_OK(ext);
  EXPECT_EQ(ext->extensions, std::vector<std::string>{"extension"});
}

}  // namespace
}  // namespace rsf::ledger
