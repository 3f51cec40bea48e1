// Media retention: purge_expired_media deletes media older than media.retention, whatever
// its state, chunks included.
#include "router_fixture.hpp"

#include "store/tables.hpp"

#include <future>

namespace chatnode::node {
namespace {
using testing::fake_session;

class RouterMediaTest : public testing::router_fixture {
 protected:
  void befriend(const std::shared_ptr<fake_session>& a, const std::shared_ptr<fake_session>& b) {
    send(a, R"({"type":"FRIEND_REQUEST","payload":{"sender":"alice","receiver":"bob"}})");
    send(b, R"({"type":"FRIEND_REQUEST_RESPONSE","payload":{"sender":"alice","receiver":"bob","code":0}})");
  }
  bool media_exists(const std::string& media_id) {
    auto t = db_->begin_read();
    return store::load_media(t, media_id).has_value() ||
           t.get(store::table_id::media_chunks, store::chunk_key(media_id, 1)).has_value();
  }
  // Waits until every job submitted so far has committed.
  void drain_writer() {
    std::promise<void> done;
    writer_->submit([](store::txn&) {}, [&done](std::error_code) { done.set_value(); });
    done.get_future().wait();
  }
};

TEST_F(RouterMediaTest, ExpiredMediaIsPurgedWithItsChunks) {
  auto alice = session();
  auto bob = session();
  reg(alice, "alice");
  reg(bob, "bob");
  ASSERT_EQ(code(login(alice, "alice")), 0);
  ASSERT_EQ(code(login(bob, "bob")), 0);
  befriend(alice, bob);
  // An unfinished upload: one of two chunks.
  send(alice, R"({"type":"MEDIA_MESSAGE","payload":{"sender":"alice","receiver":"bob","mediaId":"m1","mediaType":"text/plain","mediaSize":4}})");
  send(alice, R"({"type":"MEDIA_MESSAGE_DATA","payload":{"sender":"alice","receiver":"bob","mediaId":"m1","data":"YWI=","chunkIndex":1,"totalChunks":2}})");
  drain_writer();
  ASSERT_TRUE(media_exists("m1"));

  router_->purge_expired_media();  // retention 7 days: nothing is old enough
  drain_writer();
  EXPECT_TRUE(media_exists("m1"));

  cfg_.media.retention = std::chrono::seconds(-1);  // everything is "older" now
  router_->purge_expired_media();
  drain_writer();
  EXPECT_FALSE(media_exists("m1"));
}

}  // namespace
}  // namespace chatnode::node
