// send-file: the file side of an upload and its pacing.
#include "client/cli/upload_job.hpp"

#include "client/cli/media_files.hpp"
#include "crypto/encoding.hpp"

#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;

// Hashing reads the file in blocks of this size.
constexpr std::size_t hash_block = 1024 * 1024;

std::string errno_text() { return std::strerror(errno); }

std::string sha256_of_fd(int fd, const std::string& path) {
  crypto::sha256 hash;
  std::vector<std::uint8_t> block(hash_block);
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd, block.data(), block.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw cli_error(exit_usage, "cannot read " + path + ": " + errno_text());
    if (n == 0) break;
    hash.update(std::span<const std::uint8_t>(block.data(), static_cast<std::size_t>(n)));
    offset += n;
  }
  const auto digest = hash.finish();
  return crypto::to_hex(digest);
}

}  // namespace

upload_job::upload_job(const std::string& self, const std::string& receiver, std::string receiver_label,
                       const std::filesystem::path& path, const options& opts)
    : name_(path.filename().string()),
      receiver_label_(std::move(receiver_label)),
      rate_(opts.bytes_per_second),
      json_(opts.json),
      next_send_(steady::now()),
      last_progress_(steady::now()) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw cli_error(exit_usage, "cannot open " + path.string() + ": " + errno_text());
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw cli_error(exit_usage, path.string() + " is not a regular file");
  }
  if (info.st_size == 0) {
    ::close(fd_);
    fd_ = -1;
    throw cli_error(exit_usage, path.string() + " is empty: there is nothing to send");
  }
  const std::string sha = sha256_of_fd(fd_, path.string());
  client::media_upload::params p;
  p.sender = self;
  p.receiver = receiver;
  p.media_id = media_id_for(self, receiver, sha, name_);
  p.media_type = opts.media_type.empty() ? guess_mime_type(name_) : opts.media_type;
  p.size = static_cast<std::uint64_t>(info.st_size);
  upload_.emplace(std::move(p));
  progress_.emplace(name_, upload_->info().size);
}

upload_job::~upload_job() {
  if (fd_ >= 0) ::close(fd_);
}

void upload_job::start(session& s) {
  if (upload_->state() == client::media_upload::phase::done || upload_->state() == client::media_upload::phase::failed) {
    return;
  }
  if (s.send(upload_->open())) last_progress_ = steady::now();
}

bool upload_job::consume(session& s, const json::object& message, console& out) {
  using event = client::media_upload::event;
  const event e = upload_->on_message(message);
  if (e == event::not_mine) return false;
  last_progress_ = steady::now();
  if (json_ && (e == event::opened || e == event::completed || e == event::failed)) {
    out.out(json::serialize(message));
  }
  const std::string what = media_summary(upload_->info().media_id, upload_->info().media_type, upload_->info().size);
  switch (e) {
    case event::opened:
      if (upload_->chunks_already_there() > 0) {
        out.err("resuming " + name_ + ": " + std::to_string(upload_->chunks_already_there()) + " of " +
                std::to_string(upload_->total_chunks()) + " chunks already on the node");
      }
      break;
    case event::chunk_acked:
      break;
    case event::completed:
      if (auto ack = upload_->complete_ack()) {
        s.send(*ack);
        if (!json_) out.out("sent " + what + " to " + receiver_label_);
      } else if (!json_) {
        out.out(name_ + " was sent to " + receiver_label_ + " before (media " + upload_->info().media_id +
                "); not sent again");
      }
      break;
    case event::failed:
      out.err("sending " + name_ + " to " + receiver_label_ + " failed: " +
              failure_text({upload_->failure_code(), upload_->failure_detail()}));
      break;
    case event::not_mine:
      break;
  }
  return true;
}

void upload_job::pump(session& s) {
  std::vector<std::uint8_t> bytes;
  while (s.online()) {
    if (rate_ && steady::now() < next_send_) return;
    const auto index = upload_->next_chunk();
    if (!index) return;
    read_chunk(*index, bytes);
    if (!s.send(upload_->data_message(*index, bytes))) return;
    if (rate_) {
      const auto cost = std::chrono::duration_cast<steady::duration>(
          std::chrono::duration<double>(static_cast<double>(bytes.size()) / static_cast<double>(*rate_)));
      next_send_ = std::max(next_send_, steady::now() - cost) + cost;
    }
  }
}

std::chrono::milliseconds upload_job::max_wait(std::chrono::milliseconds cap) const {
  if (!rate_ || upload_->state() != client::media_upload::phase::sending) return cap;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_send_ - steady::now());
  return std::clamp(left, std::chrono::milliseconds(0), cap);
}

upload_job::outcome upload_job::state() const {
  switch (upload_->state()) {
    case client::media_upload::phase::done: return outcome::done;
    case client::media_upload::phase::failed: return outcome::failed;
    default: return outcome::running;
  }
}

int upload_job::exit_status() const {
  return state() == outcome::done ? exit_ok : exit_failure;
}

void upload_job::read_chunk(std::uint32_t index, std::vector<std::uint8_t>& bytes) const {
  bytes.resize(upload_->chunk_length(index));
  std::size_t done = 0;
  const auto offset = static_cast<off_t>(upload_->chunk_offset(index));
  while (done < bytes.size()) {
    const ssize_t n = ::pread(fd_, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw cli_error(exit_usage, "cannot read " + name_ + ": " + errno_text());
    if (n == 0) throw cli_error(exit_usage, name_ + " became shorter while it was being sent");
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace chatnode::cli
