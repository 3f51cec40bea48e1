// media: one user uploads media of a given size to an online friend, who downloads each
// as soon as it is offered; uploads follow one another for the duration.
#include "pool.hpp"
#include "scenarios.hpp"
#include "setup.hpp"
#include "wire.hpp"

#include <boost/asio/steady_timer.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

namespace chatbench {

namespace {

constexpr std::size_t chunk_bytes = 64 * 1024;  // the node's media.max_chunk_bytes
constexpr std::uint32_t upload_window = 16;     // chunks sent ahead of their DATA_ACKs
constexpr std::uint64_t max_undownloaded = 4;   // uploads not yet fetched by the friend

std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}
std::uint64_t decoded_size(std::string_view b64) {
  std::uint64_t n = b64.size() / 4 * 3;
  if (b64.ends_with("==")) return n - 2;
  if (b64.ends_with("=")) return n - 1;
  return n;
}

class transfer {
 public:
  transfer(const bench_options& o, std::string up, std::string down, client_ptr uploader, client_ptr downloader)
      : o_(o), up_(std::move(up)), down_(std::move(down)), uploader_(std::move(uploader)), downloader_(std::move(downloader)),
        timer_(uploader_->get_executor()) {
    total_chunks_ = static_cast<std::uint32_t>((o.media_size + chunk_bytes - 1) / chunk_bytes);
    std::string raw(std::min<std::uint64_t>(chunk_bytes, o.media_size), '\0');
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i * 131 + 7);
    full_chunk_ = base64(raw);
    last_chunk_ = base64(std::string_view(raw).substr(0, o.media_size - (total_chunks_ - 1) * chunk_bytes));
  }

  void start() {
    uploader_->post([this] {
      uploader_->set_handler([this](std::string_view f) { on_uploader_frame(f); });
      next_upload();
    });
    downloader_->post([this] { downloader_->set_handler([this](std::string_view f) { on_downloader_frame(f); }); });
  }
  void stop() { running_ = false; }
  void set_recording(bool on) { recording_ = on; }
  bool drained() const { return in_flight_ == 0 && downloads_ == uploads_; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }

  void finish(report& r) {
    r.add("uploads completed", static_cast<double>(uploads_), "");
    r.add("downloads completed", static_cast<double>(downloads_), "");
    if (downloads_ != uploads_) r.failures.push_back(std::to_string(uploads_ - downloads_) + " uploads never downloaded");
    if (errors_) r.failures.push_back(std::to_string(errors_) + " errors, first: " + first_error_);
  }

 private:
  std::string pair_fields(std::string_view sender, std::string_view receiver) const {
    return std::string(R"({"sender":")").append(sender).append(R"(","receiver":")").append(receiver).append(
        R"(","mediaId":")").append(media_id_).append("\"");
  }

  // ---- uploader (its strand) ----
  void next_upload() {
    if (!running_) return;
    if (uploads_ - downloads_ >= max_undownloaded) {  // let the friend catch up
      timer_.expires_after(std::chrono::milliseconds(2));
      timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) next_upload();
      });
      return;
    }
    in_flight_ = 1;
    media_id_ = o_.tag + "m" + std::to_string(uploads_started_++);
    next_chunk_ = 1;
    acked_chunks_ = 0;
    uploader_->send(make_request("MEDIA_MESSAGE", pair_fields(up_, down_) + R"(,"mediaType":"application/octet-stream","mediaSize":)" +
                                                      std::to_string(o_.media_size) + "}"));
  }
  void send_chunks() {
    while (next_chunk_ <= total_chunks_ && next_chunk_ - acked_chunks_ <= upload_window) {
      const auto& data = next_chunk_ == total_chunks_ ? last_chunk_ : full_chunk_;
      uploader_->send(make_request("MEDIA_MESSAGE_DATA", pair_fields(up_, down_) + R"(,"data":")" + data + R"(","chunkIndex":)" +
                                                             std::to_string(next_chunk_) + R"(,"totalChunks":)" +
                                                             std::to_string(total_chunks_) + "}"));
      ++next_chunk_;
    }
  }
  void on_uploader_frame(std::string_view f) {
    const auto type = frame_type(f);
    const bool ours = type == "MEDIA_MESSAGE_ACK" || type == "MEDIA_MESSAGE_DATA_ACK" || type == "MEDIA_MESSAGE_COMPLETE";
    if (type == "ERROR" || (ours && int_field(f, "code").value_or(-1) != 0)) return error(f);
    if (type == "MEDIA_MESSAGE_ACK") {
      send_chunks();
    } else if (type == "MEDIA_MESSAGE_DATA_ACK") {
      const auto index = static_cast<std::uint32_t>(int_field(f, "chunkIndex").value_or(0));
      ++acked_chunks_;
      if (recording_) bytes_in_ += index == total_chunks_ ? o_.media_size - (total_chunks_ - 1) * chunk_bytes : chunk_bytes;
      send_chunks();
    } else if (type == "MEDIA_MESSAGE_COMPLETE") {
      uploader_->send(make_request("MEDIA_MESSAGE_COMPLETE_ACK", pair_fields(up_, down_) + R"(,"code":0})"));
      ++uploads_;
      in_flight_ = 0;
      next_upload();
    }
  }

  // ---- downloader (its strand) ----
  void on_downloader_frame(std::string_view f) {
    const auto type = frame_type(f);
    if (type == "ERROR" || (type == "MEDIA_MESSAGE_COMPLETE_ACK" && int_field(f, "code").value_or(-1) != 0)) return error(f);
    const std::string id(string_field(f, "mediaId"));
    if (type == "MEDIA_MESSAGE") {
      downloads_in_progress_[id] = {0, 0};
      downloader_->send(make_request("MEDIA_MESSAGE_ACK", R"({"sender":")" + down_ + R"(","receiver":")" + up_ +
                                                              R"(","mediaId":")" + id + R"(","code":0})"));
    } else if (type == "MEDIA_MESSAGE_DATA") {
      auto& d = downloads_in_progress_[id];
      const auto index = static_cast<std::uint32_t>(int_field(f, "chunkIndex").value_or(0));
      if (index != d.chunks + 1) return error(f.substr(0, 200));
      d.chunks = index;
      const auto size = decoded_size(string_field(f, "data"));
      d.bytes += size;
      if (recording_) bytes_out_ += size;
      const std::string ids = R"({"sender":")" + down_ + R"(","receiver":")" + up_ + R"(","mediaId":")" + id + "\"";
      downloader_->send(make_request("MEDIA_MESSAGE_DATA_ACK", ids + R"(,"chunkIndex":)" + std::to_string(index) + R"(,"code":0})"));
      if (index == total_chunks_) {
        if (d.bytes != o_.media_size) return error("media " + id + ": got " + std::to_string(d.bytes) + " bytes");
        downloader_->send(make_request("MEDIA_MESSAGE_COMPLETE", ids + R"(,"code":0})"));
      }
    } else if (type == "MEDIA_MESSAGE_COMPLETE_ACK") {
      downloads_in_progress_.erase(id);
      ++downloads_;
    }
  }

  // From either strand.
  void error(std::string_view what) {
    std::lock_guard lock(error_mutex_);
    if (errors_++ == 0) first_error_ = std::string(what.substr(0, 300));
  }

  const bench_options& o_;
  std::string up_, down_;
  client_ptr uploader_, downloader_;
  boost::asio::steady_timer timer_;
  std::uint32_t total_chunks_ = 0;
  std::string full_chunk_, last_chunk_;
  // uploader strand
  std::string media_id_;
  std::uint64_t uploads_started_ = 0;
  std::uint32_t next_chunk_ = 1, acked_chunks_ = 0;
  // downloader strand
  struct progress {
    std::uint32_t chunks;
    std::uint64_t bytes;
  };
  std::map<std::string, progress> downloads_in_progress_;
  // either strand (atomic), read by the main thread
  std::atomic<bool> running_{true}, recording_{false};
  std::atomic<std::uint64_t> uploads_{0}, downloads_{0}, in_flight_{0}, bytes_in_{0}, bytes_out_{0}, errors_{0};
  std::mutex error_mutex_;
  std::string first_error_;
};

}  // namespace

report run_media(const bench_options& o) {
  report r;
  r.scenario = "media";
  r.params = {{"size", o.media_size}, {"duration_s", o.duration.count()}};
  client_pool pool(o.target, o.ca_file, o.threads);
  const std::vector<std::string> names = {o.tag + "up", o.tag + "down"};
  register_users(pool, names);
  auto clients = login_all(pool, names);
  exchange_all(pool, clients, {{friend_request_frame(names[0], names[1])}, {friend_request_frame(names[1], names[0])}},
               "FRIEND_REQUEST_ACK", 1);
  transfer t(o, names[0], names[1], clients[0], clients[1]);
  t.start();
  std::this_thread::sleep_for(std::min(std::chrono::duration<double>(1.0), o.duration / 4));
  meter m(o.pid);
  t.set_recording(true);
  m.start();
  std::this_thread::sleep_for(o.duration);
  m.stop();
  t.set_recording(false);
  t.stop();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!t.drained() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  pool.stop();
  const double in_mb = static_cast<double>(t.bytes_in()) / 1e6, out_mb = static_cast<double>(t.bytes_out()) / 1e6;
  r.add("in (uploaded, stored)", in_mb / m.seconds(), "MB/s");
  r.add("out (downloaded)", out_mb / m.seconds(), "MB/s");
  m.add_cpu(r, in_mb + out_mb, "MB moved");
  t.finish(r);
  return r;
}

}  // namespace chatbench
