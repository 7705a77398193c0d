#!/usr/bin/env bash
# scripts/rapport_new_plugin end to end (issue 14, item 8): a plugin made from
# the SDK's template builds out of tree and passes its own test.
#
#   rapport_new_plugin_test.sh SOURCE_DIR CMAKE CTEST
#
# 1. Bad names and an existing DEST are refused, with the message, writing
#    nothing.
# 2. `rapport_new_plugin demo_notes DEST` into a scratch folder; no trace of
#    the template's names is left.
# 3. The generated plugin is configured with Ninja against this checkout's
#    sdk/ and protos/ (RAPPORT_SDK_DIR, RAPPORT_PROTO_DIR: no install step),
#    built (demo_notes.so, its manifest and demo_notes_test only; ccache when
#    present, with CCACHE_BASEDIR so the scratch path does not defeat it) and
#    its test is run.
# Everything is in one scratch folder, removed on exit; each step is bounded
# in time.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 SOURCE_DIR CMAKE CTEST" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
cmake=$2
ctest=$3
new_plugin=$src/scripts/rapport_new_plugin

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rapport-new-plugin.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# 1. Refusals: exit 2, the reason on stderr, nothing written.
refused() {  # refused EXPECTED_MESSAGE ARGS...
  local expected=$1
  shift
  local status=0
  "$new_plugin" "$@" > "$scratch/out" 2> "$scratch/err" || status=$?
  ((status == 2)) || fail "rapport_new_plugin $* exited $status, expected 2; stderr: $(cat "$scratch/err")"
  grep -qF -- "$expected" "$scratch/err" ||
    fail "rapport_new_plugin $*: stderr lacks \"$expected\": $(cat "$scratch/err")"
  echo "refused as expected: $* -> $(head -1 "$scratch/err")"
}
name_rule="use lower-case letters, digits and '_', starting with a letter"
refused "invalid plugin name 'Demo': $name_rule" Demo "$scratch/p1"
refused "invalid plugin name '9lives': $name_rule" 9lives "$scratch/p1"
refused "invalid plugin name 'demo-notes': $name_rule" demo-notes "$scratch/p1"
refused "invalid plugin name '_x': $name_rule" _x "$scratch/p1"
refused "invalid plugin name 'x': must be 2 to 32 characters, got 1" x "$scratch/p1"
refused "must be 2 to 32 characters, got 33" "a$(printf 'b%.0s' {1..32})" "$scratch/p1"
refused "invalid plugin name 'class': a C++ keyword" class "$scratch/p1"
refused "invalid plugin name 'test': CMake reserves it" test "$scratch/p1"
refused "invalid plugin name 'v1': rapport.v1 is the core's package" v1 "$scratch/p1"
refused "usage: rapport_new_plugin NAME [DEST]"
mkdir "$scratch/taken"
refused "'$scratch/taken' already exists" demo_notes "$scratch/taken"
[[ -z "$(ls -A "$scratch/taken")" ]] || fail "rapport_new_plugin wrote into an existing DEST"
refused "the parent folder '$scratch/missing' does not exist" demo_notes "$scratch/missing/demo_notes"
[[ ! -e "$scratch/p1" ]] || fail "a refused run created $scratch/p1"
rmdir "$scratch/taken"
if ls -A "$scratch" | grep -q '^\.rapport_new_plugin'; then
  fail "a refused run left its staging folder behind"
fi

# 2. Generate.
plugin=$scratch/demo_notes
"$new_plugin" demo_notes "$plugin"
for file in CMakeLists.txt demo_notes.cc demo_notes_test.cc demo_notes.manifest.json \
  protos/rapport/demo_notes/v1/demo_notes.proto; do
  [[ -f "$plugin/$file" ]] || fail "the generated plugin has no $file"
done
if grep -rn -e hello_template -e HelloTemplate -e HELLO_TEMPLATE "$plugin"; then
  fail "the template's names are left in the generated plugin (above)"
fi
grep -qF 'RAPPORT_PLUGIN(DemoNotes, "demo_notes", "0.1.0")' "$plugin/demo_notes.cc" ||
  fail "demo_notes.cc does not define the entry point for DemoNotes"
grep -qF '"/rapport.demo_notes.v1.DemoNotesService/Greet"' "$plugin/demo_notes.cc" ||
  fail "demo_notes.cc does not serve /rapport.demo_notes.v1.DemoNotesService/Greet"
grep -qF 'package rapport.demo_notes.v1;' "$plugin/protos/rapport/demo_notes/v1/demo_notes.proto" ||
  fail "the proto's package is not rapport.demo_notes.v1"
if ls -A "$scratch" | grep -q '^\.rapport_new_plugin'; then
  fail "rapport_new_plugin left its staging folder behind"
fi

# 3. Configure, build and test it out of tree, against sdk/ and protos/.
build=$plugin/build
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_DIR="${CCACHE_DIR:-$src/.cache/ccache}"
  export CCACHE_BASEDIR=$scratch CCACHE_NOHASHDIR=1
fi
step() {  # step LOG SECONDS COMMAND...
  local log=$scratch/$1 seconds=$2
  shift 2
  local status=0
  timeout --kill-after=10 "$seconds" "$@" > "$log" 2>&1 || status=$?
  if ((status != 0)); then
    cat "$log" >&2
    fail "exit $status from: $*"
  fi
}
start=$SECONDS
step configure.log 120 "$cmake" -G Ninja -S "$plugin" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DRAPPORT_SDK_DIR="$src/sdk" -DRAPPORT_PROTO_DIR="$src/protos" "${launcher[@]}"
step build.log 480 "$cmake" --build "$build" -j2
[[ -f "$build/demo_notes.so" ]] || fail "no $build/demo_notes.so"
cmp -s "$plugin/demo_notes.manifest.json" "$build/demo_notes.manifest.json" ||
  fail "no demo_notes.manifest.json beside demo_notes.so"
nm -D --defined-only "$build/demo_notes.so" | grep -q ' rapport_plugin_entry$' ||
  fail "demo_notes.so does not export rapport_plugin_entry"
echo "configured and built in $((SECONDS - start)) s"
step ctest.log 120 "$ctest" --test-dir "$build" --output-on-failure
cat "$scratch/ctest.log"
grep -q '100% tests passed' "$scratch/ctest.log" || fail "demo_notes_test did not pass"
echo "rapport_new_plugin_test: the generated plugin builds out of tree and passes its test"
