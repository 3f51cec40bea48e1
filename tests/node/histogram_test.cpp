// The /metrics building blocks without a node: the histogram's buckets and text, request
// latency and its per-thread scope, the message counters.
#include "node/histogram.hpp"
#include "node/message_counters.hpp"
#include "node/request_latency.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <thread>
#include <vector>

namespace chatnode::node {
namespace {

using protocol::message_type;
using namespace std::chrono_literals;

std::string text_of(const histogram& h, std::string_view labels = "") {
  std::ostringstream out;
  h.write_samples(out, "t", labels);
  return out.str();
}

TEST(Histogram, BucketsAreCumulativeAndLeIsInclusive) {
  const double bounds[] = {0.5, 1, 2.5};
  histogram h(bounds);
  for (double v : {0.1, 0.5, 0.7, 1.0, 3.0, 100.0}) h.observe(v);
  const auto s = h.read();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 4, 4, 6}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 105.3);
  EXPECT_EQ(text_of(h, R"(type="x")"),
            "t_bucket{type=\"x\",le=\"0.5\"} 2\n"
            "t_bucket{type=\"x\",le=\"1\"} 4\n"
            "t_bucket{type=\"x\",le=\"2.5\"} 4\n"
            "t_bucket{type=\"x\",le=\"+Inf\"} 6\n"
            "t_sum{type=\"x\"} 105.3\n"
            "t_count{type=\"x\"} 6\n");
}

TEST(Histogram, EmptyAndWithoutLabels) {
  const double bounds[] = {0.001};
  histogram h(bounds);
  EXPECT_EQ(text_of(h), "t_bucket{le=\"0.001\"} 0\nt_bucket{le=\"+Inf\"} 0\nt_sum 0\nt_count 0\n");
}

TEST(Histogram, RefusesUnorderedBounds) {
  const double unordered[] = {1, 0.5};
  const double repeated[] = {1, 1};
  EXPECT_THROW(histogram{unordered}, std::invalid_argument);
  EXPECT_THROW(histogram{repeated}, std::invalid_argument);
}

TEST(Histogram, ConcurrentObservationsAreAllCounted) {
  const double bounds[] = {1, 2};
  histogram h(bounds);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) h.observe(i % 3);
    });
  for (auto& t : threads) t.join();
  const auto s = h.read();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_EQ(s.cumulative.back(), 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 4 * (3333.0 * 1 + 3333.0 * 2));
}

TEST(PrometheusNumber, ShortestForm) {
  EXPECT_EQ(format_prometheus_number(0.0005), "0.0005");
  EXPECT_EQ(format_prometheus_number(10), "10");
  EXPECT_EQ(format_prometheus_number(2.5), "2.5");
  EXPECT_EQ(format_prometheus_number(std::numeric_limits<double>::infinity()), "+Inf");
}

TEST(RequestLatency, WritesOnlyTypesSeenWithLowerCaseNames) {
  request_latency latency;
  std::ostringstream empty;
  latency.write(empty);
  EXPECT_NE(empty.str().find("# TYPE chatnode_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_EQ(empty.str().find("_bucket"), std::string::npos);

  latency.observe(message_type::text_message, 3ms);
  latency.observe(message_type::text_message, 40ms);
  latency.observe(message_type::login_request, 2s);
  std::ostringstream out;
  latency.write(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("chatnode_request_duration_seconds_bucket{type=\"text_message\",le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("chatnode_request_duration_seconds_bucket{type=\"text_message\",le=\"0.05\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("chatnode_request_duration_seconds_count{type=\"text_message\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("chatnode_request_duration_seconds_bucket{type=\"login_request\",le=\"1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("chatnode_request_duration_seconds_bucket{type=\"login_request\",le=\"2.5\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("friend_request"), std::string::npos) << text;
  EXPECT_EQ(text.find("# HELP"), text.rfind("# HELP")) << "one family header";
}

TEST(RequestScope, TimesTheFrameUntilTheScopeEndsUnlessTaken) {
  request_latency latency;
  {
    request_scope scope(latency);
    request_scope::set_type(message_type::friend_list_request);
  }
  EXPECT_EQ(latency.of(message_type::friend_list_request).read().count, 1u);

  {
    request_scope scope(latency);  // never named: a frame that did not parse
  }
  request_timer later;
  {
    request_scope scope(latency);
    request_scope::set_type(message_type::text_message);
    later = request_scope::take();
    EXPECT_TRUE(later);
    EXPECT_FALSE(request_scope::take()) << "only the first taker times the request";
  }
  EXPECT_EQ(latency.of(message_type::text_message).read().count, 0u) << "taken: timed by the taker";
  std::this_thread::sleep_for(2ms);
  later.done();
  const auto s = latency.of(message_type::text_message).read();
  EXPECT_EQ(s.count, 1u);
  EXPECT_GE(s.sum, 0.002);

  EXPECT_FALSE(request_scope::take()) << "outside a scope";
  request_timer{}.done();  // times nothing
}

TEST(RequestScope, PausedSessionReleasesAndNestedScopesRestore) {
  request_latency latency;
  request_timer paused;
  {
    request_scope outer(latency);
    request_scope::set_type(message_type::login_request);
    {
      request_scope inner(latency);
      request_scope::set_type(message_type::group_list_request);
    }
    EXPECT_EQ(latency.of(message_type::group_list_request).read().count, 1u);
    paused = outer.release();  // set_type above went to the inner scope only
    EXPECT_TRUE(paused);
  }
  EXPECT_EQ(latency.of(message_type::login_request).read().count, 0u);
  paused.done();
  EXPECT_EQ(latency.of(message_type::login_request).read().count, 1u);
}

TEST(MessageCounters, EveryTypeFromZeroAndTalliesAddOnce) {
  message_counters counters;
  std::ostringstream zero;
  counters.write(zero);
  EXPECT_EQ(zero.str(),
            "# HELP chatnode_messages_total Messages the node accepted from its users (and users of other nodes "
            "acting here), by type.\n"
            "# TYPE chatnode_messages_total counter\n"
            "chatnode_messages_total{type=\"text\"} 0\n"
            "chatnode_messages_total{type=\"group_text\"} 0\n"
            "chatnode_messages_total{type=\"media_chunk\"} 0\n"
            "chatnode_messages_total{type=\"friend_request\"} 0\n");
  message_tally tally;
  tally.add(message_kind::group_text);
  tally.add(message_kind::group_text);
  tally.clear();  // a writer job that runs again starts from nothing
  tally.add(message_kind::group_text);
  counters.add(tally);
  counters.add(message_kind::media_chunk, 3);
  EXPECT_EQ(counters.get(message_kind::group_text), 1u);
  EXPECT_EQ(counters.get(message_kind::media_chunk), 3u);
  EXPECT_EQ(counters.get(message_kind::text), 0u);
}

}  // namespace
}  // namespace chatnode::node
