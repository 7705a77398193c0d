#!/usr/bin/env bash
# Generates the Python stubs of Rapport's API from protos/ (never checked in):
#   examples/clients/python/generate_stubs.sh OUT_DIR
# then run the example with PYTHONPATH=OUT_DIR. Needs protoc and
# grpc_python_plugin (Debian: protobuf-compiler, protobuf-compiler-grpc).
set -euo pipefail
out="${1:?usage: generate_stubs.sh OUT_DIR}"
protos="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../protos" && pwd)"
plugin="${GRPC_PYTHON_PLUGIN:-$(command -v grpc_python_plugin || true)}"
if [[ -z "$plugin" ]]; then
  echo "generate_stubs.sh: grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)" >&2
  exit 2
fi
mkdir -p "$out"
cd "$protos"
protoc -I . --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" \
  rapport/v1/*.proto rapport/sfa/v1/*.proto google/rpc/*.proto
echo "generate_stubs.sh: stubs in $out"
