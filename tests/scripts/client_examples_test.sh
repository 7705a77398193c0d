#!/usr/bin/env bash
# examples/clients/python and examples/clients/typescript against real
# rapportd servers on 127.0.0.1: each client's stubs are generated (Python's
# into a scratch folder, TypeScript's into its gitignored src/gen and dist),
# every scenario runs against a server with the SFA module, and the
# expired-cursor case against a second server that keeps 3 feed events.
# Both clients must print the same checked lines.
#   tests/scripts/client_examples_test.sh SOURCE_DIR RAPPORTD PLUGIN_DIR
set -euo pipefail
SRC="$1"
RAPPORTD="$2"
PLUGIN_DIR="$3"
PYTHON="${PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
if ! "$PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null; then
  echo "FAIL: $PYTHON cannot import grpc (apt-get install python3-grpcio python3-protobuf; scripts/setup does)" >&2
  exit 1
fi
bash "$SRC/examples/clients/python/generate_stubs.sh" "$work/stubs" > /dev/null
ts="$SRC/examples/clients/typescript"
if [[ ! -x "$ts/node_modules/.bin/tsc" ]]; then
  echo "FAIL: $ts/node_modules missing (npm ci --prefix $ts; scripts/setup does)" >&2
  exit 1
fi
(cd "$ts" && bash generate_stubs.sh > /dev/null && node_modules/.bin/tsc -p .)

# start NAME [rapportd flags...]: a server on a free port; sets $address.
start() {
  local name="$1"
  shift
  mkdir -p "$work/$name"
  "$RAPPORTD" --data-dir "$work/$name/data" --listen 127.0.0.1:0 "$@" \
    > "$work/$name/out" 2> "$work/$name/err" &
  pids+=($!)
  address=""
  for _ in $(seq 1 100); do
    address="$(sed -n 's/^rapportd listening on //p' "$work/$name/out")"
    [[ -n "$address" ]] && break
    sleep 0.1
  done
  if [[ -z "$address" ]]; then
    echo "FAIL: rapportd ($name) did not start" >&2
    cat "$work/$name/err" >&2
    exit 1
  fi
}
# client LANG NAME SCENARIO...: runs LANG's example against server NAME.
client() {
  local lang="$1" name="$2"
  shift 2
  local flags=(--server "$address" --token-file "$work/$name/data/admin.token"
    --cursor-file "$work/$name/cursor-$lang")
  if [[ "$lang" == python ]]; then
    PYTHONPATH="$work/stubs" timeout 120 "$PYTHON" "$SRC/examples/clients/python/rapport_example.py" \
      "${flags[@]}" "$@"
  else
    timeout 120 node "$ts/dist/rapport_example.js" "${flags[@]}" "$@"
  fi
}
fails=0
expect() {  # expect OUTPUT LINE
  if grep -qF -- "$2" <<< "$1"; then
    echo "ok: $2"
  else
    echo "FAIL: no line '$2'"
    fails=$((fails + 1))
  fi
}

start main --plugin-dir "$PLUGIN_DIR"
main_address="$address"
start short --feed-retention-events 3 --feed-prune-interval-seconds 0.2
short_address="$address"
for lang in python typescript; do
  echo "--- $lang"
  address="$main_address"
  out="$(client $lang main 2>&1)" || { echo "$out"; echo "FAIL: the $lang example failed"; exit 1; }
  echo "$out" | sed 's/^/  | /'
  expect "$out" "upsert: attempt 1 failed with DEADLINE_EXCEEDED; retrying with the same request_id"
  expect "$out" "upsert: same record: True"
  expect "$out" "revision: ABORTED ("
  expect "$out" "revision: updated after 1 retry; tags lead,erp,vip"
  expect "$out" "invalid: field customer.display_name: is required"
  expect "$out" "invalid: field customer.emails[1]: 'not-an-email'"
  expect "$out" "paging: 7 customers in 3 pages, 7 distinct"
  expect "$out" "feed: 5 events, in order and once each: True"
  if [[ $lang == python ]]; then  # the first client turns SFA on for the tenant
    expect "$out" "module: sfa is off for this caller: module 'sfa' is off for tenant 'default'"
  fi
  expect "$out" "module: sfa answered NOT_FOUND: module 'sfa': pipeline 'default' not found"
  expect "$out" "errors: expired token: UNAUTHENTICATED"
  expect "$out" "errors: another tenant's id: NOT_FOUND"
  expect "$out" "errors: stale revision: ABORTED"
  expect "$out" "errors: malformed filter: INVALID_ARGUMENT on filter"
  expect "$out" "errors: cursor beyond the head: OUT_OF_RANGE"

  address="$short_address"
  client $lang short paging > /dev/null
  sleep 1
  out="$(client $lang short errors 2>&1)" || { echo "$out"; echo "FAIL: the $lang example failed"; exit 1; }
  expect "$out" "errors: cursor older than retention: OUT_OF_RANGE"
done

# TLS: a server with a self-signed certificate for 127.0.0.1; each client
# trusts it through --ca-file.
echo "--- TLS"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$work/tls.key" -out "$work/tls.pem" 2> /dev/null
start tls --tls-cert "$work/tls.pem" --tls-key "$work/tls.key"
for lang in python typescript; do
  out="$(client $lang tls --ca-file "$work/tls.pem" invalid 2>&1)" || true
  expect "$out" "invalid: field customer.emails[1]: 'not-an-email'"
done
# Without --ca-file the client speaks plaintext and never gets an answer.
out="$(client python tls invalid 2>&1)" || true
expect "$out" "invalid: UNAVAILABLE"

# buf.gen.yaml (docs/clients.md): stubs for Python, C++ and TypeScript from
# local plugins; the Python example runs on buf's stubs too.
echo "--- buf generate"
(cd "$SRC" && node_modules/.bin/buf generate -o "$work/bufgen")
for f in python/rapport/v1/customer_pb2_grpc.py cpp/rapport/v1/customer.grpc.pb.h \
  typescript/rapport/v1/customer.ts python/rapport/sfa/v1/sfa_pb2_grpc.py; do
  if [[ -s "$work/bufgen/gen/$f" ]]; then echo "ok: buf generated $f"; else
    echo "FAIL: buf generate wrote no gen/$f"
    fails=$((fails + 1))
  fi
done
address="$main_address"
out="$(PYTHONPATH="$work/bufgen/gen/python" timeout 60 "$PYTHON" \
  "$SRC/examples/clients/python/rapport_example.py" --server "$address" \
  --token-file "$work/main/data/admin.token" invalid 2>&1)" || true
expect "$out" "invalid: field customer.emails[1]: 'not-an-email'"

if ((fails)); then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all checks passed"
