// WebSocket session: strand-bound read loop, bounded write queue, orderly close.
#include "ws_session.hpp"

#include "log.hpp"
#include "server_state.hpp"

namespace chatnode::node {
namespace {
// An idle connection holds its read buffer prepared for the next frame (Beast prepares
// before it reads). The first read of a message is capped so that this stays small; a
// message that does not fit is then read to its end.
constexpr std::size_t first_read_bytes = 512;
}  // namespace

ws_session::ws_session(tls_stream&& stream, std::shared_ptr<server_state> state, std::string remote)
    : ws_(std::move(stream)),
      state_(std::move(state)),
      remote_(std::move(remote)),
      queue_(state_->cfg().limits.write_queue_messages, state_->cfg().limits.write_queue_bytes) {}

ws_session::~ws_session() { state_->connections_open.fetch_sub(1, std::memory_order_relaxed); }

void ws_session::run(http::request<http::string_body> req) {
  const auto& limits = state_->cfg().limits;
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = limits.handshake_timeout;
  timeouts.idle_timeout = limits.idle_timeout;
  timeouts.keep_alive_pings = true;  // an idle but live client answers pings and stays
  ws_.set_option(timeouts);
  ws_.read_message_max(limits.max_frame_bytes);
  ws_.auto_fragment(false);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "chatnode"); }));
  ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, self()));
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "websocket accept");
  state_->add_session(self());
  if (state_->shutting_down()) return start_close(1001);
  do_read();
}

void ws_session::do_read() {
  if (reading_ || paused_ || finished_ || close_sent_) return;
  reading_ = true;
  ws_.async_read_some(buffer_, first_read_bytes, beast::bind_front_handler(&ws_session::on_read_some, self()));
}

void ws_session::on_read_some(beast::error_code ec, std::size_t) {
  if (!ec && !ws_.is_message_done()) {
    ws_.async_read(buffer_, [self = self()](beast::error_code read_ec, std::size_t) {
      self->on_read(read_ec, self->buffer_.size());
    });
    return;
  }
  on_read(ec, buffer_.size());
}

void ws_session::on_read(beast::error_code ec, std::size_t bytes) {
  reading_ = false;
  if (ec == websocket::error::message_too_big) {
    // Beast has already sent a close frame with status 1009 (too big).
    state_->frames_too_big.fetch_add(1, std::memory_order_relaxed);
    log(log_level::info, "session", remote_, ": frame above limits.max_frame_bytes, closing");
    return finish();
  }
  if (ec) return fail(ec, "read");
  auto self_ptr = self();
  bool keep_reading = true;
  if (!ws_.got_text()) {
    state_->route().on_binary(self_ptr);
  } else if (bytes > state_->cfg().limits.max_message_bytes) {
    state_->frames_too_big.fetch_add(1, std::memory_order_relaxed);
    state_->route().on_oversize(self_ptr, bytes);
  } else {
    auto data = buffer_.cdata();
    keep_reading = state_->route().on_frame(
        self_ptr, std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  buffer_.consume(buffer_.size());
  // A larger message must not pin its buffer for the life of an idle connection.
  if (buffer_.capacity() > first_read_bytes) buffer_.shrink_to_fit();
  if (!keep_reading) paused_ = true;
  do_read();
}

void ws_session::resume_reading() {
  asio::dispatch(ws_.get_executor(), [self = self()] {
    self->paused_ = false;
    self->do_read();
  });
}

void ws_session::when_idle(std::function<void()> fn) {
  asio::dispatch(ws_.get_executor(), [self = self(), fn = std::move(fn)]() mutable {
    if (self->finished_) return;
    if (self->queue_.empty()) return fn();
    self->idle_waiters_.push_back(std::move(fn));
  });
}

void ws_session::post(std::function<void()> fn) { asio::post(ws_.get_executor(), std::move(fn)); }

void ws_session::send(frame_ptr frame) {
  asio::dispatch(ws_.get_executor(), [self = self(), frame = std::move(frame)]() mutable {
    self->enqueue(std::move(frame));
  });
}

void ws_session::enqueue(frame_ptr frame) {
  if (finished_ || closing_) return;
  if (!queue_.push(std::move(frame))) {
    state_->slow_peers_dropped.fetch_add(1, std::memory_order_relaxed);
    log(log_level::warn, "session", remote_, ": write queue full (", queue_.size(), " frames, ",
        queue_.bytes(), " bytes), dropping the connection");
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return finish();
  }
  if (queue_.size() == 1) do_write();
}

void ws_session::do_write() {
  ws_.text(true);
  ws_.async_write(asio::buffer(queue_.front()), beast::bind_front_handler(&ws_session::on_write, self()));
}

void ws_session::on_write(beast::error_code ec, std::size_t) {
  // Invariant: the queue is non-empty exactly while a write is in flight.
  if (ec || finished_) {
    queue_.clear();
    return ec ? fail(ec, "write") : void();
  }
  queue_.pop();
  state_->frames_out.fetch_add(1, std::memory_order_relaxed);
  if (!queue_.empty()) return do_write();
  if (!idle_waiters_.empty()) {
    auto waiters = std::move(idle_waiters_);
    idle_waiters_.clear();
    for (auto& fn : waiters) fn();
    if (!queue_.empty()) return;  // a waiter queued more; this write loop goes on from there
  }
  if (closing_ && !close_sent_) start_close(close_code_);
}

void ws_session::close(std::uint16_t code) {
  asio::dispatch(ws_.get_executor(), [self = self(), code] {
    if (self->closing_ || self->finished_) return;
    self->closing_ = true;
    self->close_code_ = code;
    if (self->queue_.empty()) self->start_close(code);
  });
}

void ws_session::start_close(std::uint16_t code) {
  closing_ = true;
  if (close_sent_ || finished_) return;
  close_sent_ = true;
  ws_.async_close(websocket::close_reason(code), [self = self()](beast::error_code ec) {
    if (ec && !is_normal_disconnect(ec)) log(log_level::debug, "session", self->remote_, ": close: ", ec.message());
    self->finish();
  });
}

void ws_session::fail(beast::error_code ec, const char* what) {
  if (!is_normal_disconnect(ec))
    log(log_level::info, "session", remote_, ": ", what, ": ", ec.message());
  finish();
}

void ws_session::finish() {
  if (finished_) return;
  finished_ = true;
  idle_waiters_.clear();
  state_->remove_session(this);
  state_->route().on_disconnect(self());
}

}  // namespace chatnode::node
