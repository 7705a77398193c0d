#!/usr/bin/env bash
# Runs the README's walkthrough against a real rapportd, so the README cannot
# drift from the server (issue 12, item 10).
#
#   readme_walkthrough_test.sh README.md BUILD_DIR RAPPORTD PLUGIN_DIR
#
# Every fenced code block that follows a line starting with
# "<!-- walkthrough" is extracted, in order, into one script: the blocks are
# one shell session, as a reader would type them. Blocks without the marker
# (TLS, the ERP files, config) are not run, by design. The script runs with
# bash -e -o pipefail from a scratch directory holding `build` (a symlink to
# BUILD_DIR) and `data` (the server's data directory, so ./data/admin.token
# is the bootstrap token, as after scripts/run), with HOME a scratch
# directory, RAPPORT_SERVER the server's address and RAPPORT_HTTP its HTTP/JSON
# address (docs/http.md). The server is started
# here on 127.0.0.1 with a free port and PLUGIN_DIR, the folder of modules
# the build makes (build/plugins/out, which scripts/run loads), and stopped
# here; the whole run is bounded in time. Any failing command fails the test.
set -euo pipefail

if (($# != 4)); then
  echo "usage: $0 README.md BUILD_DIR RAPPORTD PLUGIN_DIR" >&2
  exit 2
fi
readme=$1
build_dir=$(cd "$2" && pwd)
rapportd=$3
plugin_dir=$4

scratch=$(mktemp -d "${TMPDIR:-/tmp}/readme-walkthrough.XXXXXX")
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# 1. The walkthrough blocks.
script=$scratch/walkthrough.sh
awk '
  /^<!-- walkthrough/ { armed = 1; next }
  armed && !inside && /^```/ { inside = 1; blocks++; printf "\n# --- README walkthrough block %d (line %d)\n", blocks, NR; next }
  inside && /^```/ { inside = 0; armed = 0; next }
  inside { print }
  END { if (inside) { print "unterminated walkthrough block" > "/dev/stderr"; exit 1 } }
' "$readme" > "$script"
blocks=$(grep -c '^# --- README walkthrough block' "$script" || true)
if ((blocks < 2)); then
  echo "FAIL: expected the README's walkthrough blocks (marked <!-- walkthrough -->), found $blocks" >&2
  exit 1
fi
echo "readme_walkthrough_test: $blocks blocks, $(wc -l < "$script") lines"

# 2. A fresh server, as scripts/run starts it, on a free local port.
work=$scratch/work
mkdir -p "$work" "$scratch/home"
ln -s "$build_dir" "$work/build"
"$rapportd" --data-dir "$work/data" --listen 127.0.0.1:0 --plugin-dir "$plugin_dir" \
  --http-listen 127.0.0.1:0 \
  > "$scratch/rapportd.out" 2> "$scratch/rapportd.err" &
server_pid=$!
address=
for _ in $(seq 1 300); do  # up to 30 s
  address=$(sed -n 's/^rapportd listening on //p' "$scratch/rapportd.out")
  [[ -n "$address" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [[ -z "$address" || "$address" != 127.0.0.1:* ]]; then
  echo "FAIL: rapportd did not start on 127.0.0.1" >&2
  cat "$scratch/rapportd.err" >&2
  exit 1
fi
http_address=$(sed -n 's|^http on http://\(.*\)/$|\1|p' "$scratch/rapportd.out")
if [[ "$http_address" != 127.0.0.1:* ]]; then
  echo "FAIL: rapportd printed no HTTP/JSON address" >&2
  exit 1
fi
echo "readme_walkthrough_test: rapportd on $address, HTTP/JSON on $http_address"

# 3. The walkthrough, as a reader would run it, bounded in time.
status=0
(
  cd "$work"
  exec env -i PATH="/usr/local/bin:/usr/bin:/bin" HOME="$scratch/home" LANG=C.UTF-8 \
    RAPPORT_SERVER="$address" RAPPORT_HTTP="$http_address" \
    timeout --kill-after=5 180 bash -e -o pipefail -x "$script"
) > "$scratch/walkthrough.log" 2>&1 || status=$?

# 4. Stop the server; it must stop cleanly.
kill -TERM "$server_pid"
server_status=0
for _ in $(seq 1 300); do  # up to 30 s
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "FAIL: rapportd did not stop within 30 s of SIGTERM" >&2
  server_status=1
else
  wait "$server_pid" || server_status=$?
fi
server_pid=

if ((status != 0)); then
  echo "FAIL: the README walkthrough failed (exit $status); its output, with each command:" >&2
  cat "$scratch/walkthrough.log" >&2
  echo "--- rapportd's log:" >&2
  tail -n 40 "$scratch/rapportd.err" >&2
  exit 1
fi
if ((server_status != 0)); then
  echo "FAIL: rapportd exited with status $server_status" >&2
  tail -n 40 "$scratch/rapportd.err" >&2
  exit 1
fi
cat "$scratch/walkthrough.log"   # shown by ctest -V
echo "readme_walkthrough_test: every walkthrough command succeeded"
