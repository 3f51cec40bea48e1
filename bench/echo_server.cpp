// chatbench_echo: the machine's ceiling for chatbench's relay load. A bare TLS WebSocket
// server with no JSON and no store: connections pair up by the number in their first
// frame ("PAIR n"), then each frame is acknowledged to its sender and relayed to the
// partner, as a node would for a TEXT_MESSAGE. Small enough to stay in one file.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/program_options.hpp>

#include <openssl/ssl.h>

#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using frame_ptr = std::shared_ptr<const std::string>;

namespace {

const frame_ptr ack_frame = std::make_shared<const std::string>(R"({"type":"TEXT_MESSAGE_ACK","payload":{"code":0}})");
const frame_ptr paired_frame = std::make_shared<const std::string>(R"({"type":"PAIRED","payload":{"code":0}})");

class session;

// Connections waiting for their partner, by pair number.
class pairing {
 public:
  // The partner when it was waiting, else null (and `s` now waits).
  std::shared_ptr<session> match(std::uint64_t pair, const std::shared_ptr<session>& s) {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(pair);
    if (it != waiting_.end()) {
      auto other = it->second.lock();
      waiting_.erase(it);
      if (other) return other;
    }
    waiting_[pair] = s;
    return nullptr;
  }

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, std::weak_ptr<session>> waiting_;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, asio::ssl::context& tls, pairing& pairs) : ws_(std::move(socket), tls), pairs_(pairs) {}

  void run() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    ws_.next_layer().async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
      if (ec) return;
      beast::get_lowest_layer(self->ws_).expires_never();
      self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
      self->ws_.async_accept([self](error_code e) {
        if (e) return;
        self->ws_.text(true);
        self->do_read();
      });
    });
  }

  // From any thread.
  void deliver(frame_ptr f) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(f)]() mutable { self->send(std::move(f)); });
  }
  void set_partner(std::weak_ptr<session> p) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), p = std::move(p)] {
      self->partner_ = p;
      self->send(paired_frame);
    });
  }

 private:
  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) return;
    auto frame = std::make_shared<const std::string>(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    if (!paired_) {
      paired_ = true;
      if (frame->rfind("PAIR ", 0) == 0) {
        if (auto other = pairs_.match(std::stoull(frame->substr(5)), shared_from_this())) {
          other->set_partner(weak_from_this());
          set_partner(other);
        }
      }
    } else if (auto p = partner_.lock()) {
      send(ack_frame);
      p->deliver(std::move(frame));
    }
    do_read();
  }

  void send(frame_ptr f) {
    queue_.push_back(std::move(f));
    if (queue_.size() == 1) do_write();
  }
  void do_write() {
    ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return;
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->do_write();
    });
  }

  websocket::stream<asio::ssl::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  std::deque<frame_ptr> queue_;
  std::weak_ptr<session> partner_;
  pairing& pairs_;
  bool paired_ = false;
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& ioc, asio::ssl::context& tls, tcp::endpoint at) : ioc_(ioc), tls_(tls), acceptor_(ioc) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  tcp::endpoint local() const { return acceptor_.local_endpoint(); }
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<session>(std::move(s), self->tls_, self->pairs_)->run();
      }
      self->do_accept();
    });
  }

 private:
  asio::io_context& ioc_;
  asio::ssl::context& tls_;
  tcp::acceptor acceptor_;
  pairing pairs_;
};

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string listen = "127.0.0.1:0", cert, key;
  unsigned threads = 0;
  po::options_description desc("chatbench_echo --cert FILE --key FILE [--listen HOST:PORT] [--threads N]");
  desc.add_options()("listen", po::value(&listen)->default_value(listen), "address to listen on")(
      "cert", po::value(&cert)->required(), "certificate chain (PEM)")("key", po::value(&key)->required(), "private key (PEM)")(
      "threads", po::value(&threads)->default_value(0), "I/O threads (0: one per CPU, as the node)");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    asio::ssl::context tls(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.use_certificate_chain_file(cert);
    tls.use_private_key_file(key, asio::ssl::context::pem);
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    asio::io_context ioc(static_cast<int>(threads));
    const auto colon = listen.rfind(':');
    auto l = std::make_shared<listener>(ioc, tls, tcp::endpoint(asio::ip::make_address(listen.substr(0, colon)),
                                                                static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))));
    l->do_accept();
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](error_code, int) { ioc.stop(); });
    std::cout << "chatbench_echo ready client=" << l->local().address().to_string() << ":" << l->local().port() << std::endl;
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "chatbench_echo: " << e.what() << "\n";
    return 1;
  }
}
