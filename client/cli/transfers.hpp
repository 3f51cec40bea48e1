// The uploads (send-file) and downloads (fetch) of one run over one session: it starts
// them, routes the node's media messages to them, opens them again after a reconnect,
// treats a transfer without progress for 3×--timeout as a dead connection, and shows
// progress (a bar on a terminal, the prompt in interactive mode, lines with --verbose).
#pragma once

#include "client/cli/download_job.hpp"
#include "client/cli/format.hpp"
#include "client/cli/session.hpp"
#include "client/cli/upload_job.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace chatnode::cli {

class transfers {
 public:
  enum class progress_style { bar, prompt, lines, none };

  transfers(const settings& config, console& out, viewer& who, progress_style style);

  void add_upload(session& s, std::unique_ptr<upload_job> job);
  // Fetches `media_id` as soon as its offer is known (at once when it was seen). `path`:
  // empty for the media's own name in the current directory, a directory to put it in,
  // or the file to write. Throws cli_error(exit_usage) for a path it cannot use.
  void fetch(session& s, const std::string& media_id, const std::string& path,
             std::optional<std::uint64_t> bytes_per_second = std::nullopt);
  // A node message: offers are remembered (and left for the caller to show); true when a
  // transfer took the message.
  bool consume(session& s, const json::object& message);
  // Sends what can go now; aborts the connection of a stalled transfer.
  void pump(session& s);
  void connection_lost();
  void reconnected(session& s);
  // How long the caller's loop may sleep before pump() has work again.
  std::chrono::milliseconds max_wait(std::chrono::milliseconds cap) const;

  bool busy() const { return !uploads_.empty() || !downloads_.empty() || !wanted_.empty(); }
  bool waiting_for_offers() const { return !wanted_.empty(); }
  // The media ids asked for whose offer has not come.
  std::vector<std::string> missing_offers() const;
  // The exit status the transfers so far call for: 0, 1 (refused by the node, or a
  // download that did not check out) or 2 (a file that could not be written).
  int exit_status() const { return local_errors_ > 0 ? exit_usage : failures_ > 0 ? exit_failure : exit_ok; }
  // "[photo.jpg 45%] " for the interactive prompt ("" when idle).
  std::string prompt_status() const;

 private:
  struct wanted_download {
    std::string path;
    std::optional<std::uint64_t> rate;
  };
  void start_download(session& s, const client::media_offer& offer, const wanted_download& want);
  void reap();
  void show_progress();

  const settings& config_;
  console& out_;
  viewer& who_;
  progress_style style_;
  std::vector<std::unique_ptr<upload_job>> uploads_;
  std::vector<std::unique_ptr<download_job>> downloads_;
  std::map<std::string, client::media_offer> offers_;  // seen on this run, by mediaId
  std::map<std::string, json::object> offer_messages_;  // the same offers as they came (--json)
  std::map<std::string, wanted_download> wanted_;      // by mediaId, waiting for the offer
  std::size_t failures_ = 0;
  std::size_t local_errors_ = 0;
};

}  // namespace chatnode::cli
