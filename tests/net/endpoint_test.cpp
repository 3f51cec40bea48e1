// How endpoints appear in logs and in the ready line.
#include "net/endpoint.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace chatnode::net {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

TEST(EndpointText, AddressColonPort) {
  EXPECT_EQ(endpoint_text(tcp::endpoint(make_address("127.0.0.1"), 7443)), "127.0.0.1:7443");
  EXPECT_EQ(endpoint_text(tcp::endpoint(make_address("::1"), 80)), "::1:80");
}

TEST(EndpointText, ASocketWithoutPeerIsAQuestionMark) {
  boost::asio::io_context ioc;
  tcp::socket socket(ioc);
  EXPECT_EQ(endpoint_text(socket), "?");
}

}  // namespace
}  // namespace chatnode::net
