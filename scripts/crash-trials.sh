#!/usr/bin/env bash
# Kill trials: `scripts/crash-trials.sh N [MANIFEST]` runs the manifest (default examples/fixtures.yaml, the
# shared fixtures) N times into a fresh store each, killing it with SIGKILL after a random delay; then checks
# that every table still opens, re-runs the manifest to completion, and compares each table's id set with that of
# an uninterrupted run. Exits non-zero on the first trial that differs. LAKEFEED_BIN names the binary to use
# (default: built here).
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-10}
manifest=${2:-examples/fixtures.yaml}
if [[ -z "${LAKEFEED_BIN:-}" ]]; then
  . scripts/env.sh
  cargo build -q --bin lakefeed
  LAKEFEED_BIN="$CARGO_TARGET_DIR/debug/lakefeed"
fi
export LAKEFEED_LOG=error
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lf() { "$LAKEFEED_BIN" --store "$1" "${@:2}"; }

# Each table's ids (one per line, sorted) and whether any repeats: what an uninterrupted run must equal.
snapshot() {
  local store=$1 out=$2
  : >"$out"
  for t in $(lf "$store" tables); do
    local cols
    case $t in
      thumbnails) cols="file_id || '/' || column_name || '/' || dimension" ;;
      coco) cols="CAST(coco_image_id AS VARCHAR)" ;;
      *) cols="id" ;;
    esac
    lf "$store" query "SELECT $cols AS k FROM \"$t\"" --output csv | tail -n +2 | sort | sed "s|^|$t |" >>"$out"
  done
}

start=$(date +%s.%N)
lf "$work/reference" run "$manifest" >/dev/null
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
snapshot "$work/reference" "$work/expected"
if [[ -n $(uniq -d "$work/expected") ]]; then
  echo "the uninterrupted run itself has duplicate ids" >&2
  exit 1
fi
rows=$(wc -l <"$work/expected")
echo "uninterrupted run: ${elapsed}s, $rows ids; $trials trials killed at random in [0, ${elapsed}s]"

killed=0
for i in $(seq 1 "$trials"); do
  store="$work/trial"
  rm -rf "$store"
  delay=$(awk -v max="$elapsed" -v seed="$RANDOM$i" 'BEGIN { srand(seed); printf "%.3f", rand() * max }')
  lf "$store" run "$manifest" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  # Every table left behind must open and count.
  if [[ -d "$store" ]]; then
    for t in $(lf "$store" tables); do
      lf "$store" query "SELECT count(*) FROM \"$t\"" --output csv >/dev/null ||
        { echo "trial $i: table $t does not open after kill at ${delay}s" >&2; exit 1; }
    done
  fi
  lf "$store" run "$manifest" >/dev/null
  snapshot "$store" "$work/got"
  if ! cmp -s "$work/expected" "$work/got"; then
    echo "trial $i (killed at ${delay}s): ids differ from the uninterrupted run:" >&2
    diff "$work/expected" "$work/got" | head -20 >&2
    exit 1
  fi
done
echo "ok: $trials trials ($killed killed mid-run), every table opened and every re-run ended with the uninterrupted run's $rows ids"
