// The protocol hot path of a text message: decode + validate a client's TEXT_MESSAGE, and
// encode the copy the node delivers.
#include "protocol/codec.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace chatnode::protocol;

const std::string text_frame =
    R"({"type":"TEXT_MESSAGE","id":"m1","payload":{"sender":"alice","receiver":"bob","content":"0 1234 5678901234567 Hello, how are you?"}})";

void BM_DecodeTextMessage(benchmark::State& state) {
  for (auto _ : state) {
    auto r = decode(text_frame);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text_frame.size()));
}
BENCHMARK(BM_DecodeTextMessage);

void BM_EncodeDeliveredTextMessage(benchmark::State& state) {
  const envelope e{text_message{.sender = "alice@alpha.example",
                                .receiver = "bob@alpha.example",
                                .content = "0 1234 5678901234567 Hello, how are you?",
                                .message_id = "1042"},
                   1630000000, std::nullopt};
  for (auto _ : state) {
    auto s = encode(e);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_EncodeDeliveredTextMessage);

}  // namespace

BENCHMARK_MAIN();
