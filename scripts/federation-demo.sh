#!/usr/bin/env bash
# Installs what is missing, builds chatnode and chatnode-client, starts two federated nodes
# on loopback (alpha.localhost and beta.localhost, with a federation CA made for the demo
# in run/demo), and plays a cross-node conversation with chatnode-client: alice@alpha
# befriends bob@beta, they exchange messages, and each node's history shows both sides.
# The nodes stop when the script ends; run/demo is made afresh each time.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target chatnode chatnode-client

bin=build/release/node/chatnode
client_bin=build/release/client/chatnode-client
demo=run/demo
rm -rf "$demo"
mkdir -p "$demo"

"$bin" certs ca --dir "$demo/ca" --name "chatnode demo federation CA" >/dev/null
"$bin" init --domain alpha.localhost --dir "$demo/alpha" --ca "$demo/ca" \
  --client-listen 127.0.0.1:7451 --federation-listen 127.0.0.1:7452 --peer beta.localhost=127.0.0.1:7462 >/dev/null
"$bin" init --domain beta.localhost --dir "$demo/beta" --ca "$demo/ca" \
  --client-listen 127.0.0.1:7461 --federation-listen 127.0.0.1:7462 --peer alpha.localhost=127.0.0.1:7452 >/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

start_node() {  # name: starts the node, waits (at most 30 s) for its ready line
  local name=$1
  "$bin" serve --config "$demo/$name/chatnode.json" >"$demo/$name.out" 2>"$demo/$name.log" &
  pids+=($!)
  for _ in $(seq 300); do
    grep -q "chatnode ready" "$demo/$name.out" 2>/dev/null && { echo "node $name: $(cat "$demo/$name.out")"; return; }
    sleep 0.1
  done
  echo "node $name did not start; its log:" >&2
  cat "$demo/$name.log" >&2
  exit 1
}
start_node alpha
start_node beta

alpha() { "$client_bin" --ca "$demo/ca/ca.crt" --server 127.0.0.1:7451 --server-name alpha.localhost "$@"; }
beta() { "$client_bin" --ca "$demo/ca/ca.crt" --server 127.0.0.1:7461 --server-name beta.localhost "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "alice registers on alpha.localhost, bob on beta.localhost"
alpha --user alice --password pw-alice register
beta --user bob --password pw-bob register

say "alice (alpha) asks bob@beta.localhost to be her friend; the ACK is beta's verdict"
alpha --user alice --password pw-alice friend-request bob@beta.localhost

say "bob (beta) accepts alice@alpha.localhost"
beta --user bob --password pw-bob accept alice@alpha.localhost

say "alice sends bob two messages across the federation link"
alpha --user alice --password pw-alice send bob@beta.localhost "hello bob, this is alice on alpha"
alpha --user alice --password pw-alice send bob@beta.localhost "our nodes talk over mutual TLS"

say "bob logs in on beta and reads what waited for him (the inbox comes first)"
beta --user bob --password pw-bob listen --count 3 --seconds 10 || true

say "alice sends bob a file across the link; bob fetches it (the node checks every chunk, the client the SHA-256)"
printf 'minutes of the alpha/beta meeting\n' >"$demo/minutes.txt"
alpha --user alice --password pw-alice send-file bob@beta.localhost "$demo/minutes.txt"
media_id=""
for _ in $(seq 50); do  # the file reaches beta once beta has fetched it from alpha
  media_id=$(beta --user bob --password pw-bob --json listen --seconds 1 \
    | sed -n 's/.*"type":"MEDIA_MESSAGE".*"mediaId":"\([^"]*\)".*/\1/p' | head -n 1)
  [ -n "$media_id" ] && break
done
[ -n "$media_id" ] || { echo "the file did not reach beta" >&2; exit 1; }
beta --user bob --password pw-bob fetch "$media_id" "$demo/minutes-received.txt"
cmp "$demo/minutes.txt" "$demo/minutes-received.txt" && echo "the same bytes arrived"

say "bob answers"
beta --user bob --password pw-bob send alice@alpha.localhost "hi alice, bob here on beta"

say "each node keeps its own user's history of the conversation"
alpha --user alice --password pw-alice history --with bob@beta.localhost
beta --user bob --password pw-bob history --with alice@alpha.localhost

say "both nodes see a live link (from alpha's /metrics)"
curl -sk "https://127.0.0.1:7451/metrics" | grep -E '^chatnode_federation_(links_up|outbox_depth)' || true
echo
echo "demo done; node logs are in $demo/alpha.log and $demo/beta.log"
