// One file being sent (send-file): reads it, drives the media_upload state machine over a
// session, paces chunks (--limit-rate), opens the upload again after a reconnect so only
// the missing chunks go out, and reports progress.
#pragma once

#include "client/cli/commands.hpp"
#include "client/cli/format.hpp"
#include "client/cli/progress.hpp"
#include "client/cli/session.hpp"
#include "client/media_upload.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace chatnode::cli {

class upload_job {
 public:
  struct options {
    std::string media_type;                     // empty: guessed from the file name
    std::optional<std::uint64_t> bytes_per_second;  // --limit-rate
    bool json = false;  // print the node's ACK and COMPLETE as JSON lines instead of sentences
  };
  enum class outcome { running, done, failed };

  // Opens and hashes `path`; throws cli_error(exit_usage) for a file it cannot read, an
  // empty file or one above the protocol's limits.
  upload_job(const std::string& self, const std::string& receiver, std::string receiver_label,
             const std::filesystem::path& path, const options& opts);
  ~upload_job();
  upload_job(const upload_job&) = delete;
  upload_job& operator=(const upload_job&) = delete;

  // Sends MEDIA_MESSAGE (again after a reconnect).
  void start(session& s);
  // A node message: true when it was about this upload. Lines worth a person's attention
  // (resuming, done, refused) go to `out`.
  bool consume(session& s, const json::object& message, console& out);
  // Sends the chunks the window and the rate allow.
  void pump(session& s);
  // How long until pump() may send again (rate limit), at most `cap`.
  std::chrono::milliseconds max_wait(std::chrono::milliseconds cap) const;
  void connection_lost() { upload_->connection_lost(); }

  outcome state() const;
  const std::string& name() const { return name_; }
  const client::media_upload& upload() const { return *upload_; }
  class progress& meter() { return *progress_; }
  // The exit status a one-shot send-file ends with.
  int exit_status() const;
  // Time of the last progress (a message about this upload); for stall detection.
  std::chrono::steady_clock::time_point last_progress() const { return last_progress_; }

 private:
  void read_chunk(std::uint32_t index, std::vector<std::uint8_t>& bytes) const;

  int fd_ = -1;
  std::string name_;
  std::string receiver_label_;
  std::optional<client::media_upload> upload_;  // set once the file is read
  std::optional<std::uint64_t> rate_;
  bool json_ = false;
  std::chrono::steady_clock::time_point next_send_;
  std::chrono::steady_clock::time_point last_progress_;
  std::optional<class progress> progress_;
};

}  // namespace chatnode::cli
