// Request latency histograms and the per-thread scope of the frame being handled.
#include "request_latency.hpp"

#include <string>

namespace chatnode::node {
namespace {
thread_local request_scope* t_current = nullptr;

// Label values: the wire name in lower case ("TEXT_MESSAGE" -> "text_message").
std::string label_of(protocol::message_type type) {
  std::string name(protocol::to_string(type));
  for (char& c : name)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return name;
}
}  // namespace

request_latency::request_latency() {
  for (auto& h : by_type_) h = std::make_unique<histogram>(bounds);
}

void request_latency::observe(protocol::message_type type, clock::duration elapsed) noexcept {
  const auto index = static_cast<std::size_t>(type);
  if (index < by_type_.size()) by_type_[index]->observe(std::chrono::duration<double>(elapsed).count());
}

const histogram& request_latency::of(protocol::message_type type) const {
  return *by_type_.at(static_cast<std::size_t>(type));
}

void request_latency::write(std::ostream& out) const {
  constexpr std::string_view name = "chatnode_request_duration_seconds";
  out << "# HELP " << name
      << " Time from a client request's frame being read to its reply being queued (for changes: after the "
         "durable commit), by request type.\n"
      << "# TYPE " << name << " histogram\n";
  for (std::size_t i = 0; i < by_type_.size(); ++i) {
    if (by_type_[i]->read().count == 0) continue;  // a series appears with its first request
    const auto type = static_cast<protocol::message_type>(i);
    by_type_[i]->write_samples(out, name, "type=\"" + label_of(type) + "\"");
  }
}

request_scope::request_scope(request_latency& sink) noexcept
    : sink_(sink), start_(request_latency::clock::now()), previous_(t_current) {
  t_current = this;
}

request_scope::~request_scope() {
  t_current = previous_;
  if (type_ && !taken_) request_timer(sink_, *type_, start_).done();
}

void request_scope::set_type(protocol::message_type type) noexcept {
  if (t_current) t_current->type_ = type;
}

request_timer request_scope::take() noexcept {
  request_scope* s = t_current;
  if (!s) return {};
  return s->release();
}

request_timer request_scope::release() noexcept {
  if (!type_ || taken_) return {};
  taken_ = true;
  return request_timer(sink_, *type_, start_);
}

}  // namespace chatnode::node
