#!/usr/bin/env bash
# Installs what is missing, builds chatnode, and runs a development node for `localhost`:
# a dev CA and certificate and an LMDB data dir in ./run/localhost (made once, then reused).
# Clients connect to wss://localhost:7443/ws trusting run/localhost/ca/ca.crt.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target chatnode chatnode-client chatnode_web

node_dir=run/localhost
if [ ! -f "$node_dir/chatnode.json" ]; then
  build/release/node/chatnode init --domain localhost --dir "$node_dir" --test-limits \
    --client-listen 127.0.0.1:7443 --federation-listen 127.0.0.1:7444
fi
echo "chatnode: clients connect to wss://localhost:7443/ws and trust $node_dir/ca/ca.crt"
echo "chatnode: the web client is at https://localhost:7443/ (import $node_dir/ca/ca.crt into the browser, docs/web-client.md)"
exec build/release/node/chatnode serve --config "$node_dir/chatnode.json"
