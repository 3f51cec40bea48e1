// The media rules (core/media.hpp) on the in-memory store.
#include "core_fixture.hpp"

#include "core/media.hpp"

namespace chatnode::core::testing {
namespace {

}  // namespace
}  // namespace chatnode::core::testing
