#!/usr/bin/env bash
# Static checks of packaging/Containerfile and .dockerignore (no container engine runs on CI
# machines): Debian 12 bases, a non-root final user, exec-form entry point, apt hygiene, the
# volume and ports, and a build context that keeps what the build needs.
# usage: check_container.sh SOURCE_DIR
set -euo pipefail
src=$1
file=$src/packaging/Containerfile
ignore=$src/.dockerignore
. "$(dirname "$0")/lib.sh"
[ -f "$file" ] || fail "no $file"
[ -f "$ignore" ] || fail "no $ignore"

# Joins continuation lines, drops comments: one instruction per line.
instructions=$(sed -e '/^[[:space:]]*#/d' "$file" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | sed '/^[[:space:]]*$/d')
final_stage=$(echo "$instructions" | awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}')

check_bases() {
  local from
  while read -r from; do
    case $from in
      "FROM debian:12 AS "* | "FROM debian:12-slim" | "FROM debian:12-slim AS "*) ;;
      *) fail "base image is not a pinned Debian 12: '$from'" ;;
    esac
  done < <(echo "$instructions" | grep '^FROM ')
  [ "$(echo "$instructions" | grep -c '^FROM ')" -ge 2 ] || fail "expected a build stage and a runtime stage"
}

check_final_stage() {
  local user last_user_line last_run_line
  user=$(echo "$final_stage" | sed -n 's/^USER //p' | tail -1)
  [ -n "$user" ] || fail "the final stage sets no USER (it would run as root)"
  case ${user%%:*} in root | 0) fail "the final stage runs as $user" ;; esac
  last_user_line=$(echo "$final_stage" | grep -n '^USER ' | tail -1 | cut -d: -f1)
  last_run_line=$(echo "$final_stage" | grep -n '^RUN ' | tail -1 | cut -d: -f1)
  [ "$last_user_line" -gt "$last_run_line" ] || fail "USER must follow the last RUN"
  grep -qx 'ENTRYPOINT \["/usr/bin/chatnode"\]' <<<"$final_stage" || fail "ENTRYPOINT is not the exec form of /usr/bin/chatnode"
  grep -qx 'CMD \["serve", "--config", "/var/lib/chatnode/chatnode.json"\]' <<<"$final_stage" ||
    fail "CMD is not serve --config /var/lib/chatnode/chatnode.json in exec form"
  grep -qx 'VOLUME /var/lib/chatnode' <<<"$final_stage" || fail "no VOLUME /var/lib/chatnode"
  grep -qx 'EXPOSE 7443 7444' <<<"$final_stage" || fail "ports 7443 and 7444 not exposed"
  grep -q 'apt-get install .*/tmp/chatnode-deb/chatnode_\*\.deb' <<<"$final_stage" ||
    fail "the runtime stage does not install the project's .deb"
}

check_hygiene() {
  local run
  ! grep -Eq '(^|[^a-z])(sudo|curl [^|]*\| *(ba)?sh)([^a-z]|$)|^ADD ' "$file" || fail "sudo, curl|sh or ADD in $file"
  # Each command of each RUN on its own line.
  while read -r run; do
    echo "$run" | grep -q -- '--no-install-recommends' || fail "apt-get install without --no-install-recommends: $run"
  done < <(echo "$instructions" | grep '^RUN ' | sed 's/&&/\n/g; s/;/\n/g' | grep 'apt-get install')
  echo "$final_stage" | grep '^RUN .*apt-get update' | grep -q 'rm -rf /var/lib/apt/lists' ||
    fail "the runtime stage keeps apt lists"
  grep -q '"name": "release"' "$src/CMakePresets.json" || fail "the build stage uses preset release, which is gone"
  [ -x "$src/scripts/install-deps.sh" ] || fail "the build stage runs scripts/install-deps.sh, which is gone"
}

# .dockerignore: build outputs and VCS data out; nothing the build reads.
check_ignore() {
  local p
  for p in .git build run '**/node_modules'; do
    grep -qxF -- "$p" "$ignore" || fail "$ignore does not exclude $p"
  done
  while read -r p; do
    case $p in '' | '#'*) continue ;; esac
    for needed in CMakeLists.txt CMakePresets.json cmake scripts packaging docs protocol crypto store \
        federation node client audit web tests README.md; do
      # shellcheck disable=SC2053  # $p is a pattern on purpose
      [[ $needed != $p ]] || fail "$ignore excludes $needed, which the build needs"
    done
  done <"$ignore"
}

check_bases
check_final_stage
check_hygiene
check_ignore
echo "ok: $(echo "$instructions" | grep -c '^FROM ') stages, runtime runs as $(echo "$final_stage" | sed -n 's/^USER //p' | tail -1)"
