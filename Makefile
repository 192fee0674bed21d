# Gauntlet: every target does its own set-up (Debian packages, configure, build), so each is
# one command on a fresh Debian 12 machine.
#   make run    build (release) and run the main job: the paper session, until stopped
#   make test   build (dev: Debug + ASan/UBSan, -Werror) and run every test in parallel
#   make bench  build (release) and run the Google Benchmarks under bench/
#   make fmt    format the sources with .clang-format (make fmt-check only checks)

JOBS ?= $(shell nproc)
RELEASE_BIN := build/release/bin
CONFIG ?= config/default.yaml
# make run: the paper session (simulated market when offline); RUN_ARGS adds gauntlet run options
RUN_CONFIG ?= config/paper.yaml
RUN_ARGS ?=

.PHONY: all deps configure-dev configure-release build-dev build-release run test bench fmt fmt-check clean

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

bench: configure-release
	@cmake --build --preset release -j $(JOBS) --target benchmarks
	@for b in $(RELEASE_BIN)/bench_*; do echo "== $$b"; $$b --benchmark_counters_tabular=true || exit 1; done

fmt: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

fmt-check: deps
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf build
