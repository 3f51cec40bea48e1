// A large inbox reaches its user in order, page by page, without the node dropping the
// connection as a slow reader, and events sent while the user catches up queue behind it.
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chatnode::testing {
namespace {

TEST(IntegrationInbox, AnInboxLargerThanTheWriteQueueArrivesWholeAndInOrder) {
  node_options options;
  options.limits = {{"write_queue_messages", 16}};  // pages of 4 frames
  node_process node(options);
  node.start();
  register_users(node, {"alice", "bob"});
  auto alice = login_user(node, "alice");
  {
    auto bob = login_user(node, "bob");
    make_friends(*alice, "alice", *bob, "bob");
    logout_user(*bob, "bob");
  }
  constexpr int count = 300;  // far more than the 16-frame write queue
  for (int i = 0; i < count; ++i) send_text_ok(*alice, "alice", "bob", "m" + std::to_string(i));

  auto bob = login_user(node, "bob");
  // A message sent while bob catches up must come after everything older.
  const std::string late = send_text_ok(*alice, "alice", "bob", "late");
  for (int i = 0; i < count; ++i) {
    auto m = expect_message(*bob, "TEXT_MESSAGE");
    ASSERT_TRUE(is_text(m, full_id("alice"), full_id("bob"), "m" + std::to_string(i)));
  }
  auto last = expect_message(*bob, "TEXT_MESSAGE");
  EXPECT_TRUE(is_text(last, full_id("alice"), full_id("bob"), "late"));
  EXPECT_EQ(payload_string(last, "messageId"), late);
  EXPECT_TRUE(bob->is_open());
}


// Large messages: a page bounded only by count (512 frames of 16 KB = 8 MiB) overflowed the
// write queue, the node dropped the user and the page was gone. Pages are bounded by bytes too.
TEST(IntegrationInbox, AnInboxOfLargeMessagesLargerThanTheQueueInBytesArrivesWhole) {
  node_options options;
  options.limits = {{"write_queue_bytes", 1 << 20}};  // 1 MiB; the inbox below is 1.6 MB
  node_process node(options);
  node.start();
  register_users(node, {"alice", "bob"});
  auto alice = login_user(node, "alice");
  {
    auto bob = login_user(node, "bob");
    make_friends(*alice, "alice", *bob, "bob");
    logout_user(*bob, "bob");
  }
  constexpr int count = 100;
  const std::string pad(16000, 'x');
  for (int i = 0; i < count; ++i) send_text_ok(*alice, "alice", "bob", std::to_string(i) + pad);
  auto bob = login_user(node, "bob");
  for (int i = 0; i < count; ++i) {
    auto m = expect_message(*bob, "TEXT_MESSAGE");
    ASSERT_EQ(payload_string(m, "content"), std::to_string(i) + pad) << i;
  }
  EXPECT_TRUE(bob->is_open());
  // Delivered means gone from the inbox: the next login brings nothing again.
  logout_user(*bob, "bob");
  bob = login_user(node, "bob");
  EXPECT_FALSE(bob->wait_for("TEXT_MESSAGE", std::chrono::milliseconds(500))) << drain_queued(*bob);
}

}  // namespace
}  // namespace chatnode::testing
