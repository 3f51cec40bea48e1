// Running send-file and fetch transfers over a session.
#include "client/cli/transfers.hpp"

#include "client/cli/media_files.hpp"

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>

namespace chatnode::cli {

namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Offers remembered for `fetch` (a node offers every waiting media at each login).
constexpr std::size_t max_known_offers = 1000;
// A transfer with no reply for this many --timeout is taken as a dead connection.
constexpr int stall_timeouts = 3;

}  // namespace

transfers::transfers(const settings& config, console& out, viewer& who, progress_style style)
    : config_(config), out_(out), who_(who), style_(style) {}

void transfers::add_upload(session& s, std::unique_ptr<upload_job> job) {
  job->start(s);
  uploads_.push_back(std::move(job));
}

void transfers::fetch(session& s, const std::string& media_id, const std::string& path,
                      std::optional<std::uint64_t> bytes_per_second) {
  for (const auto& d : downloads_) {
    if (d->media_id() == media_id) throw cli_error(exit_usage, media_id + " is being fetched already");
  }
  // Refuse an existing file before waiting for the offer (a directory is checked later,
  // when the offer says the media's name).
  std::error_code ec;
  if (!path.empty() && fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    throw cli_error(exit_usage, path + " exists already; give another PATH");
  }
  const wanted_download want{path, bytes_per_second};
  if (const auto it = offers_.find(media_id); it != offers_.end()) {
    start_download(s, it->second, want);
    return;
  }
  wanted_[media_id] = want;
}

void transfers::start_download(session& s, const client::media_offer& offer, const wanted_download& want) {
  const std::string& path = want.path;
  fs::path target = path.empty() ? fs::path(save_name(offer.media_id, offer.media_type)) : fs::path(path);
  std::error_code ec;
  if (!path.empty() && fs::is_directory(target, ec)) target /= save_name(offer.media_id, offer.media_type);
  if (config_.json) out_.out(json::serialize(offer_messages_.at(offer.media_id)));
  auto job = std::make_unique<download_job>(s.user(), offer, target, download_job::options{want.rate, config_.json});
  job->start(s, out_);
  downloads_.push_back(std::move(job));
}

bool transfers::consume(session& s, const json::object& message) {
  if (const auto offer = client::parse_media_offer(message)) {
    if (offers_.size() >= max_known_offers) {
      offer_messages_.erase(offers_.begin()->first);
      offers_.erase(offers_.begin());
    }
    offers_[offer->media_id] = *offer;
    offer_messages_[offer->media_id] = message;
    if (const auto it = wanted_.find(offer->media_id); it != wanted_.end()) {
      const wanted_download want = it->second;
      wanted_.erase(it);
      try {
        start_download(s, *offer, want);
      } catch (const cli_error& e) {
        out_.err(std::string("fetch ") + offer->media_id + ": " + e.what());
        ++local_errors_;
      }
    }
    return false;  // the offer is still shown
  }
  bool taken = false;
  for (auto& u : uploads_) taken = taken || u->consume(s, message, out_);
  for (auto& d : downloads_) taken = taken || d->consume(s, message, out_);
  if (taken) {
    reap();
    show_progress();
  }
  return taken;
}

void transfers::pump(session& s) {
  for (auto& u : uploads_) u->pump(s);
  for (auto& d : downloads_) d->pump(s, out_);
  reap();
  if (!s.online()) return;
  const auto stall = config_.timeout * stall_timeouts;
  const auto now = steady::now();
  bool stalled = false;
  for (const auto& u : uploads_) stalled = stalled || now - u->last_progress() > stall;
  for (const auto& d : downloads_) stalled = stalled || now - d->last_progress() > stall;
  if (stalled && s.connection() != nullptr) {
    out_.err("no answer about a transfer for " + std::to_string(stall.count() / 1000) + " s; dropping the connection");
    s.connection()->abort();
  }
}

void transfers::connection_lost() {
  for (auto& u : uploads_) u->connection_lost();
  for (auto& d : downloads_) d->connection_lost();
}

void transfers::reconnected(session& s) {
  for (auto& u : uploads_) u->start(s);
  // Downloads wait for the node's new offer (right after login) before accepting again.
  for (auto& d : downloads_) wanted_[d->media_id()] = {d->target().string(), d->rate()};
  downloads_.clear();
}

std::chrono::milliseconds transfers::max_wait(std::chrono::milliseconds cap) const {
  auto wait = cap;
  for (const auto& u : uploads_) wait = std::min(wait, u->max_wait(cap));
  for (const auto& d : downloads_) wait = std::min(wait, d->max_wait(cap));
  return wait;
}

std::vector<std::string> transfers::missing_offers() const {
  std::vector<std::string> ids;
  for (const auto& [id, want] : wanted_) ids.push_back(id);
  return ids;
}

std::string transfers::prompt_status() const {
  std::string status;
  for (const auto& u : uploads_) status += "[" + u->meter().brief() + "] ";
  for (const auto& d : downloads_) status += "[" + d->meter().brief() + "] ";
  return status;
}

void transfers::reap() {
  auto finished = [this](const auto& job) {
    if (job->state() == std::decay_t<decltype(*job)>::outcome::running) return false;
    if (job->state() == std::decay_t<decltype(*job)>::outcome::failed) ++failures_;
    return true;
  };
  std::erase_if(uploads_, finished);
  std::erase_if(downloads_, finished);
  if (!busy() && style_ == progress_style::bar) out_.clear_footer();
}

void transfers::show_progress() {
  std::string bar;
  auto one = [&](class progress& meter, std::uint64_t done) {
    const auto line = meter.update(done);
    if (line && style_ == progress_style::lines) out_.err(*line);
    if (style_ == progress_style::bar && bar.empty()) bar = meter.bar(console::width(STDERR_FILENO));
  };
  for (auto& u : uploads_) one(u->meter(), u->upload().acked_bytes());
  for (auto& d : downloads_) one(d->meter(), d->stored_bytes());
  if (style_ == progress_style::bar && !bar.empty()) out_.set_footer(STDERR_FILENO, bar, bar.size());
}

}  // namespace chatnode::cli
