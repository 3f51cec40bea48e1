// One offered media being fetched (fetch): drives the media_download state machine over a
// session, writes the chunks to PATH.part with a journal of chunk sizes (PATH.part.chunks)
// so a later fetch of the same media goes on where this one stopped, checks the SHA-256
// of the whole file before it tells the node the download is complete, then renames
// PATH.part to PATH.
#pragma once

#include "client/cli/commands.hpp"
#include "client/cli/console.hpp"
#include "client/cli/progress.hpp"
#include "client/cli/session.hpp"
#include "client/media_download.hpp"

#include <chrono>
#include <deque>
#include <utility>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace chatnode::cli {

class download_job {
 public:
  enum class outcome { running, done, failed };
  struct options {
    // --limit-rate: chunks are acknowledged no faster than this (the node sends a few
    // chunks ahead of the acknowledgements, so this paces it).
    std::optional<std::uint64_t> bytes_per_second;
    bool json = false;  // the offer and the COMPLETE_ACK as JSON lines instead of sentences
  };

  // Prepares `target` (a file that must not exist yet): picks up PATH.part when a
  // journal says it holds the first chunks of this media. Throws cli_error(exit_usage)
  // for a target that exists or cannot be written.
  download_job(const std::string& self, const client::media_offer& offer, std::filesystem::path target,
               const options& opts);
  ~download_job();
  download_job(const download_job&) = delete;
  download_job& operator=(const download_job&) = delete;

  // Accepts the offer on the current connection (again after a reconnect).
  void start(session& s, console& out);
  // A node message: true when it was about this download.
  bool consume(session& s, const json::object& message, console& out);
  // Sends the acknowledgements the rate allows now (and the COMPLETE after the last).
  void pump(session& s, console& out);
  std::chrono::milliseconds max_wait(std::chrono::milliseconds cap) const;
  void connection_lost();
  std::optional<std::uint64_t> rate() const { return rate_; }

  outcome state() const;
  const std::string& name() const { return name_; }
  const std::string& media_id() const { return download_.offer().media_id; }
  const std::filesystem::path& target() const { return target_; }
  class progress& meter() { return progress_; }
  std::uint64_t stored_bytes() const { return download_.stored_bytes(); }
  std::chrono::steady_clock::time_point last_progress() const { return last_progress_; }
  int exit_status() const;

 private:
  struct resume_point {
    std::uint32_t chunks = 0;
    std::uint64_t bytes = 0;
  };
  resume_point open_part_files();
  void store_chunk();
  void finish_bytes(session& s, console& out);
  void fail(console& out, const std::string& why);
  void remove_part_files();

  std::filesystem::path target_;
  std::filesystem::path part_;
  std::filesystem::path journal_;
  std::string name_;
  int part_fd_ = -1;
  int journal_fd_ = -1;
  client::media_download download_;
  class progress progress_;
  bool failed_locally_ = false;
  bool json_ = false;
  std::optional<std::uint64_t> rate_;
  // Acknowledgements held back by the rate, with the size of the chunk each stands for.
  std::deque<std::pair<json::object, std::size_t>> acks_due_;
  std::chrono::steady_clock::time_point next_ack_;
  std::size_t last_chunk_size_ = 0;
  std::chrono::steady_clock::time_point last_progress_;
};

}  // namespace chatnode::cli
