#!/usr/bin/env bash
# Unit tests: each build/tests/unit/<name> prints "ok ..."/"not ok ..." lines itself.
set -uo pipefail
cd "$(dirname "$0")/../.."
for t in build/tests/unit/*_test; do
    [ -x "$t" ] || continue
    "$t" || echo "not ok $(basename "$t") exited with status $?"
done
