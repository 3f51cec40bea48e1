#!/usr/bin/env bash
# Runs the packaged unit under a real systemd: systemd boots as PID 1 of private PID, mount,
# network, UTS, IPC and cgroup namespaces over a throwaway root (throwaway_root.sh), with
# /sys and /proc/sys read-only and the units that touch the kernel masked. Checks that the
# hardened unit really runs the node: condition before setup, user, seccomp, no
# capabilities, read-only system, TLS service, reload, restart on failure, upgrade, purge.
# usage: systemd_test.sh DEB_DIR WORK_DIR VERSION      (needs root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/throwaway_root.sh"
boot_timeout_seconds=60
wait_timeout_tenths=300  # every wait for a unit state or the ready line: 30 s at most
test_target=chatnode-test.target
# Units that would act on the shared kernel (sysctl, modules, binfmt, udev, clock) or on
# terminals: masked in the throwaway root.
masked_units=(systemd-sysctl.service systemd-modules-load.service systemd-binfmt.service
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-udevd.service
  systemd-udev-trigger.service systemd-udev-settle.service systemd-timesyncd.service
  systemd-hwdb-update.service systemd-remount-fs.service console-getty.service getty.target
  kmod-static-nodes.service sys-kernel-debug.mount sys-kernel-tracing.mount
  sys-fs-fuse-connections.mount sys-kernel-config.mount dev-hugepages.mount)

# --- on the host -----------------------------------------------------------------------
# The namespace gets a cgroup of its own, so systemd's cgroups nest there, not at the top.
cgroup2_root() {
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup; else echo /sys/fs/cgroup/unified; fi
}

remove_cgroup() {
  [ -d "$1" ] || return 0
  find "$1" -depth -mindepth 0 -type d -exec rmdir {} \; 2>/dev/null || true
  [ ! -d "$1" ] || echo "warning: could not remove cgroup $1" >&2
}

run_outside() {
  local work=$2 version=$3 deb cgroup pid1 ns_parent rc=0
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespaces, overlayfs, cgroups)"; exit 77; }
  [ -x /lib/systemd/systemd ] || { echo "FAIL: no /lib/systemd/systemd (package systemd)" >&2; exit 1; }
  deb=$1/chatnode_${version}-1_$(dpkg --print-architecture).deb
  [ -f "$deb" ] || { echo "FAIL: no $deb" >&2; exit 1; }
  prepare_work "$work" "$deb"
  cgroup=$(cgroup2_root)/chatnode-test-$$
  mkdir "$cgroup"
  (echo "$BASHPID" >"$cgroup/cgroup.procs" &&
    exec unshare --mount --pid --net --uts --ipc --cgroup --fork --propagation private \
      bash "$here/systemd_test.sh" --boot "$work") &
  ns_parent=$!
  pid1=$(wait_for_pid1 "$ns_parent") || rc=1
  if [ "$rc" -eq 0 ]; then
    in_ns "$pid1" timeout "$boot_timeout_seconds" systemctl is-system-running --wait >/dev/null ||
      { echo "FAIL: systemd did not finish booting" >&2; in_ns "$pid1" systemctl --failed --no-pager >&2 || true; rc=1; }
  fi
  [ "$rc" -ne 0 ] || in_ns "$pid1" bash "$inside/systemd_test.sh" --in-root "$inside/chatnode.deb" "$version" || rc=$?
  shut_down "$pid1" "$ns_parent"
  remove_cgroup "$cgroup"
  remove_work "$work"
  return "$rc"
}

# PID 1 of the namespace is unshare's child, once it runs systemd and listens on its
# private socket (what systemctl talks to).
wait_for_pid1() {
  local i pid
  for ((i = 0; i < wait_timeout_tenths; i++)); do
    pid=$(pgrep -P "$1" || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] &&
      [ -S "/proc/$pid/root/run/systemd/private" ]; then
      echo "$pid"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: systemd did not start in the namespace" >&2
  return 1
}

in_ns() {
  local pid=$1
  shift
  nsenter -t "$pid" -m -u -i -n -p -C -r -w /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

# poweroff ends PID 1 and with it the namespaces; SIGKILL to PID 1 if it does not.
shut_down() {
  local pid1=$1 ns_parent=$2 i
  [ -z "$pid1" ] || in_ns "$pid1" systemctl poweroff >/dev/null 2>&1 || true
  for ((i = 0; i < wait_timeout_tenths; i++)); do
    kill -0 "$ns_parent" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$ns_parent" 2>/dev/null; then
    [ -z "$pid1" ] || kill -KILL "$pid1" 2>/dev/null || true
  fi
  wait "$ns_parent" 2>/dev/null || true
}

# --- PID 1 of the new namespaces: set up the root, then become systemd ----------------
run_boot() {
  local work=$1 root=$1/root unit
  mount_root "$work"
  mount --bind "$root/proc/sys" "$root/proc/sys"
  mount -o remount,bind,ro "$root/proc/sys"
  mount -t sysfs -o ro sysfs "$root/sys"
  mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"
  ip link set lo up
  mkdir -p "$root/etc/systemd/system"
  for unit in "${masked_units[@]}"; do ln -sf /dev/null "$root/etc/systemd/system/$unit"; done
  printf '[Unit]\nDescription=chatnode packaging test\n' >"$root/etc/systemd/system/$test_target"
  # This machine's Docker-style policy-rc.d forbids starting services; a real host has none.
  rm -f "$root/usr/sbin/policy-rc.d"
  # pivot_root, not chroot: the overlay becomes the namespace's real root, as on a host
  # (some sandboxing, e.g. user namespaces, is refused inside a chroot).
  cd "$root"
  pivot_root . mnt
  exec /usr/bin/env -i container=chatnode-test /bin/sh -c \
    "umount -l /mnt && exec /lib/systemd/systemd --unit=$test_target --log-target=journal"
}

# --- in the throwaway root, under systemd ----------------------------------------------
prop() { systemctl show -p "$1" --value chatnode.service; }

# wait_for PROPERTY VALUE: until systemctl shows it, bounded.
wait_for() {
  local i
  for ((i = 0; i < wait_timeout_tenths; i++)); do
    [ "$(prop "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "chatnode.service: $1 stayed '$(prop "$1")', expected '$2'; $(unit_log)"
}

# Active is not enough (Type=exec): serving starts with the ready line, which this run
# (the unit's current invocation) must have written to the journal.
wait_ready() {
  local i invocation
  for ((i = 0; i < wait_timeout_tenths; i++)); do
    invocation=$(prop InvocationID)
    journalctl -o cat "_SYSTEMD_INVOCATION_ID=$invocation" | grep -q '^chatnode ready' && return 0
    sleep 0.1
  done
  fail "no ready line in the journal: $(unit_log)"
}

unit_log() { systemctl status chatnode --no-pager -l 2>&1 | tail -15; journalctl -u chatnode --no-pager -n 20; }

start_and_wait_ready() {
  systemctl start chatnode || fail "systemctl start chatnode: $(unit_log)"
  wait_for ActiveState active
  wait_ready
}

client() { node_client alpha.test /etc/chatnode/ca/ca.crt "$@"; }
healthz() { node_get alpha.test /etc/chatnode/ca/ca.crt /healthz; }

step_install_unconfigured() {
  dpkg -i "$1" >/dev/null 2>&1 || fail "dpkg -i under systemd"
  expect_eq "$(systemctl is-enabled chatnode)" enabled "unit enabled by the postinst"
  expect_eq "$(prop ActiveState)" inactive "state without a config"
  expect_eq "$(prop ConditionResult)" no "the ConditionPathExists check (postinst started it)"
  systemctl start chatnode
  expect_eq "$(prop ActiveState)" inactive "state after a start without a config"
  expect_eq "$(prop Result)" success "result of a start without a config"
  echo "ok: installed and enabled; without a config, start is a clean no-op"
}

# The running node, seen from outside: identity, seccomp, capabilities, mounts.
step_sandbox() {
  local pid mountinfo
  pid=$(prop MainPID)
  expect_eq "$(awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$pid/status")" \
    "$(id -u chatnode) $(id -u chatnode) $(id -u chatnode) $(id -u chatnode)" "the node's uids"
  expect_eq "$(awk '/^NoNewPrivs:/{print $2}' "/proc/$pid/status")" 1 "NoNewPrivs"
  expect_eq "$(awk '/^Seccomp:/{print $2}' "/proc/$pid/status")" 2 "seccomp filter mode"
  expect_eq "$(awk '/^CapEff:/{print $2}' "/proc/$pid/status")" 0000000000000000 "effective capabilities"
  expect_eq "$(awk '/^CapBnd:/{print $2}' "/proc/$pid/status")" 0000000000000000 "capability bounding set"
  mountinfo=$(cat "/proc/$pid/mountinfo")
  echo "$mountinfo" | awk '$5 == "/" {print $6}' | grep -q '^ro' || fail "the node's / is not read-only"
  echo "$mountinfo" | awk '$5 == "/var/lib/chatnode" {print $6}' | grep -q '^rw' || fail "/var/lib/chatnode is not writable"
  echo "$mountinfo" | awk '$5 == "/home" {print $6}' | grep -q . || fail "/home is not hidden"
  expect_mode /run/chatnode "750 chatnode chatnode"
  echo "ok: the node runs as chatnode with seccomp, no capabilities, / read-only, state writable"
}

step_serve() {
  chatnode-setup --domain alpha.test >/dev/null
  start_and_wait_ready
  step_sandbox
  expect_eq "$(healthz)" ok "GET /healthz"
  client register alice pw-alice >/dev/null || fail "register alice under the hardened unit"
  echo "ok: serves TLS and stores an account under the hardened unit"
}

step_reload_and_restart() {
  local pid
  pid=$(prop MainPID)
  systemctl reload chatnode
  # A node that SIGHUP killed is gone before a new TLS handshake could finish.
  expect_eq "$(healthz)" ok "GET /healthz after reload"
  expect_eq "$(prop MainPID):$(prop ActiveState)" "$pid:active" "after systemctl reload (SIGHUP)"
  systemctl kill -s KILL chatnode
  wait_for NRestarts 1
  wait_for ActiveState active
  [ "$(prop MainPID)" != "$pid" ] || fail "not restarted after SIGKILL"
  wait_ready
  echo "ok: reload keeps the process; Restart=on-failure brings it back after SIGKILL"
}

step_upgrade_stop_purge() {
  local deb=$1 pid rc
  pid=$(prop MainPID)
  dpkg -i "$deb" >/dev/null 2>&1 || fail "dpkg -i (upgrade) under systemd"
  wait_for ActiveState active
  [ "$(prop MainPID)" != "$pid" ] || fail "the upgrade did not restart the node"
  wait_ready
  set +e; client register alice pw-alice >/dev/null 2>&1; rc=$?; set -e
  expect_eq "$rc" 1 "registering alice again after the upgrade (her account must still be there)"
  systemctl stop chatnode
  expect_eq "$(prop Result):$(prop ExecMainStatus)" success:0 "a stop with SIGTERM"
  systemctl start chatnode
  wait_for ActiveState active
  dpkg -P chatnode >/dev/null 2>&1 || fail "dpkg -P under systemd"
  expect_eq "$(prop LoadState)" not-found "the unit after purge"
  ! pgrep -u chatnode >/dev/null || fail "a chatnode process survived the purge"
  expect_absent /etc/chatnode
  expect_absent /var/lib/chatnode
  expect_absent /run/chatnode
  echo "ok: upgrade restarts the node with its data; stop is clean; purge stops and removes it"
}

run_in_root() {
  local deb=$1
  . "$inside/lib.sh"
  scrub_chatnode
  step_install_unconfigured "$deb"
  step_serve
  step_reload_and_restart
  step_upgrade_stop_purge "$deb"
}

case ${1:-} in
  --boot) shift; run_boot "$@" ;;
  --in-root) shift; run_in_root "$@" ;;
  *) run_outside "$@" ;;
esac
