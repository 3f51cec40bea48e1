#!/usr/bin/env bash
# Checks chatnode-setup's command line (its domain rule must be the node's own: every domain
# is tried against `chatnode init` too) and that every packaged shell script parses.
# usage: check_setup.sh SOURCE_DIR CHATNODE_BIN
set -euo pipefail
src=$1 chatnode=$2
setup=$src/packaging/chatnode-setup
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for s in "$setup" "$src"/packaging/debian/{postinst,prerm,postrm}; do
  sh -n "$s" || fail "sh -n $s"
  [ -x "$s" ] || fail "$s is not executable"
done
for s in postinst prerm postrm; do
  set +e; "$src/packaging/debian/$s" bogus-action 2>/dev/null; rc=$?; set -e
  expect_eq "$rc" 1 "$s with an unknown action"
done

# As nobody: a valid command line then stops at "must run as root", so this machine's own
# /etc/chatnode is never touched.
as_nobody=()
[ "$(id -u)" -ne 0 ] || as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
run_setup() { set +e; out=$("${as_nobody[@]}" "$setup" "$@" 2>&1); rc=$?; set -e; }
run_setup --help
expect_eq "$rc" 0 "--help"
grep -q "usage: chatnode-setup --domain DOMAIN" <<<"$out" || fail "--help: $out"
run_setup
expect_eq "$rc" 2 "no arguments"
run_setup --domain
expect_eq "$rc" 2 "--domain without a value"
run_setup --domain alpha.example --frobnicate
expect_eq "$rc" 2 "an unknown option"
run_setup --domain ""
expect_eq "$rc" 2 "an empty domain"

label63=$(printf 'a%.0s' $(seq 63))
long253=$(printf "$label63.%.0s" 1 2 3)$(printf 'b%.0s' $(seq 61))
domains=(alpha.example Alpha.EXAMPLE localhost a-b.c0 1.2.3.4 xn--bcher-kva.example "$label63.x" "$long253"
  -a.b a-.b a..b .a a. a_b.c "ex ample" "${label63}a.x" "${long253}c" "a/b" "a*b" "a;b")
for d in "${domains[@]}"; do
  run_setup --domain "$d"
  setup_refused=$([ "$rc" -eq 2 ] && echo refused || echo accepted)
  # Only init's domain check counts (a long domain must pass it: the certificate CN is shortened, the SAN keeps the domain).
  init_out=$("$chatnode" init --domain="$d" --dir "$tmp/init" 2>&1 || true)
  node_refused=$(grep -q 'is not a valid domain name' <<<"$init_out" && echo refused || echo accepted)
  rm -rf "$tmp/init"
  expect_eq "$setup_refused" "$node_refused" "chatnode-setup vs chatnode init on domain '$d' ($out)"
done
echo "ok: ${#domains[@]} domains judged alike by chatnode-setup and chatnode init"
