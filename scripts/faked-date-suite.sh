#!/usr/bin/env bash
# Runs vitest with the machine's wall clock moved to another date, to show that nothing depends on
# today's date (tests and the demo set their clock; the service takes its time from the injected
# `now`). libfaketime does the moving (Debian: apt-get install faketime).
#
#   scripts/faked-date-suite.sh '2026-10-05 10:00 +08:00'                  # the whole suite
#   scripts/faked-date-suite.sh '2026-12-31 23:30 +08:00' test/reliability/two-instances.test.ts
#
# The date is anything `date -d` reads. Arguments after it go to `vitest run`.
set -euo pipefail

if [ $# -lt 1 ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
target=$(date -d "$1" +%s) || { echo "cannot read the date '$1'" >&2; exit 2; }
shift

lib=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
if [ ! -e "$lib" ]; then
  echo "libfaketime is not installed ($lib); on Debian/Ubuntu: apt-get install faketime" >&2
  exit 2
fi

# An offset from the real clock, not a start time ("@2026-10-05 10:00"): with a start time every
# process starts its own clock there when it starts, so a service child spawned a minute into the
# run is a minute behind the test that signs its webhooks. With an offset every process (vitest,
# its workers, the service instances and the demo they spawn) reads the same faked time at the same
# moment, as machines kept in step by NTP do.
export FAKETIME="$(printf '%+d' $((target - $(date +%s))))"
# Timers and elapsed times run on the monotonic clock, which is no date; left alone.
export FAKETIME_DONT_FAKE_MONOTONIC=1
# The servers keep the real clock, as the shared PostgreSQL and Redis the tests use do.
export FAKETIME_SKIP_CMDS="redis-server,redis-cli,postgres,initdb,pg_ctl,pg_ctlcluster,pg_isready,runuser,chromium,psql"

# Redis links jemalloc, whose first malloc reads the clock; libfaketime's wrapper then initialises
# itself, and its dlsym error path mallocs again while jemalloc holds its lock: the process hangs
# before main, whatever the date and although FAKETIME_SKIP_CMDS names it (the name is checked
# later). Such binaries are found on PATH as shims that start the real one without the library,
# so they run on the real clock as the skip list means them to.
shims=$(mktemp -d "${TMPDIR:-/tmp}/faked-date-shims-XXXXXX")
trap 'rm -rf "$shims"' EXIT
for name in redis-server redis-cli; do
  real=$(command -v "$name" || true)
  [ -n "$real" ] || continue
  # Not `ldd | grep -q`: grep quitting at the first match can fail ldd with SIGPIPE, and pipefail
  # then reads the match as none.
  case "$(ldd "$real" 2>/dev/null)" in
    *jemalloc*)
      printf '#!/bin/sh\nexec env -u LD_PRELOAD %q "$@"\n' "$real" >"$shims/$name"
      chmod 755 "$shims/$name"
      ;;
  esac
done
export PATH="$shims:$PATH"

# Chromium with libfaketime preloaded dies at launch whatever the offset (its sandboxed children
# and the library do not get on); the browser tests start it from CHROMIUM_PATH, so it gets a shim
# too and runs on the real clock, as the skip list means it to. The pages show times the service
# sends, not the browser's own.
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  printf '#!/bin/sh\nexec env -u LD_PRELOAD %q "$@"\n' "$chromium" >"$shims/chromium"
  chmod 755 "$shims/chromium"
  export CHROMIUM_PATH="$shims/chromium"
fi

export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
echo "faked clock: $(date -u '+%F %T') UTC, $(TZ=Asia/Shanghai date '+%F %T') in Shanghai (FAKETIME=$FAKETIME)"
# No exec: the trap removes the shims when vitest ends.
npx vitest run "$@"
