// One MESSAGE_HISTORY exchange (docs/protocol.md §12) without I/O: the request, the acks
// the node waits for (BEGIN, each DATA, COMPLETE) and the items as they arrive.
#pragma once

#include "client/cli/commands.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace chatnode::cli {

class history_sync {
 public:
  enum class state { waiting, receiving, done, failed };

  history_sync(std::string self, history_filter filter, std::string id);
  // The MESSAGE_HISTORY_REQUEST to send (with the id).
  json::object request() const;
  // Takes a node message. False when it is not part of this exchange. Otherwise what to
  // send back is appended to `replies` and the items a DATA carried to `items`.
  bool on_message(const json::object& message, std::vector<json::object>& replies,
                  std::vector<json::object>& items);

  state current() const { return state_; }
  bool finished() const { return state_ == state::done || state_ == state::failed; }
  // 6001 (nothing matches) counts as done with no items; other refusals as failed.
  const std::optional<failure>& refusal() const { return refusal_; }
  std::size_t item_count() const { return item_count_; }
  const std::string& id() const { return id_; }
  const history_filter& filter() const { return filter_; }

 private:
  std::string self_;
  history_filter filter_;
  std::string id_;
  state state_ = state::waiting;
  std::optional<failure> refusal_;
  std::size_t item_count_ = 0;
};

}  // namespace chatnode::cli
