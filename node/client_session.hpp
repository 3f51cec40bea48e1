// What the router needs of a client connection. The WebSocket session implements it;
// router unit tests implement it with a recorder. send/close/post/resume are thread-safe;
// state() belongs to the session's strand (the router is called on it).
#pragma once

#include "rate_limits.hpp"

#include "core/context.hpp"

#include "protocol/ids.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chatnode::node {

using core::frame_ptr;

struct history_sync;     // router_history.cpp: a history sync in progress
struct media_downloads;  // router_media.cpp: media being delivered to this session
struct media_download;

struct session_state {
  std::optional<protocol::user_id> user;  // set once logged in
  bool logged_out = false;                // USER_LOGOUT seen: ignore everything after
  bool closed = false;                    // the connection ended
  std::shared_ptr<history_sync> history;  // set while a MESSAGE_HISTORY sync runs
  std::shared_ptr<media_downloads> media;  // set once a media delivery starts
  std::vector<std::string> tokens;         // digests of the resumption tokens this session used
                                           // or was given: USER_LOGOUT revokes them
  token_bucket requests;                   // limits.requests_per_second / requests_burst
};

class client_session : public core::connection, public std::enable_shared_from_this<client_session> {
 public:
  virtual ~client_session() = default;

  // Queues one text frame; frames go out in the order queued. Overflow of the bounded
  // write queue closes the connection (a peer that does not read is dropped).
  virtual void send(frame_ptr frame) = 0;
  // Sends what is queued, then closes the WebSocket with `code` (1000 normal, 1001 going away).
  virtual void close(std::uint16_t code) = 0;
  // Runs `fn` on the session's strand.
  virtual void post(std::function<void()> fn) = 0;
  // The router paused reading (to keep request order across an async step); read on.
  virtual void resume_reading() = 0;
  // Runs `fn` on the strand once everything queued so far is written (at once if nothing
  // is queued); never if the connection ends first. Paces bulk sends like the inbox.
  virtual void when_idle(std::function<void()> fn) = 0;
  // A short label for logs: the remote address.
  virtual const std::string& remote() const = 0;
  // Who is asking, for per-address budgets: the IPv4 address, or the IPv6 /64 prefix.
  virtual const std::string& address() const { return remote(); }

  session_state& state() noexcept { return state_; }

 private:
  session_state state_;
};

}  // namespace chatnode::node
