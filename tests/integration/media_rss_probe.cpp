// media_rss_probe: how much memory a node uses to move one large media (docs §13). Starts a
// node (node_process), uploads a media (default 100 MiB) from alice to her online friend
// bob, who downloads it as soon as it is offered, and samples the node's VmRSS, RssAnon
// and VmHWM from /proc/PID/status every 100 ms. Prints the peaks and the throughput.
//
//   media_rss_probe [MiB=100] [upload window=8]
//
// Not a test: the numbers depend on the machine. Exit status 0 when the media arrived
// intact.
#include "tests/integration/media_helpers.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/protocol_helpers.hpp"
#include "tests/integration/social_helpers.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using namespace chatnode::testing;
using steady = std::chrono::steady_clock;

// The pid of the `chatnode serve --config <config>` process.
pid_t find_node_pid(const fs::path& config) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (cmdline.find(std::string("serve") + '\0') != std::string::npos &&
        cmdline.find(config.string()) != std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  throw std::runtime_error("no chatnode serve process for " + config.string());
}

struct memory {
  long rss_kb = 0;
  long anon_kb = 0;
  long hwm_kb = 0;
  long file_kb = 0;  // RssFile: mostly LMDB's memory map (page cache, not the node's heap)
};

std::optional<memory> read_memory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  memory m;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    long value = 0;
    fields >> key >> value;
    if (key == "VmRSS:") m.rss_kb = value;
    if (key == "RssAnon:") m.anon_kb = value;
    if (key == "VmHWM:") m.hwm_kb = value;
    if (key == "RssFile:") m.file_kb = value;
  }
  return m;
}

double mib(long kb) { return static_cast<double>(kb) / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::size_t size_mib = argc > 1 ? std::stoul(argv[1]) : 100;
    const std::size_t window = argc > 2 ? std::stoul(argv[2]) : 8;
    const std::size_t size = size_mib * 1024 * 1024;

    node_process node;
    node.start();
    const pid_t pid = find_node_pid(node.config_file());
    register_users(node, {"alice", "bob"});
    auto alice = login_user(node, "alice");
    auto bob = login_user(node, "bob");
    make_friends(*alice, "alice", *bob, "bob");
    const auto bytes = random_bytes(size, 42);
    const std::string want_sha = sha256_hex(bytes);

    const auto baseline = read_memory(pid).value_or(memory{});
    std::mutex mutex;
    memory peak_upload;
    memory peak_download;
    memory last;
    std::atomic<int> phase{0};  // 0 upload, 1 download, 2 done
    std::atomic<bool> stop{false};
    std::thread sampler([&] {
      while (!stop.load()) {
        if (auto m = read_memory(pid)) {
          std::lock_guard lock(mutex);
          memory& peak = phase.load() == 0 ? peak_upload : peak_download;
          peak.rss_kb = std::max(peak.rss_kb, m->rss_kb);
          peak.anon_kb = std::max(peak.anon_kb, m->anon_kb);
          peak.hwm_kb = std::max(peak.hwm_kb, m->hwm_kb);
          peak.file_kb = std::max(peak.file_kb, m->file_kb);
          last = *m;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });

    // bob downloads as soon as the offer comes (at the upload's completion).
    std::optional<download_result> got;
    std::exception_ptr download_error;
    steady::time_point download_end;
    std::thread downloader([&] {
      try {
        download_options options;
        options.keep_bytes = false;
        options.timeout = std::chrono::minutes(10);
        got = download(*bob, "bob", std::move(options));
      } catch (...) {
        download_error = std::current_exception();
      }
      download_end = steady::now();
    });

    media_upload up;
    up.sender = "alice";
    up.receiver = "bob";
    up.media_id = "rss-probe";
    up.bytes = bytes;
    up.window = window;
    const auto t0 = steady::now();
    std::exception_ptr upload_error;
    upload_result sent;
    try {
      sent = upload(*alice, up);
    } catch (...) {
      upload_error = std::current_exception();
    }
    const auto t1 = steady::now();
    phase = 1;
    downloader.join();
    phase = 2;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
    sampler.join();
    if (upload_error) std::rethrow_exception(upload_error);
    if (download_error) std::rethrow_exception(download_error);

    const double up_s = std::chrono::duration<double>(t1 - t0).count();
    const double down_s = std::chrono::duration<double>(download_end - t1).count();
    const double total_mib = static_cast<double>(size) / (1024.0 * 1024.0);
    std::printf("media: %zu MiB, %u chunks of 64 KiB, upload window %zu, delivery window 8 (default)\n", size_mib,
                up.total_chunks(), window);
    std::printf("upload:   %.2f s, %.1f MiB/s (MEDIA_MESSAGE to MEDIA_MESSAGE_COMPLETE code %lld)\n", up_s,
                total_mib / up_s, static_cast<long long>(code_of(sent.complete).value_or(-1)));
    std::printf("download: %.2f s, %.1f MiB/s (offer to COMPLETE_ACK), sha256 %s\n", down_s, total_mib / down_s,
                got && got->received_sha256 == want_sha ? "matches" : "DIFFERS");
    std::printf("node pid %d, sampled every 100 ms:\n", static_cast<int>(pid));
    std::printf("  before upload     VmRSS %7.1f MiB  RssAnon %6.1f MiB  RssFile %7.1f MiB  VmHWM %7.1f MiB\n",
                mib(baseline.rss_kb), mib(baseline.anon_kb), mib(baseline.file_kb), mib(baseline.hwm_kb));
    std::printf("  peak in upload    VmRSS %7.1f MiB  RssAnon %6.1f MiB  RssFile %7.1f MiB\n", mib(peak_upload.rss_kb),
                mib(peak_upload.anon_kb), mib(peak_upload.file_kb));
    std::printf("  peak in download  VmRSS %7.1f MiB  RssAnon %6.1f MiB  RssFile %7.1f MiB\n", mib(peak_download.rss_kb),
                mib(peak_download.anon_kb), mib(peak_download.file_kb));
    std::printf("  peak overall      VmRSS %7.1f MiB  RssAnon %6.1f MiB  VmHWM (at end) %7.1f MiB\n",
                mib(std::max(peak_upload.rss_kb, peak_download.rss_kb)),
                mib(std::max(peak_upload.anon_kb, peak_download.anon_kb)), mib(last.hwm_kb));
    const bool ok = got && got->completed && got->received_sha256 == want_sha && code_of(sent.complete) == 0;
    std::fflush(stdout);
    bob->close();
    alice->close();
    node.stop();
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "media_rss_probe: %s\n", e.what());
    return 1;
  }
}
