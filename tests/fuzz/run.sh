#!/bin/sh
# run.sh: runs libFuzzer targets built in build-fuzz/ (make fuzz), one after the other.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]   (default: every fuzz_*.c)
# Each target starts from its committed corpus (tests/fuzz/corpus/NAME, read only) and
# writes what it finds to BUILD_DIR/fuzz-corpus/NAME; crashes go to
# BUILD_DIR/fuzz-artifacts/NAME/. A dictionary tests/fuzz/NAME.dict is used when present.
# To fold new inputs into the committed corpus, minimised:
#   BUILD_DIR/tests/fuzz/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME BUILD_DIR/fuzz-corpus/NAME
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=$1
seconds=$2
shift 2
targets="$*"
if [ -z "$targets" ]; then
    for f in "$here"/fuzz_*.c; do
        n=$(basename "$f" .c)
        targets="$targets ${n#fuzz_}"
    done
fi
status=0
for t in $targets; do
    exe="$build/tests/fuzz/fuzz_$t"
    if [ ! -x "$exe" ]; then
        echo "fuzz: no target $t ($exe)" >&2
        status=1
        continue
    fi
    mkdir -p "$build/fuzz-corpus/$t" "$build/fuzz-artifacts/$t"
    dict=""
    [ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
    echo "fuzz: $t for ${seconds}s"
    # stdin from /dev/null: nothing a target opens can wait on a terminal.
    if ! TMFINV_DATA_DIR="$here/../../data" "$exe" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$build/fuzz-artifacts/$t/" $dict \
            "$build/fuzz-corpus/$t" "$here/corpus/$t" </dev/null; then
        echo "fuzz: $t FAILED, see $build/fuzz-artifacts/$t/" >&2
        status=1
    fi
done
exit $status
