# Short names for the README's commands. The build itself is CMake (build/), and a second
# tree (build-asan/) runs the same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps test-deps build build-asan test test-fast demo bench fuzz install deb clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTMFINV_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

# Every test, in the normal build and under the sanitizers. A throwaway PostgreSQL server
# (scripts/pg-test-server.sh: its own folder and port, run as a non-root user) is started
# first, its URL and password file exported for the tests of the PostgreSQL store
# (docs/postgresql.md), and stopped at the end, also when a test fails or make is interrupted.
# Its folder is a new one under $TMPDIR: the server's user must reach it, which a clone under a
# home folder (/root is 0700) would not allow.
ifndef PG_TEST_DIR
PG_TEST_DIR := $(shell mktemp -u "$${TMPDIR:-/tmp}/tmfinv-pg-test.XXXXXXXX")
endif
test: test-deps build build-asan
	@scripts/pg-test-server.sh stop $(PG_TEST_DIR); \
	trap 'scripts/pg-test-server.sh stop $(PG_TEST_DIR)' EXIT INT TERM; \
	scripts/pg-test-server.sh start $(PG_TEST_DIR) >/dev/null || exit 1; \
	export TMFINV_TEST_PG_URL=$$(scripts/pg-test-server.sh url $(PG_TEST_DIR)); \
	export PGPASSFILE=$$(scripts/pg-test-server.sh passfile $(PG_TEST_DIR)); \
	(cd build && ctest --output-on-failure -j $(JOBS)) && \
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS))

# Only the normal build, for quick iterations (with its own PostgreSQL server, as test).
test-fast: test-deps build
	@scripts/pg-test-server.sh stop $(PG_TEST_DIR); \
	trap 'scripts/pg-test-server.sh stop $(PG_TEST_DIR)' EXIT INT TERM; \
	scripts/pg-test-server.sh start $(PG_TEST_DIR) >/dev/null || exit 1; \
	export TMFINV_TEST_PG_URL=$$(scripts/pg-test-server.sh url $(PG_TEST_DIR)); \
	export PGPASSFILE=$$(scripts/pg-test-server.sh passfile $(PG_TEST_DIR)); \
	(cd build && ctest --output-on-failure -j $(JOBS))

demo: build
	@scripts/demo.sh

# The benchmarks of bench/README.md: sync against the Python and Node baselines
# (scripts/bench.sh), HTTP API against static nginx (scripts/bench_api.sh) and the
# dashboard's table pages against 300 ms (scripts/bench_ui.sh); 100k items,
# BENCH_ITEMS=1000000 for 1M. Not part of test. --bench installs the baselines' packages.
bench: build
	@scripts/install-deps.sh --bench
	@scripts/bench.sh
	@scripts/bench_api.sh
	@scripts/bench_ui.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c) built with clang in build-fuzz/ and run one after
# the other: FUZZ_TIME seconds each (default 60), FUZZ_TARGETS to pick some (names without
# fuzz_, e.g. FUZZ_TARGETS="ini profile"). Not part of test, which replays the corpora.
FUZZ_TIME ?= 60
FUZZ_TARGETS ?=
fuzz:
	@scripts/install-deps.sh --fuzz
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMFINV_FUZZ=ON \
	    -DTMFINV_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@tests/fuzz/run.sh build-fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

# Installs the build (docs/install.md): PREFIX/bin, PREFIX/share/tmfinv, the unit in
# PREFIX/lib/systemd/system, /etc/tmfinv/tmfinv.ini (an example) and /var/lib/tmfinv;
# DESTDIR stages into another root (packaging).
PREFIX ?= /usr/local
DESTDIR ?=
install: build
	@DESTDIR=$(DESTDIR) cmake --install build --prefix $(PREFIX)

# The Debian package, from its own tree (prefix /usr, no build-tree paths compiled in):
# build-deb/tmfinv_VERSION_ARCH.deb. docs/install.md.
deb: deps
	@cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	    -DTMFINV_BUILD_TREE_DATA=OFF -DTMFINV_TESTS=OFF >/dev/null
	@cmake --build build-deb -j $(JOBS)
	@cd build-deb && cpack -G DEB
	@ls build-deb/*.deb

clean:
	rm -rf build build-asan build-fuzz build-deb
