# Helpers shared by the packaging tests (sourced): failures name what was expected.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
# expect_mode PATH "MODE OWNER GROUP" (stat's %a %U %G)
expect_mode() { expect_eq "$(stat -c '%a %U %G' "$1")" "$2" "mode/owner of $1"; }
expect_absent() { [ ! -e "$1" ] && [ ! -L "$1" ] || fail "$1 should not exist"; }
# The installed node on 127.0.0.1:7443 (each test has its own network namespace), reached
# under its domain and trusting its CA: node_get DOMAIN CA PATH, node_client DOMAIN CA ARGS...
node_get() { curl -sS --cacert "$2" --resolve "$1:7443:127.0.0.1" "https://$1:7443$3"; }
node_client() {
  local domain=$1 ca=$2
  shift 2
  chatnode-client --ca "$ca" --server 127.0.0.1:7443 --server-name "$domain" "$@"
}
