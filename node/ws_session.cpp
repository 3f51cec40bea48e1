// WebSocket session: strand-bound read loop, bounded write queue, orderly close.
#include "ws_session.hpp"

#include "log.hpp"
#include "server_state.hpp"

#include <utility>

namespace chatnode::node {
namespace {
// An idle connection holds its read buffer prepared for the next frame (Beast prepares
// before it reads). The first read of a message is capped so that this stays small; a
// message that does not fit is then read to its end.
constexpr std::size_t first_read_bytes = 512;
}  // namespace

ws_session::ws_session(tls_stream&& stream, std::shared_ptr<server_state> state, std::unique_ptr<connection_slot> slot,
                       std::string remote)
    : ws_(std::move(stream)),
      state_(std::move(state)),
      slot_(std::move(slot)),
      remote_(std::move(remote)),
      login_deadline_(ws_.get_executor()),
      frame_deadline_(ws_.get_executor()),
      writes_(*this, ws_, state_->cfg().limits.write_queue_messages, state_->cfg().limits.write_queue_bytes) {}

const std::string& ws_session::address() const { return slot_->address(); }

void ws_session::run(http::request<http::string_body> req) {
  const auto& limits = state_->cfg().limits;
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = limits.handshake_timeout;
  timeouts.idle_timeout = limits.idle_timeout;
  timeouts.keep_alive_pings = true;  // an idle but live client answers pings and stays
  ws_.set_option(timeouts);
  // The frame limit is ours (on_read_some): Beast's own check reports the overflow only when
  // its close frame could still be written, so a fast sender escaped the count.
  ws_.read_message_max(0);
  ws_.auto_fragment(false);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "chatnode"); }));
  ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, self()));
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "websocket accept");
  state_->add_session(self());
  if (state_->shutting_down()) return start_close(1001);
  arm_login_deadline();
  do_read();
}

void ws_session::arm_login_deadline() {
  login_deadline_.expires_after(state_->cfg().limits.login_timeout);
  login_deadline_.async_wait([self = self()](beast::error_code ec) {
    if (ec || self->finished_ || self->state().user) return;
    self->state_->login_timeouts.fetch_add(1, std::memory_order_relaxed);
    log(log_level::info, "session", self->remote_, ": not logged in within limits.login_timeout_seconds, closing");
    self->close(1008);
  });
}

void ws_session::arm_frame_deadline() {
  if (frame_started_) return;
  frame_started_ = true;
  frame_deadline_.expires_after(state_->cfg().limits.frame_read_timeout);
  frame_deadline_.async_wait([self = self()](beast::error_code ec) {
    if (ec || self->finished_ || !self->frame_started_) return;
    self->state_->frame_timeouts.fetch_add(1, std::memory_order_relaxed);
    self->cut("a message not complete within limits.frame_read_timeout_seconds");
  });
}

void ws_session::cut(const char* why) {
  log(log_level::info, "session", remote_, ": ", why, ", closing");
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  finish();
}

void ws_session::do_read() {
  if (reading_ || paused_ || finished_ || closing_ || close_sent_) return;
  reading_ = true;
  ws_.async_read_some(buffer_, first_read_bytes, beast::bind_front_handler(&ws_session::on_read_some, self()));
}

void ws_session::on_read_some(beast::error_code ec, std::size_t) {
  if (ec) {
    reading_ = false;
    return fail(ec, "read");
  }
  const std::size_t limit = state_->cfg().limits.max_frame_bytes;
  if (buffer_.size() > limit) {
    // Beast reads the message in pieces for us; one byte past the limit is enough to know.
    reading_ = false;
    state_->frames_too_big.fetch_add(1, std::memory_order_relaxed);
    log(log_level::info, "session", remote_, ": message above limits.max_frame_bytes, closing");
    frame_started_ = false;
    frame_deadline_.cancel();
    closing_ = true;  // queued replies go out first, then the close frame
    close_code_ = websocket::close_code::too_big;
    if (writes_.idle()) start_close(close_code_);
    return;
  }
  if (!ws_.is_message_done()) {
    arm_frame_deadline();
    ws_.async_read_some(buffer_, limit + 1 - buffer_.size(), beast::bind_front_handler(&ws_session::on_read_some, self()));
    return;
  }
  if (frame_started_) {
    frame_started_ = false;
    frame_deadline_.cancel();
  }
  reading_ = false;
  on_message(buffer_.size());
}

void ws_session::on_message(std::size_t bytes) {
  auto self_ptr = self();
  request_scope timing(state_->route().latency());  // read -> reply (request_latency.hpp)
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
  if (!keep_reading) {
    paused_ = true;
    paused_request_ = timing.release();
  }
  do_read();
}

void ws_session::resume_reading() {
  asio::dispatch(ws_.get_executor(), [self = self()] {
    std::exchange(self->paused_request_, {}).done();  // its reply is queued
    self->paused_ = false;
    self->do_read();
  });
}

void ws_session::when_idle(std::function<void()> fn) {
  asio::dispatch(ws_.get_executor(), [self = self(), fn = std::move(fn)]() mutable {
    if (self->finished_) return;
    if (self->writes_.idle()) return fn();
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
  if (!writes_.push(std::move(frame))) {
    state_->slow_peers_dropped.fetch_add(1, std::memory_order_relaxed);
    log(log_level::warn, "session", remote_, ": write queue full (", writes_.size(), " frames, ",
        writes_.bytes(), " bytes), dropping the connection");
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return finish();
  }
}

void ws_session::on_frame_written() { state_->frames_out.fetch_add(1, std::memory_order_relaxed); }

void ws_session::on_write_idle() {
  if (!idle_waiters_.empty()) {
    auto waiters = std::move(idle_waiters_);
    idle_waiters_.clear();
    for (auto& fn : waiters) fn();
    if (!writes_.idle()) return;  // a waiter queued more; the write loop goes on from there
  }
  if (closing_ && !close_sent_) start_close(close_code_);
}

void ws_session::close(std::uint16_t code) {
  asio::dispatch(ws_.get_executor(), [self = self(), code] {
    if (self->closing_ || self->finished_) return;
    self->closing_ = true;
    self->close_code_ = code;
    if (self->writes_.idle()) self->start_close(code);  // else once the queue is flushed
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
  login_deadline_.cancel();
  frame_deadline_.cancel();
  state_->remove_session(this);
  state_->route().on_disconnect(self());
}

}  // namespace chatnode::node
