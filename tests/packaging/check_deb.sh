#!/usr/bin/env bash
# Checks the .deb that build_deb.sh made: control fields (Depends against the libraries the
# binaries really load), the file list with owners and modes, the maintainer scripts.
# usage: check_deb.sh DEB_DIR BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
deb_dir=$1 build=$2 src=$3 version=$4
. "$(dirname "$0")/lib.sh"

arch=$(dpkg --print-architecture)
deb=$deb_dir/chatnode_${version}-1_${arch}.deb
[ -f "$deb" ] || fail "no $deb (have: $(ls "$deb_dir"))"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"

check_control() {
  expect_eq "$(dpkg-deb -f "$deb" Package)" chatnode "Package"
  expect_eq "$(dpkg-deb -f "$deb" Version)" "${version}-1" "Version"
  expect_eq "$(dpkg-deb -f "$deb" Architecture)" "$arch" "Architecture"
  expect_eq "$(dpkg-deb -f "$deb" Section)" net "Section"
  [ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
  [ ! -e "$tmp/control/conffiles" ] || fail "the package ships conffiles; /etc is the admin's (chatnode-setup)"
}

# Depends must name exactly the packages whose libraries the ELF files load, plus adduser
# (postinst); each library dependency carries dpkg-shlibdeps' minimum version.
check_depends() {
  local depends multiarch f lib owners pkgs=(adduser)
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  for f in "$tmp"/root/usr/bin/* "$tmp"/root/usr/sbin/*; do
    readelf -h "$f" >/dev/null 2>&1 || continue
    for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      owners=$( (dpkg -S "*/$multiarch/$lib" 2>/dev/null || true) | cut -d: -f1 | sort -u)
      [ -n "$owners" ] && [ "$(echo "$owners" | wc -l)" -eq 1 ] || fail "$lib ($f) is in no or several packages: $owners"
      pkgs+=("$owners")
    done
  done
  expect_eq "$(echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)" \
    "$(printf '%s\n' "${pkgs[@]}" | sort -u)" "Depends package names"
  for p in libboost-json1.81.0 libboost-program-options1.81.0 libssl3 liblmdb0 libcrypto++8 libstdc++6 libc6; do
    echo "$depends" | tr ',' '\n' | sed 's/^ *//' | grep -qF "$p (>= " || fail "Depends lacks '$p (>= …)': $depends"
  done
}

# The file list: only these places, root-owned, no group/other write, no setuid, exact modes.
check_files() {
  local listing line
  listing=$(dpkg-deb -c "$deb")
  echo "$listing" | awk '{print $1, $2, $6}' >"$tmp/list"
  while read -r perms owner path; do
    expect_eq "$owner" root/root "owner of $path"
    case $path in
      ./ | ./usr/ | ./usr/bin/* | ./usr/sbin/* | ./usr/share/ | ./usr/share/chatnode/* | \
      ./usr/share/doc/ | ./usr/share/doc/chatnode/* | ./lib/ | ./lib/systemd/ | ./lib/systemd/system/*) ;;
      *) fail "unexpected path in the package: $path" ;;
    esac
    case $perms in
      d*) expect_eq "$perms" drwxr-xr-x "mode of $path" ;;
      ?????w* | ????????w* | *s* | *S*) fail "$path is $perms" ;;
    esac
  done <"$tmp/list"
  for line in "-rwxr-xr-x ./usr/bin/chatnode" "-rwxr-xr-x ./usr/bin/chatnode-client" \
      "-rwxr-xr-x ./usr/sbin/chatnode-setup" "-rw-r--r-- ./lib/systemd/system/chatnode.service" \
      "-rw-r--r-- ./usr/share/chatnode/chatnode.json.template" "-rw-r--r-- ./usr/share/doc/chatnode/copyright" \
      "-rw-r--r-- ./usr/share/doc/chatnode/packaging.md" "-rw-r--r-- ./usr/share/doc/chatnode/config.md" \
      "-rw-r--r-- ./usr/share/doc/chatnode/README.md"; do
    awk '{print $1, $3}' "$tmp/list" | grep -qxF -- "$line" || fail "missing '$line' in the package"
  done
}

check_payload() {
  cmp "$tmp/root/lib/systemd/system/chatnode.service" "$src/packaging/chatnode.service"
  cmp "$tmp/root/usr/sbin/chatnode-setup" "$src/packaging/chatnode-setup"
  cmp "$tmp/root/usr/share/chatnode/chatnode.json.template" "$src/packaging/chatnode.json.template"
  local bin
  for bin in chatnode chatnode-client; do
    ! readelf -S "$tmp/root/usr/bin/$bin" | grep -q '\.debug_info' || fail "$bin is not stripped"
  done
  expect_eq "$("$tmp/root/usr/bin/chatnode" version)" "chatnode $version" "chatnode version"
  # What the build put in the web root is what the package installs.
  if [ -f "$build/share/chatnode/web/index.html" ]; then
    expect_eq "$(cd "$tmp/root/usr/share/chatnode/web" && find . -type f | sort)" \
      "$(cd "$build/share/chatnode/web" && find . -type f | sort)" "web client files"
  fi
}

check_scripts() {
  local s
  for s in postinst prerm postrm; do
    expect_mode "$tmp/control/$s" "755 $(id -un) $(id -gn)"
    expect_eq "$(head -1 "$tmp/control/$s")" "#!/bin/sh" "interpreter of $s"
    grep -qx 'set -e' "$tmp/control/$s" || fail "$s lacks 'set -e'"
    sh -n "$tmp/control/$s" || fail "$s: sh -n"
    cmp "$tmp/control/$s" "$src/packaging/debian/$s"
  done
  [ -f "$tmp/control/md5sums" ] || fail "no md5sums"
}

check_control
check_depends
check_files
check_payload
check_scripts
echo "ok: $(basename "$deb") ($(du -h "$deb" | cut -f1)), $(wc -l <"$tmp/list") entries"
