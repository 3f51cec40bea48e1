// In-place upgrades of a data dir made by an older chatnode (schema.hpp says what changed).
#pragma once

#include "lmdb.hpp"

#include <cstdint>

namespace chatnode::store {

// Brings the data of schema version `from` up to schema_version inside `t` (every table of
// this version is open). Throws on data it cannot read, so nothing is half upgraded.
void upgrade(txn& t, std::uint32_t from);

}  // namespace chatnode::store
