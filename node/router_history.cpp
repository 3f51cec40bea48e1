// Message-history sync (docs/protocol.md §12): RESPONSE and BEGIN, then one DATA per ack,
// then COMPLETE. Between steps a session keeps only where its scan stands and the filters,
// never messages, so a history of millions costs no memory; each step is one read txn.
#include "router.hpp"

#include "log.hpp"
#include "store/tables.hpp"

#include "core/history.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace chatnode::node {
namespace p = chatnode::protocol;

// A sync in progress on one session (session_state::history): the scan of core/history.hpp
// and where the exchange stands.
struct history_sync : core::history_scan {
  enum class phase { begin_ack, data_ack, complete_ack };
  std::uint32_t chunk = 0;  // chunkIndex of the last DATA sent
  phase expecting = phase::begin_ack;
};

void router::handle_history_request(const std::shared_ptr<client_session>& s, p::message_history_request& req,
                                    const std::optional<std::string>& id) {
  static constexpr std::string_view request_type = "MESSAGE_HISTORY_REQUEST";
  session_state& st = s->state();
  st.history.reset();  // a new request cancels a sync in progress
  const std::string me = st.user->full();
  auto h = std::make_shared<history_sync>();
  core::history_start start;
  try {
    auto t = db_.begin_read();
    start = core::start_history(t, me, req, cfg().domain, *h);
  } catch (const std::exception& e) {
    log(log_level::error, "router", "history request of ", me, ": ", e.what());
    send_error(s, p::code::server_error, "could not read the history", std::string(request_type), id);
    return;
  }
  if (start.code == p::code::history_none) {
    s->send(make_frame(p::message_history_response{.username = me, .code = p::to_int(p::code::history_none)}, id));
    return;
  }
  if (start.code != p::code::ok) {
    send_error(s, start.code, std::move(start.message), std::string(request_type), id);
    return;
  }
  s->send(make_frame(p::message_history_response{.username = me, .code = 0}, id));
  s->send(make_frame(p::message_history_begin{.username = me, .code = 0}, id));
  h->expecting = history_sync::phase::begin_ack;
  st.history = std::move(h);
}

namespace {

// Why an ack does not fit the sync's phase (nullopt: it fits): the phase awaits another
// type, or a DATA_ACK names another chunk than the last DATA's.
std::optional<std::string> out_of_step(const history_sync& h, const p::payload& body) {
  using phase = history_sync::phase;
  const p::message_type type = p::type_of(body);
  phase got = phase::complete_ack;
  if (type == p::message_type::message_history_begin_ack) got = phase::begin_ack;
  else if (type == p::message_type::message_history_data_ack) got = phase::data_ack;
  if (h.expecting != got) {
    static constexpr std::string_view awaited[] = {"MESSAGE_HISTORY_BEGIN_ACK", "MESSAGE_HISTORY_DATA_ACK",
                                                   "MESSAGE_HISTORY_COMPLETE_ACK"};
    return "the history sync expects " + std::string(awaited[static_cast<int>(h.expecting)]) + " now";
  }
  if (got == phase::data_ack) {
    const auto& ack = std::get<p::message_history_data_ack>(body);
    if (ack.chunk_index != h.chunk)
      return "payload.chunkIndex: " + std::to_string(ack.chunk_index) + " is not the last DATA's (" +
             std::to_string(h.chunk) + ")";
  }
  return std::nullopt;
}

}  // namespace

void router::handle_history_ack(const std::shared_ptr<client_session>& s, const p::payload& body,
                                const std::optional<std::string>& id) {
  session_state& st = s->state();
  const std::string type_name(p::to_string(p::type_of(body)));
  history_sync* h = st.history.get();
  if (!h) return send_error(s, p::code::invalid_field, "no message history sync is running", type_name, id);
  if (auto why = out_of_step(*h, body)) return send_error(s, p::code::invalid_field, std::move(*why), type_name, id);
  if (h->expecting == history_sync::phase::complete_ack) return st.history.reset();
  send_history_page(s, id, type_name);
}

void router::send_history_page(const std::shared_ptr<client_session>& s, const std::optional<std::string>& id,
                               const std::string& type_name) {
  session_state& st = s->state();
  history_sync& h = *st.history;
  std::vector<p::history_item> items;
  std::vector<std::uint64_t> unreadable;
  try {
    auto t = db_.begin_read();
    items = core::next_history_page(t, h, unreadable);
  } catch (const std::exception& e) {
    log(log_level::error, "router", "history of ", h.owner, ": ", e.what());
    st.history.reset();
    send_error(s, p::code::server_error, "could not read the history", type_name, id);
    return;
  }
  for (const auto message_id : unreadable)
    log(log_level::warn, "router", "history of ", h.owner, ": message ", message_id, " is missing or unreadable");
  if (items.empty()) {
    h.expecting = history_sync::phase::complete_ack;
    s->send(make_frame(p::message_history_complete{.username = h.owner, .code = 0}, id));
    return;
  }
  h.expecting = history_sync::phase::data_ack;
  ++h.chunk;
  s->send(make_frame(
      p::message_history_data{.username = h.owner, .messages = std::move(items), .chunk_index = h.chunk}, id));
}

}  // namespace chatnode::node
