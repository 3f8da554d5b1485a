#!/usr/bin/env bash
# Interleaved A/B: this checkout's build (B) against another checkout's (A, e.g. the commit before a
# change), on one machine in one session. Each benchmark runs B A A B, so that drift over the session
# (other load, the disk's cache, thermal state) weighs on both alike; compare medians of the two runs
# of each side, and each run's ratio to the baseline it measures itself.
#
#   bench/ab.sh <other checkout, installed and built> [output folder] [benchmarks…]
#   benchmarks: startup load forwarding bulk (default: all four)
#
# - startup and load spawn `dist/src/server.js` of either checkout (SERVICE_DIR) from this one's
#   bench scripts, so both sides meet the same load generator.
# - load runs all four times on one seeded database (BENCH_DATABASE_URL, default the local server;
#   seeded by B's first run, kept in SEED_FILE). A refuses a database that has migrations it does
#   not know: before each A run, the rows of migrations missing from A's prisma/migrations are
#   removed from _prisma_migrations (their schema changes stay), and B applies them again at its
#   next start. That is sound only for migrations that can run twice, which the script checks by
#   name against AB_REAPPLIABLE (space-separated), refusing otherwise.
# - forwarding and bulk run in-process from each checkout's own bench scripts and sources.
#
# Every run's log and BENCHMARKS.md section is copied to the output folder (name-side-run.{log,md}).
set -euo pipefail

OTHER="$(realpath "${1:?usage: bench/ab.sh <other checkout> [output folder] [benchmarks…]}")"
OUT="$(realpath -m "${2:-$(mktemp -d "${TMPDIR:-/tmp}/sso-ab-XXXXXX")}")"
shift $(($# >= 2 ? 2 : 1))
BENCHES=("$@")
[[ ${#BENCHES[@]} -gt 0 ]] || BENCHES=(startup load forwarding bulk)
HERE="$(realpath "$(dirname "${BASH_SOURCE[0]}")/..")"
DB_URL="${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
mkdir -p "$OUT"

[[ -f "$OTHER/dist/src/server.js" ]] || { echo "no build in $OTHER (npm ci there)" >&2; exit 1; }
(cd "$HERE" && npm run build --silent)

say() { printf '[bench:ab] %s\n' "$*" >&2; }

# The section `name` of a checkout's BENCHMARKS.md.
section() {
  awk -v b="<!-- bench:$2 -->" -v e="<!-- /bench:$2 -->" '$0 == b {on = 1} on {print} $0 == e {on = 0}' \
    "$1/BENCHMARKS.md"
}

world_url() { node -e "console.log(require('$OUT/world.json').databaseUrl)"; }

# Migrations recorded in the seeded database that A does not have.
unknown_to_a() {
  local known
  known="$(cd "$OTHER/prisma/migrations" && ls -d -- */ | tr -d / | sed "s/.*/'&'/" | paste -sd,)"
  psql "$(world_url)" -X -At -c "SELECT migration_name FROM _prisma_migrations WHERE migration_name NOT IN ($known)"
}

before_a_load() {
  [[ -f "$OUT/world.json" ]] || { echo "no seeded world yet: B's first run seeds it" >&2; exit 1; }
  local name
  for name in $(unknown_to_a); do
    [[ " ${AB_REAPPLIABLE:-} " == *" $name "* ]] || {
      echo "A does not know migration $name; add it to AB_REAPPLIABLE only if it can run twice" >&2
      exit 1
    }
    say "load: removing $name from _prisma_migrations for A (B applies it again)"
    psql "$(world_url)" -X -q -c "DELETE FROM _prisma_migrations WHERE migration_name = '$name'"
  done
}

run() { # side run bench
  local side="$1" n="$2" bench="$3" dir log="$OUT/$3-$1-$2.log" env=()
  dir="$([[ $side == A ]] && echo "$OTHER" || echo "$HERE")"
  case "$bench" in
    startup)
      [[ $side == A ]] && env+=(SERVICE_DIR="$OTHER")
      (cd "$HERE" && env "${env[@]}" ROUNDS="${STARTUP_ROUNDS:-5}" npx tsx bench/startup.ts) >"$log" 2>&1
      section "$HERE" startup >"${log%.log}.md"
      ;;
    load)
      if [[ $side == A ]]; then before_a_load; env+=(SERVICE_DIR="$OTHER" SECTION=msp-before); fi
      (cd "$HERE" && env "${env[@]}" BENCH_DATABASE_URL="$DB_URL" SEED_FILE="$OUT/world.json" \
        npx tsx bench/msp/load.ts) >"$log" 2>&1
      section "$HERE" "$([[ $side == A ]] && echo msp-before || echo msp)" >"${log%.log}.md"
      ;;
    forwarding) (cd "$dir" && npx tsx bench/forwarding.ts) >"$log" 2>&1; section "$dir" forwarding >"${log%.log}.md" ;;
    bulk) (cd "$dir" && npx tsx bench/sso-bulk.ts) >"$log" 2>&1; section "$dir" bulk >"${log%.log}.md" ;;
    *) echo "unknown benchmark $bench" >&2; exit 1 ;;
  esac
  say "$bench $side run $n done ($(uptime | sed 's/.*load average/load average/'))"
}

for bench in "${BENCHES[@]}"; do
  run B 1 "$bench"
  run A 1 "$bench"
  run A 2 "$bench"
  run B 2 "$bench"
done
say "results in $OUT"
