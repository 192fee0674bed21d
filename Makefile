# Gauntlet: every target does its own set-up (Debian packages, configure, build), so each is
# one command on a fresh Debian 12 machine.
#   make run    build (release) and run the main job: the paper session, until stopped
#   make test   build (dev: Debug + ASan/UBSan, -Werror) and run every test in parallel
#   make soak   build (dev) and run the kill soak with 200 SIGKILLs (make test runs it with 12)
#   make bench  build (release) and run the Google Benchmarks under bench/
#   make fmt    format the sources with .clang-format (make fmt-check only checks)

JOBS ?= $(shell nproc)
RELEASE_BIN := build/release/bin
CONFIG ?= config/default.yaml
# make run: the paper session (simulated market when offline); RUN_ARGS adds gauntlet run options
RUN_CONFIG ?= config/paper.yaml
RUN_ARGS ?=
# make soak: SIGKILLs of the kill soak (tests/apps/kill_soak_test.cpp)
SOAK_KILLS ?= 200

.PHONY: all deps configure-dev configure-release build-dev build-release run test soak bench fmt fmt-check clean

all: build-dev

deps:
	@bash scripts/install-deps.sh

configure-dev: deps
	@cmake --preset dev >/dev/null

configure-release: deps
	@cmake --preset release >/dev/null

build-dev: configure-dev
	@cmake --build --preset dev -j $(JOBS)

build-release: configure-release
	@cmake --build --preset release -j $(JOBS) --target gauntlet web

run: build-release
	@$(RELEASE_BIN)/gauntlet --version
	@$(RELEASE_BIN)/gauntlet config check $(RUN_CONFIG)
	@$(RELEASE_BIN)/gauntlet run --config $(RUN_CONFIG) $(RUN_ARGS)

test: build-dev
	@ctest --preset dev -j $(JOBS)

soak: configure-dev
	@cmake --build --preset dev -j $(JOBS) --target gauntlet kill_soak_test
	@GAUNTLET_SOAK_KILLS=$(SOAK_KILLS) ctest --preset dev --timeout 3600 -L soak -R KillSoak -V

bench: configure-release
	@cmake --build --preset release -j $(JOBS) --target benchmarks
	@for b in $(RELEASE_BIN)/bench_*; do echo "== $$b"; $$b --benchmark_counters_tabular=true || exit 1; done

fmt: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

fmt-check: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf build
