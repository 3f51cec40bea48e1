// fetch: the file side of a download, resumable across runs.
#include "client/cli/download_job.hpp"

#include "client/cli/format.hpp"
#include "client/cli/media_files.hpp"
#include "crypto/encoding.hpp"

#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::string_view journal_magic = "chatnode-fetch-v1";
constexpr std::size_t hash_block = 1024 * 1024;

std::string errno_text() { return std::strerror(errno); }

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string journal_header(const client::media_offer& offer) {
  return std::string(journal_magic) + " " + offer.media_id + " " + std::to_string(offer.size) + " " + offer.sha256 + "\n";
}

std::string sha256_of_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  crypto::sha256 hash;
  std::vector<char> block(hash_block);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n > 0) hash.update(std::string_view(block.data(), n));
  }
  const auto digest = hash.finish();
  return crypto::to_hex(digest);
}

}  // namespace

download_job::download_job(const std::string& self, const client::media_offer& offer, fs::path target,
                           const options& opts)
    : target_(std::move(target)),
      part_(target_.string() + ".part"),
      journal_(target_.string() + ".part.chunks"),
      name_(target_.filename().string()),
      download_(self, offer),
      progress_(display_media_name(offer.media_id), offer.size),
      json_(opts.json),
      rate_(opts.bytes_per_second),
      next_ack_(steady::now()),
      last_progress_(steady::now()) {
  std::error_code ec;
  if (fs::exists(target_, ec)) throw cli_error(exit_usage, target_.string() + " exists already; give another PATH");
  const resume_point from = open_part_files();
  download_ = client::media_download(self, offer, from.chunks, from.bytes);
}

download_job::~download_job() {
  if (part_fd_ >= 0) ::close(part_fd_);
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

// Reads the journal of an earlier fetch of the same media (if any) and truncates the part
// file to the chunks it lists; otherwise starts both files afresh.
download_job::resume_point download_job::open_part_files() {
  const client::media_offer& offer = download_.offer();
  const std::string header = journal_header(offer);
  resume_point from;
  std::string kept = header;
  if (std::ifstream in(journal_); in) {
    std::string first;
    std::getline(in, first);
    if (first + "\n" == header) {
      std::uint32_t index = 0;
      std::uint64_t size = 0;
      while (in >> index >> size && index == from.chunks + 1) {
        ++from.chunks;
        from.bytes += size;
        kept += std::to_string(index) + " " + std::to_string(size) + "\n";
      }
    }
  }
  std::error_code ec;
  if (from.chunks > 0 && (fs::file_size(part_, ec) < from.bytes || ec)) from = {};
  if (from.chunks == 0) kept = header;

  part_fd_ = ::open(part_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (from.chunks == 0 ? O_TRUNC : 0), 0644);
  if (part_fd_ < 0) throw cli_error(exit_usage, "cannot write " + part_.string() + ": " + errno_text());
  if (::ftruncate(part_fd_, static_cast<off_t>(from.bytes)) != 0 ||
      ::lseek(part_fd_, static_cast<off_t>(from.bytes), SEEK_SET) < 0) {
    throw cli_error(exit_usage, "cannot write " + part_.string() + ": " + errno_text());
  }
  journal_fd_ = ::open(journal_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (journal_fd_ < 0 || !write_all(journal_fd_, kept.data(), kept.size())) {
    throw cli_error(exit_usage, "cannot write " + journal_.string() + ": " + errno_text());
  }
  return from;
}

void download_job::start(session& s, console& out) {
  if (state() != outcome::running) return;
  if (!s.send(download_.accept())) return;
  last_progress_ = steady::now();
  if (download_.stored_chunks() > 0) {
    out.err("resuming " + display_media_name(download_.offer().media_id) + ": " +
            std::to_string(download_.stored_chunks()) + " of " + std::to_string(download_.offer().total_chunks) +
            " chunks already here");
  }
  // A run that stopped after the last chunk: nothing more will come, check and complete.
  if (download_.all_stored()) finish_bytes(s, out);
}

bool download_job::consume(session& s, const json::object& message, console& out) {
  using event = client::media_download::event;
  if (failed_locally_) return false;
  const event e = download_.on_message(message);
  if (e == event::not_mine) return false;
  last_progress_ = steady::now();
  switch (e) {
    case event::chunk:
      store_chunk();
      if (failed_locally_) {
        fail(out, "cannot write " + part_.string() + ": " + errno_text());
        return true;
      }
      acks_due_.emplace_back(download_.stored(), last_chunk_size_);
      pump(s, out);
      break;
    case event::duplicate:
      s.send(download_.reack());
      break;
    case event::completed: {
      std::error_code ec;
      if (fs::exists(target_, ec)) {
        fail(out, target_.string() + " appeared meanwhile; the media is in " + part_.string());
        return true;
      }
      fs::rename(part_, target_, ec);
      if (ec) {
        fail(out, "cannot rename " + part_.string() + ": " + ec.message());
        return true;
      }
      remove_part_files();
      const auto& o = download_.offer();
      if (json_) {
        out.out(json::serialize(message));
      } else {
        out.out("saved " + media_summary(o.media_id, o.media_type, o.size) + " as " + target_.string());
      }
      break;
    }
    case event::failed:
      out.err("fetching " + progress_.brief() + " failed: " +
              failure_text({download_.failure_code(), download_.failure_detail()}));
      break;
    case event::not_mine:
      break;
  }
  return true;
}

void download_job::pump(session& s, console& out) {
  while (!acks_due_.empty() && state() == outcome::running && s.online()) {
    if (rate_ && steady::now() < next_ack_) return;
    const auto [ack, size] = std::move(acks_due_.front());
    acks_due_.pop_front();
    if (!s.send(ack)) return;
    if (rate_) {
      const auto cost = std::chrono::duration_cast<steady::duration>(
          std::chrono::duration<double>(static_cast<double>(size) / static_cast<double>(*rate_)));
      next_ack_ = std::max(next_ack_, steady::now() - cost) + cost;
    }
    // The node takes COMPLETE only after every chunk was acknowledged.
    if (acks_due_.empty() && download_.all_stored()) finish_bytes(s, out);
  }
}

std::chrono::milliseconds download_job::max_wait(std::chrono::milliseconds cap) const {
  if (acks_due_.empty() || !rate_) return cap;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_ack_ - steady::now());
  return std::clamp(left, std::chrono::milliseconds(0), cap);
}

void download_job::connection_lost() {
  // Chunks stored but not acknowledged are listed in receivedChunks after the reconnect.
  acks_due_.clear();
  download_.connection_lost();
}

void download_job::store_chunk() {
  const auto& bytes = download_.chunk_bytes();
  last_chunk_size_ = bytes.size();
  const std::string line = std::to_string(download_.chunk_index()) + " " + std::to_string(bytes.size()) + "\n";
  // The bytes first, then the journal line: a journal never lists bytes that are not there.
  if (!write_all(part_fd_, bytes.data(), bytes.size()) || !write_all(journal_fd_, line.data(), line.size())) {
    failed_locally_ = true;
  }
}

// Every chunk is in: the whole file must match the offer's SHA-256 before the node is told
// the download is complete (after that it may delete the media).
void download_job::finish_bytes(session& s, console& out) {
  if (::fsync(part_fd_) != 0) {
    fail(out, "cannot write " + part_.string() + ": " + errno_text());
    return;
  }
  const auto& o = download_.offer();
  if (!o.sha256.empty() && sha256_of_file(part_) != o.sha256) {
    fail(out, "the bytes received do not match the SHA-256 the node announced; kept in " + part_.string() +
                  " (the node still has the media)");
    return;
  }
  s.send(download_.complete());
}

void download_job::fail(console& out, const std::string& why) {
  failed_locally_ = true;
  out.err("fetching " + progress_.brief() + " failed: " + why);
}

void download_job::remove_part_files() {
  ::close(part_fd_);
  ::close(journal_fd_);
  part_fd_ = -1;
  journal_fd_ = -1;
  std::error_code ec;
  fs::remove(journal_, ec);
}

download_job::outcome download_job::state() const {
  if (failed_locally_) return outcome::failed;
  switch (download_.state()) {
    case client::media_download::phase::done: return outcome::done;
    case client::media_download::phase::failed: return outcome::failed;
    default: return outcome::running;
  }
}

int download_job::exit_status() const { return state() == outcome::done ? exit_ok : exit_failure; }

}  // namespace chatnode::cli
