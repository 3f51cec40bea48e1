// A live federation link: read loop, bounded write queue, orderly close.
#include "federation/link.hpp"

#include "net/endpoint.hpp"

namespace chatnode::federation {

link::link(tcp::socket socket, asio::ssl::context& ctx, direction dir, limits lim)
    : ws_(std::move(socket), ctx), dir_(dir), limits_(lim),
      writes_(*this, ws_, lim.write_queue_messages, lim.write_queue_bytes) {
  remote_ = net::endpoint_text(beast::get_lowest_layer(ws_).socket());
}

link::~link() = default;

void link::refresh_remote() { remote_ = net::endpoint_text(beast::get_lowest_layer(ws_).socket()); }

void link::start(frame_handler on_frame, closed_handler on_closed) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), on_frame = std::move(on_frame),
                                      on_closed = std::move(on_closed)]() mutable {
    self->on_frame_ = std::move(on_frame);
    self->on_closed_ = std::move(on_closed);
    self->started_ = true;
    if (self->closing_) return self->start_close();
    self->ws_.read_message_max(self->limits_.max_frame_bytes);
    self->do_read();
  });
}

void link::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&link::on_read, shared_from_this()));
}

void link::on_read(beast::error_code ec, std::size_t) {
  if (ec) return finish();
  if (ws_.got_text() && on_frame_) {
    auto data = buffer_.cdata();
    on_frame_(shared_from_this(), std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  buffer_.consume(buffer_.size());
  if (buffer_.capacity() > 64 * 1024) buffer_.shrink_to_fit();
  do_read();
}

void link::send(std::shared_ptr<const std::string> frame) {
  // post, never dispatch: frames must be queued in the order send() was called, also when
  // one call comes from this link's strand (run at once by dispatch) and an earlier one
  // from another thread (still waiting in the strand's queue).
  asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue(std::move(frame));
  });
}

void link::enqueue(std::shared_ptr<const std::string> frame) {
  if (finished_ || closing_ || !started_) return;
  if (!writes_.push(std::move(frame))) {
    // A peer that does not read must not grow our memory: drop it; it will redial.
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return finish();
  }
}

void link::close(std::uint16_t code, std::string reason) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    if (self->closing_ || self->finished_) return;
    self->closing_ = true;
    self->close_code_ = code;
    self->close_reason_ = std::move(reason);
    if (!self->started_) {
      // Still in the handshake: cut the connection; the handshake fails on its own.
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      return;
    }
    if (self->writes_.idle()) self->start_close();  // else once the queue is flushed
  });
}

void link::start_close() {
  if (close_sent_ || finished_) return;
  close_sent_ = true;
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
  websocket::close_reason why(close_code_);
  why.reason = close_reason_;
  ws_.async_close(why, [self = shared_from_this()](beast::error_code) { self->finish(); });
}

void link::finish() {
  if (finished_) return;
  finished_ = true;
  if (on_closed_) {
    auto handler = std::move(on_closed_);
    on_closed_ = nullptr;
    handler(shared_from_this());
  }
  on_frame_ = nullptr;
}

}  // namespace chatnode::federation
