// The history rules (core/history.hpp) on the in-memory store.
#include "core_fixture.hpp"

#include "core/history.hpp"

namespace chatnode::core::testing {
namespace {

}  // namespace
}  // namespace chatnode::core::testing
