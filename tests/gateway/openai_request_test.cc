#include "rsf/gateway/openai_request.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf::gateway {
namespace {

TEST(OpenAiRequestTest, ParsesChatAndCompletionBodies) {
  auto chat = ParseCompletionRequest(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"there"}]}],
      "stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":5,"temperature":0.5,
      "logprobs":true,"top_logprobs":2,"stop":["\n"],"seed":7,"vendor_extension":{"x":1}})", Endpoint::kChat);
  ASSERT_RSF_OK(chat);
  EXPECT_EQ(chat->messages.size(), 2u);
  EXPECT_EQ(chat->messages[1].content, "hi\nthere");
  EXPECT_TRUE(chat->stream);
  EXPECT_TRUE(chat->include_usage);
  EXPECT_EQ(chat->max_tokens, 5);
  EXPECT_EQ(chat->top_logprobs, 2);
  EXPECT_EQ(chat->PromptText(), "be brief\nhi\nthere");
  auto completion = ParseCompletionRequest(R"({"model":"m","prompt":["once upon"],"logprobs":3})", Endpoint::kCompletion);
  ASSERT_RSF_OK(completion);
  EXPECT_EQ(completion->prompt, "once upon");
  EXPECT_EQ(completion->top_logprobs, 3);
}

TEST(OpenAiRequestTest, NamesTheFieldThatIsWrong) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"model":"m","messages":[{"role":"user","content":"x"}])", "request body"},
           {R"([1,2])", "request body: expected a JSON object"},
           {R"({"messages":[{"role":"user","content":"x"}]})", "model: required"},
           {R"({"model":"m","messages":[]})", "messages: expected a non-empty array"},
           {R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages[0].content: expected a string"},
           {R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})", "messages[0].role: 'wizard'"},
           {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})", "only text"},
           {R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":0})", "n: 0 is outside 1..128"},
           {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3})", "temperature: 3 is outside 0..2"},
           {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":"5"})", "max_tokens: expected an integer"},
           {R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":2})", "needs logprobs: true"},
           {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})", "stop[0]: expected a string"},
           {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}", "request body"},
       }) {
    auto r = ParseCompletionRequest(c.body, Endpoint::kChat);
    EXPECT_RSF_CODE(r, StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << c.body << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace rsf::gateway
