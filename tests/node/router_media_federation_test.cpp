// Media between nodes, the router's side, on a real store without links: the "media" event
// under the authority rule and the business refusals, the end of a fetch (bytes that match
// are published; bytes that do not are dropped and fetched again, then given up after
// federation::media_fetch::max_attempts), and the origin's side (an upload to a remote friend is
// announced through the outbox and let go once that node says "media_done").
#include "router_fixture.hpp"

#include "federation/inbox.hpp"
#include "federation/media_fetch.hpp"
#include "store/tables.hpp"

#include "crypto/encoding.hpp"
#include "store/keys.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <future>

namespace chatnode::node {
namespace {
namespace json = boost::json;
using testing::fake_session;

constexpr const char* carol = "carol@beta.example";

class RouterMediaFederationTest : public testing::router_fixture {
 protected:
  void SetUp() override {
    bob_ = session();
    reg(bob_, "bob");
    run([](store::txn& t) { store::add_friendship(t, "bob@alpha.example", carol, 1); });
  }
  void run(std::function<void(store::txn&)> job) {
    std::promise<std::error_code> done;
    writer_->submit(std::move(job), [&done](std::error_code ec) { done.set_value(ec); });
    ASSERT_FALSE(done.get_future().get());
  }
  remote_result receive(const std::string& origin, const std::string& event) {
    std::promise<remote_result> done;
    federation::receive_event(*writer_, *router_, origin, "stream-" + origin, ++seq_[origin], 0, boost::json::parse(event).as_object(),
                               [&done](federation::received& r) { done.set_value(r.result); });
    return done.get_future().get();
  }
  fetch_outcome finish(const std::string& media_id) {
    std::promise<fetch_outcome> done;
    router_->finish_fetch(media_id, [&done](fetch_outcome o) { done.set_value(o); });
    return done.get_future().get();
  }
  static std::string announce(const std::string& sender, const std::string& receiver, const std::string& sha,
                              std::uint64_t size, std::uint32_t total) {
    return json::serialize(json::object{{"kind", "media"}, {"mediaId", "pic"}, {"sender", sender}, {"receiver", receiver},
                                        {"mediaType", "image/png"}, {"mediaSize", size}, {"totalChunks", total},
                                        {"sha256", sha}, {"timestamp", 1700000000}, {"to", json::array{receiver}}});
  }
  // What media_fetch does with each FED_MEDIA_DATA: the chunk into media_chunks, the counts.
  void store_chunks(const std::string& media_id, const std::vector<std::string>& chunks) {
    run([&](store::txn& t) {
      auto m = store::load_media(t, media_id);
      ASSERT_TRUE(m);
      for (std::uint32_t i = 0; i < chunks.size(); ++i) {
        t.put(store::table_id::media_chunks, store::chunk_key(media_id, i + 1), chunks[i]);
        m->bytes += chunks[i].size();
        ++m->chunks;
      }
      store::save_media(t, media_id, *m);
    });
  }
  std::vector<json::object> outbox(const std::string& peer) {
    std::vector<json::object> out;
    auto t = db_->begin_read();
    for (const auto& e : store::outbox_read(t, peer, 0, 1000)) out.push_back(json::parse(e.event).as_object());
    return out;
  }
  const json::object* last_of_kind(const std::vector<json::object>& events, std::string_view kind) {
    const json::object* found = nullptr;
    for (const auto& e : events)
      if (e.at("kind").as_string() == kind) found = &e;
    return found;
  }
  static std::string sha_of(std::string_view bytes) {
    return crypto::to_hex(crypto::sha256_digest(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())));
  }

  // The next frame of `type` the session gets (others, like friend statuses, are skipped).
  static json::object next_of(const std::shared_ptr<fake_session>& s, std::string_view type) {
    for (int i = 0; i < 10; ++i) {
      auto m = s->next();
      if (m.empty() || m.at("type").as_string() == type) return m;
    }
    return {};
  }

  std::shared_ptr<fake_session> bob_;  // registered bob; logs in where a test needs it
  std::map<std::string, std::uint64_t> seq_;
};

TEST_F(RouterMediaFederationTest, RefusesMediaFromANodeThatDoesNotSpeakForTheSender) {
  const auto r = receive("gamma.example", announce(carol, "bob@alpha.example", sha_of("hello"), 5, 1));
  EXPECT_EQ(r.code, 9005) << r.reason;
  auto t = db_->begin_read();
  EXPECT_FALSE(store::load_media(t, "pic"));
  EXPECT_FALSE(t.get(store::table_id::media_fetches, "pic"));
}

TEST_F(RouterMediaFederationTest, DeclinesMediaFromAStrangerAndTellsTheOrigin) {
  const auto r = receive("beta.example", announce("dan@beta.example", "bob@alpha.example", sha_of("hello"), 5, 1));
  EXPECT_EQ(r.code, 0) << r.reason;
  const auto events_done = outbox("beta.example");
  const auto* done = last_of_kind(events_done, "media_done");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->at("mediaId").as_string(), "pic");
  EXPECT_EQ(done->at("code").as_int64(), 7002);
  auto t = db_->begin_read();
  EXPECT_FALSE(t.get(store::table_id::media_fetches, "pic"));
}

TEST_F(RouterMediaFederationTest, MatchingBytesArePublishedToTheRecipient) {
  const std::string bytes = "hello, world";
  ASSERT_EQ(receive("beta.example", announce(carol, "bob@alpha.example", sha_of(bytes), bytes.size(), 2)).code, 0);
  {
    auto t = db_->begin_read();
    auto f = load_fetch(t, "pic");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->origin, "beta.example");
    EXPECT_EQ(f->origin_id, "pic");
  }
  store_chunks("pic", {"hello, ", "world"});
  EXPECT_EQ(finish("pic"), fetch_outcome::published);
  {
    auto t = db_->begin_read();
    EXPECT_FALSE(t.get(store::table_id::media_fetches, "pic"));
    auto m = store::load_media(t, "pic");
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->complete);
    EXPECT_EQ(m->sha256, sha_of(bytes));
    EXPECT_TRUE(t.get(store::table_id::media_deliveries, store::key2("bob@alpha.example", "pic")));
  }
  const auto events_done = outbox("beta.example");
  const auto* done = last_of_kind(events_done, "media_done");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->at("code").as_int64(), 0);
  // bob logs in: the offer, from carol, with the checked hash.
  auto& bob = bob_;
  ASSERT_EQ(code(login(bob, "bob")), 0);
  const auto offer = next_of(bob, "MEDIA_MESSAGE");
  ASSERT_FALSE(offer.empty());
  EXPECT_EQ(offer.at("payload").at("sender").as_string(), carol);
  EXPECT_EQ(offer.at("payload").at("sha256").as_string(), sha_of(bytes));
}

TEST_F(RouterMediaFederationTest, MismatchedBytesAreFetchedAgainThenGivenUp) {
  const std::string bytes = "the real bytes";
  ASSERT_EQ(receive("beta.example", announce(carol, "bob@alpha.example", sha_of(bytes), bytes.size(), 1)).code, 0);
  for (std::uint32_t attempt = 1; attempt <= federation::media_fetch::max_attempts; ++attempt) {
    store_chunks("pic", {"the fake bytes"});  // same size, other content
    const auto outcome = finish("pic");
    auto t = db_->begin_read();
    EXPECT_FALSE(t.get(store::table_id::media_chunks, store::chunk_key("pic", 1))) << "attempt " << attempt;
    if (attempt < federation::media_fetch::max_attempts) {
      EXPECT_EQ(outcome, fetch_outcome::refetch);
      auto f = load_fetch(t, "pic");
      ASSERT_TRUE(f);
      EXPECT_EQ(f->attempts, attempt);
      auto m = store::load_media(t, "pic");
      ASSERT_TRUE(m);
      EXPECT_EQ(m->chunks, 0u);
      EXPECT_EQ(m->bytes, 0u);
    } else {
      EXPECT_EQ(outcome, fetch_outcome::failed);
      EXPECT_FALSE(load_fetch(t, "pic"));
      EXPECT_FALSE(store::load_media(t, "pic"));
    }
  }
  const auto events_done = outbox("beta.example");
  const auto* done = last_of_kind(events_done, "media_done");
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->at("code").as_int64(), 8005);
}

TEST_F(RouterMediaFederationTest, UploadToARemoteFriendIsAnnouncedAndReleasedWhenThatNodeHasIt) {
  auto& bob = bob_;
  ASSERT_EQ(code(login(bob, "bob")), 0);
  send(bob, std::string(R"({"type":"MEDIA_MESSAGE","payload":{"sender":"bob","receiver":")") + carol +
                              R"(","mediaId":"up1","mediaType":"text/plain","mediaSize":5}})");
  const auto ack = next_of(bob, "MEDIA_MESSAGE_ACK");
  ASSERT_FALSE(ack.empty());
  ASSERT_EQ(code(ack), 0);
  send(bob, std::string(R"({"type":"MEDIA_MESSAGE_DATA","payload":{"sender":"bob","receiver":")") + carol +
                R"(","mediaId":"up1","data":"aGVsbG8=","chunkIndex":1,"totalChunks":1}})");
  const auto complete = next_of(bob, "MEDIA_MESSAGE_COMPLETE");
  ASSERT_FALSE(complete.empty());
  ASSERT_EQ(code(complete), 0);

  const auto events_media = outbox("beta.example");
  const auto* media = last_of_kind(events_media, "media");
  ASSERT_NE(media, nullptr);
  EXPECT_EQ(media->at("mediaId").as_string(), "up1");
  EXPECT_EQ(media->at("sender").as_string(), "bob@alpha.example");
  EXPECT_EQ(media->at("sha256").as_string(), sha_of("hello"));
  EXPECT_EQ(json::serialize(media->at("to")), std::string(R"([")") + carol + R"("])");
  {
    auto t = db_->begin_read();
    EXPECT_TRUE(t.get(store::table_id::media_deliveries, store::key2("@beta.example", "up1")));
    // carol's history lives on her node, not here.
    EXPECT_FALSE(t.get(store::table_id::history, store::key_seq(carol, 1)));
  }
  // Another node cannot release it for beta.
  EXPECT_EQ(receive("gamma.example", R"({"kind":"media_done","mediaId":"up1","code":0})").code, 0);
  {
    auto t = db_->begin_read();
    EXPECT_TRUE(store::load_media(t, "up1"));
  }
  EXPECT_EQ(receive("beta.example", R"({"kind":"media_done","mediaId":"up1","code":0})").code, 0);
  auto t = db_->begin_read();
  EXPECT_FALSE(store::load_media(t, "up1"));
  EXPECT_FALSE(t.get(store::table_id::media_chunks, store::chunk_key("up1", 1)));
}

}  // namespace
}  // namespace chatnode::node
