#!/usr/bin/env bash
# Generates TypeScript types and grpc-js clients for Rapport's API from
# protos/ into src/gen/ (never checked in), with ts-proto from npm and
# protoc (Debian: protobuf-compiler). Run `npm ci` here first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
protos="$(cd "$here/../../../protos" && pwd)"
plugin="$here/node_modules/.bin/protoc-gen-ts_proto"
if [[ ! -x "$plugin" ]]; then
  echo "generate_stubs.sh: $plugin not found; run 'npm ci' in $here" >&2
  exit 2
fi
rm -rf "$here/src/gen"
mkdir -p "$here/src/gen"
cd "$protos"
protoc -I . --plugin=protoc-gen-ts_proto="$plugin" --ts_proto_out="$here/src/gen" \
  --ts_proto_opt=outputServices=grpc-js,env=node,esModuleInterop=true,useExactTypes=false \
  rapport/v1/*.proto rapport/sfa/v1/*.proto google/rpc/*.proto
echo "generate_stubs.sh: stubs in $here/src/gen"
