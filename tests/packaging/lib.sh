# Helpers shared by the packaging tests (sourced): failures name what was expected.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
# expect_mode PATH "MODE OWNER GROUP" (stat's %a %U %G)
expect_mode() { expect_eq "$(stat -c '%a %U %G' "$1")" "$2" "mode/owner of $1"; }
expect_absent() { [ ! -e "$1" ] && [ ! -L "$1" ] || fail "$1 should not exist"; }
