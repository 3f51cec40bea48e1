// The client's side of the history sync handshake.
#include "client/cli/history_sync.hpp"

namespace chatnode::cli {

namespace {

constexpr std::int64_t code_no_history = 6001;

bool is_history_type(const std::string& type) { return type.rfind("MESSAGE_HISTORY_", 0) == 0; }

}  // namespace

history_sync::history_sync(std::string self, history_filter filter, std::string id)
    : self_(std::move(self)), filter_(std::move(filter)), id_(std::move(id)) {}

json::object history_sync::request() const {
  auto message = history_request(self_, filter_);
  message["id"] = id_;
  return message;
}

bool history_sync::on_message(const json::object& message, std::vector<json::object>& replies,
                              std::vector<json::object>& items) {
  if (finished()) return false;
  const std::string type = type_of(message);
  const auto& payload = payload_of(message);
  if (type == "ERROR") {
    const bool mine = id_of(message) == id_ ||
                      (id_of(message).empty() && is_history_type(string_field(payload, "inReplyTo")));
    if (!mine) return false;
    refusal_ = failure_of(message);
    state_ = state::failed;
    return true;
  }
  if (!is_history_type(type)) return false;
  if (type == "MESSAGE_HISTORY_RESPONSE") {
    if (const auto f = failure_of(message)) {
      refusal_ = f;
      state_ = f->code == code_no_history ? state::done : state::failed;
    }
    return true;
  }
  if (type == "MESSAGE_HISTORY_BEGIN") {
    if (const auto f = failure_of(message)) {
      refusal_ = f;
      state_ = state::failed;
      return true;
    }
    state_ = state::receiving;
    replies.push_back(history_begin_ack(self_));
    return true;
  }
  if (type == "MESSAGE_HISTORY_DATA") {
    if (const auto* list = payload.if_contains("messages"); list != nullptr && list->is_array()) {
      for (const auto& item : list->get_array()) {
        if (!item.is_object()) continue;
        items.push_back(item.get_object());
        ++item_count_;
      }
    }
    replies.push_back(history_data_ack(self_, int_field(payload, "chunkIndex").value_or(1)));
    return true;
  }
  if (type == "MESSAGE_HISTORY_COMPLETE") {
    replies.push_back(history_complete_ack(self_));
    state_ = state::done;
    return true;
  }
  return false;
}

}  // namespace chatnode::cli
