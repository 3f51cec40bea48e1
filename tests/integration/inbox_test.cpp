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

}  // namespace
}  // namespace chatnode::testing
