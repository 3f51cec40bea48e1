# A throwaway root for the packaging tests (sourced): a copy-on-write overlay of this
# machine's own root, so dpkg, adduser and the node are the real ones and nothing the
# package does reaches the host. Mounts are made inside a private mount namespace.
inside=/opt/chatnode-test  # where the deb and the test scripts sit in the throwaway root

# WORK/upper holds every change; the deb and the test scripts go in beforehand.
prepare_work() {
  local work=$1 deb=$2 here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  remove_work "$work"
  mkdir -p "$work"/{upper,scratch,root} "$work/upper$inside"
  cp "$deb" "$work/upper$inside/chatnode.deb"
  cp "$here"/*.sh "$here/../../packaging/Containerfile" "$work/upper$inside/"
}

# The namespace's mounts die with it; refuse to delete through one that did not.
remove_work() {
  [ -e "$1" ] || return 0
  if findmnt -rn -o TARGET | grep -q "^$1/"; then
    echo "FAIL: something is still mounted under $1; not deleting it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$1"
}

# In a new mount namespace: the overlay at WORK/root with its own /proc, /run and /tmp.
mount_root() {
  local work=$1 root=$1/root
  mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/scratch" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs -o mode=0755 tmpfs "$root/run"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
}

# Whatever this machine had of chatnode is not part of a test: start from nothing.
scrub_chatnode() {
  if dpkg-query -W chatnode >/dev/null 2>&1; then dpkg -P chatnode >/dev/null 2>&1 || true; fi
  rm -rf /etc/chatnode /var/lib/chatnode
  if getent passwd chatnode >/dev/null; then deluser --quiet --system chatnode 2>/dev/null; fi
  if getent group chatnode >/dev/null; then delgroup --quiet --system chatnode; fi
}
