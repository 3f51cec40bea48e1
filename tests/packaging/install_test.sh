#!/usr/bin/env bash
# Runs the package's whole life in a throwaway root: a copy-on-write overlay of this machine's
# own root, in private mount, PID and network namespaces (so nothing reaches the host, and
# the node's ports cannot clash): install, chatnode-setup, the node serving as user chatnode,
# upgrade, remove, purge. Real dpkg, adduser, maintainer scripts and node.
# usage: install_test.sh DEB_DIR WORK_DIR VERSION      (needs root: unshare, overlayfs, chroot)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/throwaway_root.sh"
ready_timeout_tenths=300   # the node must print its ready line within 30 s
stop_timeout_tenths=300

# --- on the host -----------------------------------------------------------------------
run_outside() {
  local work=$2 version=$3 deb rc=0
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (unshare, overlayfs, chroot)"; exit 77; }
  deb=$1/chatnode_${version}-1_$(dpkg --print-architecture).deb
  [ -f "$deb" ] || { echo "FAIL: no $deb" >&2; exit 1; }
  prepare_work "$work" "$deb"
  unshare --mount --net --pid --fork --propagation private \
    bash "$here/install_test.sh" --namespace "$work" "$version" || rc=$?
  remove_work "$work"
  return "$rc"
}

# --- in the new namespaces, before chroot ---------------------------------------------
run_namespace() {
  local work=$1 version=$2
  mount_root "$work"
  ip link set lo up
  chroot "$work/root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    bash "$inside/install_test.sh" --in-root "$inside/chatnode.deb" "$version"
}

# --- in the throwaway root -------------------------------------------------------------
step_install() {
  local deb=$1 version=$2 out uid gid home shell verify
  out=$(dpkg -i "$deb" 2>&1) || { echo "$out" >&2; fail "dpkg -i"; }
  grep -q "chatnode-setup --domain YOUR.DOMAIN" <<<"$out" || fail "postinst did not say how to configure: $out"
  expect_eq "$(dpkg-query -W -f='${Status} ${Version}' chatnode)" "install ok installed $version-1" "package state"
  IFS=: read -r _ _ uid gid _ home shell < <(getent passwd chatnode)
  [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "chatnode has uid $uid, not a system uid"
  expect_eq "$home:$shell" /var/lib/chatnode:/usr/sbin/nologin "chatnode's home and shell"
  expect_eq "$(getent group chatnode | cut -d: -f3)" "$gid" "chatnode's primary group"
  expect_mode /var/lib/chatnode "700 chatnode chatnode"
  expect_mode /etc/chatnode "750 root chatnode"
  expect_eq "$(readlink /etc/systemd/system/multi-user.target.wants/chatnode.service)" \
    /lib/systemd/system/chatnode.service "unit enabled at install"
  expect_eq "$(chatnode version)" "chatnode $version" "installed chatnode"
  verify=$(systemd-analyze verify /lib/systemd/system/chatnode.service 2>&1) || fail "systemd-analyze verify: $verify"
  [ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"
  echo "ok: installed; user chatnode uid $uid; unit enabled and verified"
}

step_setup() {
  local out rc
  out=$(chatnode-setup --domain Alpha.Test)
  grep -qx "wrote /etc/chatnode/chatnode.json for alpha.test" <<<"$out" || fail "chatnode-setup said: $out"
  expect_mode /etc/chatnode/chatnode.json "640 root chatnode"
  expect_mode /etc/chatnode/certs "750 root chatnode"
  expect_mode /etc/chatnode/certs/node.key "640 root chatnode"
  expect_mode /etc/chatnode/certs/node.crt "644 root root"
  expect_mode /etc/chatnode/ca/ca.key "600 root root"
  grep -q '"domain": "alpha.test"' /etc/chatnode/chatnode.json || fail "domain not in the config"
  set +e; out=$(chatnode-setup --domain alpha.test 2>&1); rc=$?; set -e
  expect_eq "$rc" 1 "chatnode-setup over an existing config without --force ($out)"
  echo "ok: chatnode-setup wrote the config and certificates"
}

# Runs a command as user chatnode, as the unit (User=, Group=) and the image (USER) do.
as_chatnode_exec=(setpriv --reuid=chatnode --regid=chatnode --init-groups)
as_chatnode() { "${as_chatnode_exec[@]}" "$@"; }

# The node as the unit runs it (or the given command line); waits for the ready line.
start_node() {
  [ $# -gt 0 ] || set -- chatnode serve --config /etc/chatnode/chatnode.json
  # A ready line left from the previous run must not count: the background job may not
  # have truncated the file yet when the first grep runs.
  rm -f /tmp/node.out /tmp/node.err
  # Not through the function: $! must be the node itself, which SIGTERM is for.
  "${as_chatnode_exec[@]}" "$@" >/tmp/node.out 2>/tmp/node.err &
  node_pid=$!
  local i
  for ((i = 0; i < ready_timeout_tenths; i++)); do
    grep -qs '^chatnode ready' /tmp/node.out && return 0
    kill -0 "$node_pid" 2>/dev/null || fail "the node exited: $(cat /tmp/node.err)"
    sleep 0.1
  done
  fail "no ready line within $((ready_timeout_tenths / 10)) s: $(cat /tmp/node.err)"
}

stop_node() {
  kill -TERM "$node_pid"
  local i
  for ((i = 0; i < stop_timeout_tenths; i++)); do
    if ! kill -0 "$node_pid" 2>/dev/null; then
      local rc=0
      wait "$node_pid" || rc=$?
      [ "$rc" -eq 0 ] || fail "the node exited with $rc on SIGTERM: $(tail -5 /tmp/node.err)"
      return 0
    fi
    sleep 0.1
  done
  fail "the node did not stop within $((stop_timeout_tenths / 10)) s of SIGTERM"
}

client() { node_client alpha.test /etc/chatnode/ca/ca.crt "$@"; }

# Serving: TLS with the setup's certificate, LMDB in /var/lib/chatnode, the web client.
step_serve() {
  start_node
  expect_eq "$(node_get alpha.test /etc/chatnode/ca/ca.crt /healthz)" ok "GET /healthz"
  client register alice pw-alice >/dev/null || fail "register alice"
  expect_eq "$(stat -c %U /var/lib/chatnode/data/data.mdb)" chatnode "owner of data.mdb"
  if [ -f /usr/share/chatnode/web/index.html ]; then
    node_get alpha.test /etc/chatnode/ca/ca.crt / >/tmp/index.html
    cmp /tmp/index.html /usr/share/chatnode/web/index.html || fail "GET / is not the installed web client"
  fi
  stop_node
  echo "ok: the node served alpha.test as user chatnode and stopped on SIGTERM"
}

kept_state() {
  stat -c '%a %U %G %n' /etc/chatnode /etc/chatnode/chatnode.json /etc/chatnode/certs/node.key \
    /var/lib/chatnode /var/lib/chatnode/data/data.mdb
  sha256sum /etc/chatnode/chatnode.json /etc/chatnode/certs/node.key /etc/chatnode/ca/ca.key \
    /var/lib/chatnode/data/data.mdb
  getent passwd chatnode
}

# Reinstalling runs the upgrade path of the maintainer scripts (prerm upgrade, postinst
# configure OLD-VERSION); config, data and user must come out untouched.
step_upgrade() {
  local deb=$1 before out rc
  before=$(kept_state)
  out=$(dpkg -i "$deb" 2>&1) || { echo "$out" >&2; fail "dpkg -i (upgrade)"; }
  ! grep -q "chatnode-setup --domain" <<<"$out" || fail "the upgrade asked for a setup that was done"
  expect_eq "$(kept_state)" "$before" "config, data and user after the upgrade"
  start_node
  set +e; out=$(client register alice pw-alice 2>&1); rc=$?; set -e
  expect_eq "$rc" 1 "registering alice again after the upgrade (her account must still be there): $out"
  stop_node
  echo "ok: upgrade kept config, data and user"
}

step_remove_purge() {
  dpkg -r chatnode >/dev/null
  expect_absent /usr/bin/chatnode
  expect_absent /usr/sbin/chatnode-setup
  expect_absent /lib/systemd/system/chatnode.service
  [ -f /etc/chatnode/chatnode.json ] && [ -f /var/lib/chatnode/data/data.mdb ] || fail "remove deleted config or data"
  expect_eq "$(dpkg-query -W -f='${Status}' chatnode)" "deinstall ok config-files" "state after remove"
  expect_eq "$(readlink /etc/systemd/system/chatnode.service)" /dev/null "unit masked while removed"
  dpkg -P chatnode >/dev/null
  expect_absent /etc/chatnode
  expect_absent /var/lib/chatnode
  expect_absent /etc/systemd/system/chatnode.service
  expect_absent /etc/systemd/system/multi-user.target.wants/chatnode.service
  getent passwd chatnode >/dev/null || fail "purge removed the chatnode user (it is kept on purpose)"
  echo "ok: remove kept config and data; purge removed them"
}

# The runtime stage of packaging/Containerfile, minus the engine: its pre-made user, the
# .deb, `chatnode init` into the volume as that user, then the image's ENTRYPOINT + CMD.
step_container() {
  local deb=$1 file=$inside/Containerfile uid entrypoint cmd
  uid=$(sed -n 's/^ARG CHATNODE_UID=//p' "$file")
  entrypoint=$(sed -n 's/^ENTRYPOINT \["\([^"]*\)"\]$/\1/p' "$file")
  read -r -a cmd < <(sed -n 's/^CMD \[\(.*\)\]$/\1/p' "$file" | tr -d '",')
  [ -n "$uid" ] && [ -n "$entrypoint" ] && [ ${#cmd[@]} -gt 0 ] || fail "cannot read ARG/ENTRYPOINT/CMD of $file"
  addgroup --system --quiet --gid "$uid" chatnode
  adduser --system --quiet --uid "$uid" --ingroup chatnode --home /var/lib/chatnode --no-create-home \
    --shell /usr/sbin/nologin chatnode
  dpkg -i "$deb" >/dev/null 2>&1 || fail "dpkg -i over a pre-made user"
  expect_eq "$(id -u chatnode):$(id -g chatnode)" "$uid:$uid" "the image's chatnode ids after the postinst"
  expect_mode /var/lib/chatnode "700 chatnode chatnode"
  (cd /var/lib/chatnode && as_chatnode "$entrypoint" init --domain beta.test --dir /var/lib/chatnode >/dev/null) ||
    fail "chatnode init into the volume as chatnode"
  cd /var/lib/chatnode  # the image's WORKDIR
  start_node "$entrypoint" "${cmd[@]}"
  cd /
  expect_eq "$(node_get beta.test /var/lib/chatnode/ca/ca.crt /healthz)" ok "GET /healthz from the image's command"
  stop_node
  dpkg -P chatnode >/dev/null
  echo "ok: the image's user, init into the volume and its command serve beta.test"
}

run_in_root() {
  local deb=$1 version=$2
  . "$inside/lib.sh"
  scrub_chatnode
  step_install "$deb" "$version"
  step_setup
  step_serve
  step_upgrade "$deb"
  step_remove_purge
  scrub_chatnode
  step_container "$deb"
}

case ${1:-} in
  --namespace) shift; run_namespace "$@" ;;
  --in-root) shift; run_in_root "$@" ;;
  *) run_outside "$@" ;;
esac
