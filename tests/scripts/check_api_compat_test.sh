#!/usr/bin/env bash
# The API contract check (scripts/check_api_compat) on a scratch copy of the
# tree: the tree as it is passes; an added field and a new v2 package pass;
# a removed field, a renumbered field, a retyped field and a removed method
# each fail, naming what broke; a release version that is not vX.Y.Z is
# refused.
#   tests/scripts/check_api_compat_test.sh SOURCE_DIR
set -euo pipefail
SRC="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fails=0
fresh() {
  rm -rf "$work/tree"
  mkdir -p "$work/tree/scripts"
  cp -r "$SRC/protos" "$SRC/buf.yaml" "$work/tree/"
  cp "$SRC/scripts/check_api_compat" "$work/tree/scripts/"
}
check() {  # check NAME WANT(pass|fail) [TEXT the output must contain]
  local name="$1" want="$2" text="${3:-}" out rc=0
  out="$(BUF="$SRC/node_modules/.bin/buf" bash "$work/tree/scripts/check_api_compat" 2>&1)" || rc=$?
  if [[ "$want" == pass && $rc -ne 0 ]] || [[ "$want" == fail && $rc -ne 1 ]]; then
    echo "FAIL: $name: expected $want, exit $rc: $out"
    fails=$((fails + 1))
  elif [[ -n "$text" && "$out" != *"$text"* ]]; then
    echo "FAIL: $name: output lacks '$text': $out"
    fails=$((fails + 1))
  else
    echo "ok: $name"
  fi
}
customer="$work/tree/protos/rapport/v1/customer.proto"

fresh
check "the tree as it is" pass "compatible with v"

fresh
sed -i 's/^  string display_name = 3;$/  string display_name = 3;\n  string nickname = 9001;/' "$customer"
check "a field added" pass

fresh
mkdir -p "$work/tree/protos/rapport/v2"
cat > "$work/tree/protos/rapport/v2/ping.proto" <<'PROTO'
syntax = "proto3";

package rapport.v2;

// A new major version beside v1.
message Ping {
  string text = 1;
}
PROTO
check "a new major version beside v1" pass

fresh
sed -i '/^  string display_name = 3;$/d' "$customer"
check "a field removed" fail "display_name"

fresh
sed -i 's/^  string display_name = 3;$/  string display_name = 9002;/' "$customer"
check "a field renumbered" fail "display_name"

fresh
sed -i 's/^  string display_name = 3;$/  int64 display_name = 3;/' "$customer"
check "a field retyped" fail "display_name"

fresh
sed -i '/^  rpc DeleteCustomer(/d' "$customer"
check "a method removed" fail "DeleteCustomer"

fresh
rc=0
out="$(BUF="$SRC/node_modules/.bin/buf" bash "$work/tree/scripts/check_api_compat" --release 1.0 2>&1)" || rc=$?
if [[ $rc -ne 2 || "$out" != *"needs a version like v1.2.3, got '1.0'"* ]]; then
  echo "FAIL: --release 1.0: exit $rc: $out"
  fails=$((fails + 1))
else
  echo "ok: --release 1.0 refused"
fi

if ((fails)); then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all checks passed"
