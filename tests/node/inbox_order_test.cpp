// The inbox's order check (federation/inbox.hpp) on a real store and writer, through the
// router's rules: each (origin, stream, seq) applied once and in order, a gap the origin
// says was acknowledged skipped, a refused event recorded as read.
#include "social_fixture.hpp"

#include <gtest/gtest.h>

namespace chatnode::node {
namespace {
namespace json = boost::json;

class InboxOrderTest : public testing::social_fixture {
 protected:
  federation::received receive(std::uint64_t seq, std::uint64_t after, json::object event = {{"kind", "reset"}}) {
    std::promise<federation::received> done;
    federation::receive_event(*writer_, *router_, "beta.example", "s1", seq, after, std::move(event),
                              [&done](federation::received& r) { done.set_value(r); });
    return done.get_future().get();
  }
  std::uint64_t last_applied() {
    auto t = db_->begin_read();
    return store::fed_in_last(t, "beta.example", "s1");
  }
};

TEST_F(InboxOrderTest, EachEventIsAppliedOnceAndInOrder) {
  auto r = receive(1, 0);
  EXPECT_EQ(r.result.code, 0);
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(last_applied(), 1u);

  r = receive(1, 0);  // a resend after a lost ack
  EXPECT_EQ(r.result.code, 0);
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(last_applied(), 1u);

  r = receive(3, 1);  // 2 is missing and the origin knows it was not acknowledged
  EXPECT_EQ(r.result.code, -1);
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(last_applied(), 1u);

  r = receive(2, 1);
  EXPECT_EQ(r.result.code, 0);
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_EQ(last_applied(), 2u);
}

TEST_F(InboxOrderTest, AGapTheOriginSaysWasAcknowledgedIsSkipped) {
  EXPECT_EQ(receive(1, 0).result.code, 0);
  // The origin says this node acknowledged up to 3: it was restored from a backup since.
  const auto r = receive(4, 3);
  EXPECT_EQ(r.result.code, 0);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(last_applied(), 4u);
}

TEST_F(InboxOrderTest, ARefusedEventIsRecordedAsReadAndNotAppliedAgain) {
  auto r = receive(1, 0, {{"kind", "teleport"}});
  EXPECT_EQ(r.result.code, 9002);
  EXPECT_FALSE(r.result.reason.empty());
  EXPECT_EQ(last_applied(), 1u);
  r = receive(1, 0, {{"kind", "teleport"}});
  EXPECT_EQ(r.result.code, 0);
  EXPECT_TRUE(r.duplicate);
}

}  // namespace
}  // namespace chatnode::node
