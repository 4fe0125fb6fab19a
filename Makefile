# The two commands of the README:
#   make run    set up, build the programs (not the tests), start the local
#               federation, show an exchange
#   make check  set up, build, run every test, then run them again under
#               AddressSanitizer+UndefinedBehaviorSanitizer (what CI runs)
# `make test` is the suite alone, the quick loop while working.
# Both install missing Debian packages first (scripts/install-deps); the tests
# also the Node packages of tests/node (npm ci, once per package-lock.json:
# Node 20 or later, which Debian 12 lacks, so `make run` and `make build` do
# without), and run beside a throw-away PostgreSQL 15 cluster
# (scripts/with-postgres).

# The sources are where this Makefile really is (it may be reached through a
# symbolic link: the README test runs `make run` from a scratch directory).
SOURCE := $(patsubst %/,%,$(dir $(realpath $(firstword $(MAKEFILE_LIST)))))
BUILD ?= build
STATE ?= state
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
PYTHON := /usr/bin/python3

.PHONY: run down status build programs configure deps test-deps test check test-asan test-tsan clean

# Ninja's progress: steps done of all, seconds since the build started.
BUILD_PROGRESS := NINJA_STATUS='[%f/%t %es] '

run: programs
	@$(PYTHON) deploy/local/federation down --state $(STATE) >/dev/null 2>&1 || true
	$(PYTHON) deploy/local/federation up --state $(STATE) --bin $(BUILD)/bin \
	  --descriptors $(BUILD)/share/ndxp/services.binpb
	$(PYTHON) clients/python/demo.py --endpoints $(STATE)/endpoints.json
	@echo
	@echo "The federation keeps running: endpoints in $(STATE)/endpoints.json, logs in $(STATE)/logs."
	@echo "Stop it with: make down"

down:
	$(PYTHON) deploy/local/federation down --state $(STATE)

status:
	$(PYTHON) deploy/local/federation status --state $(STATE)

deps:
	NDXP_SKIP_NODE=1 scripts/install-deps

test-deps: deps
	scripts/install-deps

configure: deps
	cmake -S $(SOURCE) -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

# What `make run` runs: every program (the hub, the connectors, ndxpctl,
# ndxp-bench) and the services' descriptor set, none of the tests (the
# ndxp_programs target). Same build directory and flags as `make build`, so
# a later `make test` or `make check` builds only the rest.
programs: configure
	@echo "Building the programs in $(BUILD) (not the tests); the first time takes several minutes."
	$(BUILD_PROGRESS) cmake --build $(BUILD) -j $(JOBS) --target ndxp_programs

build: configure
	$(BUILD_PROGRESS) cmake --build $(BUILD) -j $(JOBS)

test: build test-deps
	scripts/with-postgres ctest --test-dir $(BUILD) --output-on-failure --timeout 300 -j $(JOBS)

check: test test-asan

# The same suite under AddressSanitizer+UndefinedBehaviorSanitizer, or under
# ThreadSanitizer, each in a build directory of its own; scripts/sanitized sets
# the runtime options and fails on any report (see scripts/sanitized --help).
# ASan+UBSan builds unoptimized: a third of -O2's compile time with the
# sanitizers, and the suite waits on processes more than it computes.
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan

test-asan: test-deps
	$(MAKE) build BUILD=$(ASAN_BUILD) CMAKE_FLAGS="$(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DNDXP_SANITIZER=address,undefined"
	scripts/with-postgres scripts/sanitized $(ASAN_BUILD) \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure --timeout 600 -j $(JOBS)

test-tsan: test-deps
	$(MAKE) build BUILD=$(TSAN_BUILD) CMAKE_FLAGS="$(CMAKE_FLAGS) -DNDXP_SANITIZER=thread"
	scripts/with-postgres scripts/sanitized $(TSAN_BUILD) \
	  ctest --test-dir $(TSAN_BUILD) --output-on-failure --timeout 900 -j $(JOBS)

clean:
	rm -rf $(BUILD)
