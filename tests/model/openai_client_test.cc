#include "rsf/model/openai_client.h"
#include "rsf/model/openai_wire.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/local_endpoint.h"

namespace rsf::model {
namespace {

using rsf::testing::LocalEndpoint;
using rsf::testing::LocalReply;
using nlohmann::json;

OpenAiOptions Options(const LocalEndpoint& ep) {
  OpenAiOptions o;
  o.base_url = ep.base_url();
  o.model = "stub-model";
  o.initial_backoff = std::chrono::milliseconds(1);
  o.max_backoff = std::chrono::milliseconds(5);
  o.timeout = std::chrono::milliseconds(5000);
  return o;
}

GenerateRequest Chat(std::string text) {
  GenerateRequest r;
  r.messages.push_back({"user", std::move(text)});
  return r;
}

TEST(OpenAiClientTest, ChatRequestCarriesSamplingAndParsesTheReply) {
  json seen;
  LocalEndpoint ep([&](const json& req, const std::string& path) {
    seen = req;
    EXPECT_EQ(path, "/v1/chat/completions");
    LocalReply r;
    r.text = "Paris.";
    r.top_logprobs = {{"Paris", -0.1}, {"Lyon", -2.5}};
    return r;
  });
  auto client = MakeOpenAiClient(Options(ep));
  ASSERT_RSF_OK(client);
  GenerateRequest req = Chat("Capital of France?");
  req.sampling.temperature = 0.7;
  req.sampling.seed = 42;
  req.sampling.max_tokens = 12;
  req.sampling.top_logprobs = 2;
  req.sampling.stop = {"\n"};
  auto out = (*client)->Generate(req);
  ASSERT_RSF_OK(out);
  EXPECT_EQ(out->text, "Paris.");
  EXPECT_EQ(out->usage.prompt_tokens, 10);
  ASSERT_EQ(out->logprobs.size(), 1u);
  EXPECT_EQ(out->logprobs[0].top[1].first, "Lyon");
  EXPECT_EQ(seen["model"], "stub-model");
  EXPECT_EQ(seen["seed"], 42);
  EXPECT_EQ(seen["max_tokens"], 12);
  EXPECT_EQ(seen["top_logprobs"], 2);
  EXPECT_EQ(seen["logprobs"], true);
  EXPECT_EQ(seen["messages"][0]["content"], "Capital of France?");
}

TEST(OpenAiClientTest, CompletionModeUsesTheCompletionsPath) {
  LocalEndpoint ep([&](const json& req, const std::string& path) {
    EXPECT_EQ(path, "/v1/completions");
    EXPECT_EQ(req["prompt"], "Once upon");
    LocalReply r;
    r.text = " a time";
    return r;
  });
  auto client = MakeOpenAiClient(Options(ep));
  ASSERT_RSF_OK(client);
  GenerateRequest req;
  req.prompt = "Once upon";
  auto out = (*client)->Generate(req);
  ASSERT_RSF_OK(out);
  EXPECT_EQ(out->text, " a time");
}

TEST(OpenAiClientTest, StreamsServerSentEvents) {
  LocalEndpoint ep([](const json& req, const std::string&) {
    EXPECT_TRUE(req.value("stream", false));
    LocalReply r;
    r.text = "one two three";
    return r;
  });
  auto client = MakeOpenAiClient(Options(ep));
  ASSERT_RSF_OK(client);
  std::vector<std::string> deltas;
  StreamCallback cb = [&](std::string_view d) {
    deltas.emplace_back(d);
    return true;
  };
  auto out = (*client)->Generate(Chat("count"), &cb);
  ASSERT_RSF_OK(out);
  EXPECT_EQ(out->text, "one two three");
  EXPECT_EQ(deltas.size(), 3u);
  EXPECT_EQ(out->usage.completion_tokens, 3);
}

TEST(OpenAiClientTest, RetriesServerErrorsAndRateLimitsThenSucceeds) {
  std::atomic<int> calls{0};
  LocalEndpoint ep([&](const json&, const std::string&) {
    LocalReply r;
    int n = calls++;
    if (n == 0) r.status = 503;
    if (n == 1) {
      r.status = 429;
      r.headers = {{"Retry-After", "0"}};
    }
    if (n == 2) r.drop_connection = true;
    r.text = "ok";
    return r;
  });
  std::vector<std::chrono::milliseconds> sleeps;
  OpenAiOptions o = Options(ep);
  o.sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  auto out = (*client)->Generate(Chat("hi"));
  ASSERT_RSF_OK(out);
  EXPECT_EQ(out->text, "ok");
  EXPECT_EQ(calls.load(), 4);
  // 503 and 429 wait; the dropped keep-alive connection is retried at once on a new one.
  EXPECT_EQ(sleeps.size(), 2u);
  for (auto d : sleeps) EXPECT_LE(d, o.max_backoff);
}

TEST(OpenAiClientTest, GivesUpAfterMaxRetriesWithUnavailable) {
  LocalEndpoint ep([](const json&, const std::string&) {
    LocalReply r;
    r.status = 500;
    return r;
  });
  OpenAiOptions o = Options(ep);
  o.max_retries = 2;
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  auto out = (*client)->Generate(Chat("hi"));
  EXPECT_RSF_CODE(out, StatusCode::kUnavailable);
  EXPECT_NE(out.status().message().find("3 attempts"), std::string::npos) << out.status().message();
  EXPECT_EQ(ep.requests(), 3);
}

TEST(OpenAiClientTest, ClientErrorsAreNotRetriedAndKeepTheKeySecret) {
  LocalEndpoint ep([](const json&, const std::string&) {
    LocalReply r;
    r.status = 401;
    return r;
  });
  OpenAiOptions o = Options(ep);
  o.api_key = "sk-very-secret-key";
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  auto out = (*client)->Generate(Chat("hi"));
  EXPECT_RSF_CODE(out, StatusCode::kPermissionDenied);
  EXPECT_EQ(out.status().message().find("sk-very-secret-key"), std::string::npos);
  EXPECT_EQ(ep.requests(), 1);

  LocalEndpoint bad([](const json&, const std::string&) {
    LocalReply r;
    r.status = 400;
    return r;
  });
  auto c2 = MakeOpenAiClient(Options(bad));
  ASSERT_RSF_OK(c2);
  EXPECT_RSF_CODE((*c2)->Generate(Chat("hi")), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.requests(), 1);
}

TEST(OpenAiClientTest, TimeOutIsRetriedAndThenReported) {
  LocalEndpoint ep([](const json&, const std::string&) {
    LocalReply r;
    r.delay = std::chrono::milliseconds(300);
    r.text = "late";
    return r;
  });
  OpenAiOptions o = Options(ep);
  o.timeout = std::chrono::milliseconds(50);
  o.max_retries = 1;
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  EXPECT_RSF_CODE((*client)->Generate(Chat("hi")), StatusCode::kDeadlineExceeded);
}

TEST(OpenAiClientTest, UnreachableEndpointIsUnavailable) {
  int port;
  {
    LocalEndpoint ep([](const json&, const std::string&) { return LocalReply{}; });
    port = ep.port();
  }
  OpenAiOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  o.model = "m";
  o.max_retries = 1;
  o.sleep = [](std::chrono::milliseconds) {};
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  auto out = (*client)->Generate(Chat("hi"));
  EXPECT_RSF_CODE(out, StatusCode::kUnavailable);
}

TEST(OpenAiClientTest, ConcurrencyLimitBoundsRequestsInFlight) {
  std::atomic<int> in_flight{0}, peak{0};
  LocalEndpoint ep(
      [&](const json&, const std::string&) {
        int now = ++in_flight;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --in_flight;
        LocalReply r;
        r.text = "x";
        return r;
      },
      8);
  OpenAiOptions o = Options(ep);
  o.max_concurrency = 3;
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] { EXPECT_RSF_OK((*client)->Generate(Chat("hi"))); });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST(OpenAiClientTest, RejectsBadOptionsAndRequests) {
  OpenAiOptions o;
  o.base_url = "ftp://x";
  o.model = "m";
  EXPECT_RSF_CODE(MakeOpenAiClient(o), StatusCode::kInvalidArgument);
  o.base_url = "http://127.0.0.1:1/v1";
  o.model = "";
  EXPECT_RSF_CODE(MakeOpenAiClient(o), StatusCode::kInvalidArgument);
  o.model = "m";
  auto client = MakeOpenAiClient(o);
  ASSERT_RSF_OK(client);
  EXPECT_RSF_CODE((*client)->Generate(GenerateRequest{}), StatusCode::kInvalidArgument);
}

TEST(OpenAiClientTest, InvalidJsonFromEndpointIsAnError) {
  LocalEndpoint ep([](const json&, const std::string&) {
    LocalReply r;
    r.raw_body = "{not json";
    return r;
  });
  auto client = MakeOpenAiClient(Options(ep));
  ASSERT_RSF_OK(client);
  auto out = (*client)->Generate(Chat("hi"));
  EXPECT_RSF_CODE(out, StatusCode::kUnavailable);
  EXPECT_NE(out.status().message().find("invalid JSON"), std::string::npos);
}

// An endpoint's answer whose fields have unexpected types is read leniently: what has the right
// type is used, the rest is left at its default, and nothing throws (found while sweeping
// Json::value calls after fuzz/model_sse_fuzzer.cc missed it).
TEST(OpenAiWireTest, FieldsOfTheWrongTypeDoNotThrow) {
  auto out = ParseOpenAiResponse(R"({"choices":[{"text":"a","logprobs":{"content":[1,{"token":2,"logprob":"x",
      "top_logprobs":[null,{"token":"b","logprob":-1}]}]}}],"model":1,"usage":{"prompt_tokens":"3","completion_tokens":2}})",
                                 /*chat=*/false);
  ASSERT_RSF_OK(out);
  EXPECT_EQ(out->text, "a");
  EXPECT_EQ(out->model, "");
  EXPECT_EQ(out->usage.prompt_tokens, 0);
  EXPECT_EQ(out->usage.completion_tokens, 2);
  ASSERT_EQ(out->logprobs.size(), 2u);
  EXPECT_EQ(out->logprobs[1].token, "");
  EXPECT_EQ(out->logprobs[1].logprob, 0.0);
  ASSERT_EQ(out->logprobs[1].top.size(), 2u);
  EXPECT_EQ(out->logprobs[1].top[1], (std::pair<std::string, double>{"b", -1.0}));
  EXPECT_EQ(OpenAiErrorMessage(R"({"error":{"message":7}})"), R"({"error":{"message":7}})");
}

}  // namespace
}  // namespace rsf::model
