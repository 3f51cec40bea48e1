#!/usr/bin/env bash
# Checks the systemd unit: the directives the deployment relies on (user, paths, reload,
# first-run condition) and its hardening, scored by `systemd-analyze security --offline`.
# (`systemd-analyze verify` needs /usr/bin/chatnode, so install_test.sh runs it.)
# usage: check_unit.sh UNIT_FILE
set -euo pipefail
unit=$1
. "$(dirname "$0")/lib.sh"
# Exposure 0.0 (locked down) .. 10.0 (unprotected), in tenths; the unit scores 1.2 today.
max_exposure_tenths=15

required=(
  "ConditionPathExists=/etc/chatnode/chatnode.json"
  "ExecStart=/usr/bin/chatnode serve --config /etc/chatnode/chatnode.json"
  "ExecReload=/bin/kill -HUP \$MAINPID"
  "Restart=on-failure"
  "User=chatnode" "Group=chatnode"
  "StateDirectory=chatnode" "StateDirectoryMode=0700"
  "RuntimeDirectory=chatnode"
  "LimitNOFILE=65536"
  "NoNewPrivileges=yes"
  "ProtectSystem=strict"
  "ReadWritePaths=/var/lib/chatnode"
  "PrivateTmp=yes" "PrivateDevices=yes" "ProtectHome=yes"
  "ProtectKernelTunables=yes" "ProtectKernelModules=yes" "ProtectKernelLogs=yes"
  "ProtectControlGroups=yes"
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
  "RestrictNamespaces=yes"
  "LockPersonality=yes"
  "MemoryDenyWriteExecute=yes"
  "SystemCallFilter=@system-service"
  "CapabilityBoundingSet="
  "WantedBy=multi-user.target"
)
for line in "${required[@]}"; do
  grep -qxF -- "$line" "$unit" || fail "$unit lacks the line '$line'"
done
# Nothing may widen what the lines above grant.
! grep -Eq '^(AmbientCapabilities|CapabilityBoundingSet)=.+|^(User|DynamicUser)=root|^PermissionsStartOnly' "$unit" ||
  fail "$unit grants capabilities or root"

report=$(systemd-analyze security --offline=true --threshold="$max_exposure_tenths" "$unit" 2>&1) ||
  { echo "$report" >&2; fail "exposure above $max_exposure_tenths tenths"; }
echo "$report" | tail -1
