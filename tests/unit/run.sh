#!/usr/bin/env bash
# Unit tests: each <build>/tests/unit/<name>_test prints "ok ..."/"not ok ..." lines itself.
# The build directory is the one holding $OMNIVM (default build/).
set -uo pipefail
cd "$(dirname "$0")/../.."
build="$(dirname "${OMNIVM:-build/omnivm}")"
found=0
for t in "$build"/tests/unit/*_test; do
    [ -x "$t" ] || continue
    found=1
    "$t"
    st=$?
    [ "$st" -eq 0 ] || echo "not ok ${t##*/} exited with status $st"
done
[ "$found" = 1 ] || echo "not ok unit: no unit test binaries under $build/tests/unit"
