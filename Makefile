# Gauntlet: every target does its own set-up (Debian packages, configure, build), so each is
# one command on a fresh Debian 12 machine.
#   make run    build (release) and run the main job: the paper session, until stopped
#   make test   build (dev: Debug + ASan/UBSan, -Werror) and run every test in parallel
#   make soak   build (dev) and run the kill soaks: 200 SIGKILLs of a paper session, 100 of a live
#               session on the local Bybit (make test runs them with 12 and 10)
#   make e2e    build (release) and run the two-year end-to-end gauntlet (not part of make test)
#   make bench  build (release) and run the Google Benchmarks under bench/
#   make tsan   build (ThreadSanitizer) and run the tests labelled tsan: the control plane and the
#               runtime, the code that runs threads
#   make build-release-all  build the release preset's engine, dashboard and benchmarks (what CI builds)
#   make fmt    format the sources with .clang-format (make fmt-check only checks)

JOBS ?= $(shell nproc)
RELEASE_BIN := build/release/bin
CONFIG ?= config/default.yaml
# make run: the paper session (simulated market when offline); RUN_ARGS adds gauntlet run options
RUN_CONFIG ?= config/paper.yaml
RUN_ARGS ?=
# make soak: SIGKILLs of the kill soaks (tests/apps/kill_soak_test.cpp, live_kill_soak_test.cpp)
SOAK_KILLS ?= 200
LIVE_SOAK_KILLS ?= 100
# GCC 12's libtsan expects the address layout of kernels with at most 28 bits of mmap
# randomisation; on newer kernels (vm.mmap_rnd_bits = 32) a TSan binary dies with "FATAL:
# ThreadSanitizer: unexpected memory mapping". make tsan therefore runs ctest without address
# randomisation (setarch -R, inherited by the processes the tests start) when the machine allows
# it, which costs nothing where it is not needed.
NO_ASLR := $(shell setarch $$(uname -m) -R true 2>/dev/null && echo setarch $$(uname -m) -R)

.PHONY: all deps configure-dev configure-release configure-tsan build-dev build-release \
	build-release-all run test soak e2e bench tsan fmt fmt-check clean

all: build-dev

deps:
	@bash scripts/install-deps.sh

configure-dev: deps
	@cmake --preset dev >/dev/null

configure-release: deps
	@cmake --preset release >/dev/null

configure-tsan: deps
	@cmake --preset tsan >/dev/null

build-dev: configure-dev
	@cmake --build --preset dev -j $(JOBS)

build-release: configure-release
	@cmake --build --preset release -j $(JOBS) --target gauntlet web

# What the release preset is built for (make run, make bench), so that an -O3-only warning
# (-Werror) in the engine or a benchmark fails CI instead of the next make bench. The tests are
# built and run by make test (dev); building them again at -O3 would cost CI some 8 minutes.
build-release-all: configure-release
	@cmake --build --preset release -j $(JOBS) --target gauntlet web benchmarks

run: build-release
	@$(RELEASE_BIN)/gauntlet --version
	@$(RELEASE_BIN)/gauntlet config check $(RUN_CONFIG)
	@$(RELEASE_BIN)/gauntlet run --config $(RUN_CONFIG) $(RUN_ARGS)

test: build-dev
	@ctest --preset dev -j $(JOBS)

soak: configure-dev
	@cmake --build --preset dev -j $(JOBS) --target gauntlet kill_soak_test live_kill_soak_test
	@GAUNTLET_SOAK_KILLS=$(SOAK_KILLS) GAUNTLET_LIVE_SOAK_KILLS=$(LIVE_SOAK_KILLS) \
		ctest --preset dev --timeout 3600 -L soak -R KillSoak -V

# The two years of BTC, ETH and SUI 1m bars through gauntlet run with the automatic gauntlet
# (tests/apps/gauntlet_e2e_test.cpp); release, since under ASan it takes well over half an hour.
e2e: configure-release
	@cmake --preset release -DGAUNTLET_SLOW_TESTS=ON >/dev/null
	@cmake --build --preset release -j $(JOBS) --target gauntlet gauntlet_e2e_test
	@ctest --preset release --timeout 7200 -R GauntletEndToEnd -V

bench: configure-release
	@cmake --build --preset release -j $(JOBS) --target benchmarks
	@for b in $(RELEASE_BIN)/bench_*; do echo "== $$b"; $$b --benchmark_counters_tabular=true || exit 1; done

# Only the tsan-labelled tests and what they need (no benchmarks); TSAN_OPTIONS is the test
# preset's (CMakePresets.json). The preset builds at -O2 -g: at -O1 GCC 12 reports a
# mismatched-new-delete in Asio's coroutine frames that -O2 and -O3 do not.
tsan: configure-tsan
	@cmake --build --preset tsan -j $(JOBS) --target tsan_tests
	@$(NO_ASLR) ctest --preset tsan -j $(JOBS)

fmt: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

fmt-check: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf build
