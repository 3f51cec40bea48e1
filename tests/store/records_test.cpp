// Stored records read back: what the node wrote decodes to the same record, and a record it
// did not write is refused (nullopt), never an exception (the fuzz target fuzz_store_records
// found one).
#include "store/tables.hpp"

#include <gtest/gtest.h>

namespace chatnode {
namespace {

TEST(StoredRecords, AMessageRoundTrips) {
  store::stored_message m;
  m.timestamp = 1700000000;
  m.sender = "carol@beta.example";
  m.receiver = "bob@alpha.example";
  m.media_id = "Qx7kP2mA9cLd4TzW.cat.png";
  m.media_type = "image/png";
  m.media_size = 12345;
  const auto back = store::decode_message(store::encode_message(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->media_size, 12345u);
  EXPECT_EQ(back->media_id, m.media_id);
}

TEST(StoredRecords, AMediaSizeThatIsNotAnUnsignedIntegerIsRefused) {
  const std::string base = R"({"t":1700000000,"s":"carol@beta.example","r":"bob@alpha.example","c":"","mi":"cat","mt":"image/png","ms":)";
  EXPECT_FALSE(store::decode_message(base + "12e45}"));  // threw boost::system::system_error before
  EXPECT_FALSE(store::decode_message(base + "1.5}"));
  EXPECT_FALSE(store::decode_message(base + "-1}"));
  EXPECT_FALSE(store::decode_message(base + "\"12\"}"));
  EXPECT_TRUE(store::decode_message(base + "12}"));
}

}  // namespace
}  // namespace chatnode
