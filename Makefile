# make build | make test | make run | make bench — see README.md.
GO      ?= go
BIN     := bin/sidecar

.PHONY: build test test-proxysql run bench stress deps vet

build:
	$(GO) build -o $(BIN) ./cmd/sidecar

# MariaDB, sysbench and PyMySQL (for Debian's python3, which the tests run) come from Debian
# packages; install them when missing.
deps:
	@if ! command -v mariadbd >/dev/null 2>&1 && ! test -x /usr/sbin/mariadbd || ! command -v sysbench >/dev/null 2>&1 || \
		! /usr/bin/python3 -c 'import pymysql' >/dev/null 2>&1; then \
		echo "installing mariadb-server, mariadb-client, sysbench and python3-pymysql"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client sysbench python3-pymysql; \
	fi

vet:
	$(GO) vet ./...

# Unit and end-to-end tests; the end-to-end tests start and stop their own
# mariadbd instances on free loopback ports.
test: deps vet
	$(GO) test -count=1 -timeout 25m ./...
	@# A few seconds of each fuzz target beyond its committed corpus (testdata/fuzz), as a count of
	@# inputs (target:package:count): Go 1.26's fuzzer can fail a run whose -fuzztime duration ends
	@# while a worker is busy ("context deadline exceeded", go.dev/issue/75804); a count has no deadline.
	@for t in FuzzReadPacket:./mysql:30000 FuzzCompressedRead:./mysql:20000 FuzzBindArgs:./sidecar:6000 FuzzSplitStatements:./planner:5000 \
		FuzzNormalize:./planner:5000 FuzzPlan:./planner:5000 FuzzParse:./vschemaddl:30000 FuzzMerge:./engine:4000; do \
		name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; n=$${rest#*:}; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime "$${n}x" "$$pkg" 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | grep -E '^(fuzz: elapsed|ok )' | tail -2 | sed "s|^|$$name: |"; \
	done

# The end-to-end tests with a real ProxySQL 2.7 on either side of the sidecar (integration/
# proxysql_real_test.go). Not part of `make test`: ProxySQL has no Debian package. Build it with
# ../shared/tools/proxysql-build/build.sh (5-8 minutes; see its NOTES.md), then
# `make test-proxysql PROXYSQL_BIN=/opt/proxysql/proxysql`.
test-proxysql: deps
	@if [ -z "$(PROXYSQL_BIN)" ] || [ ! -x "$(PROXYSQL_BIN)" ]; then \
		echo "test-proxysql needs PROXYSQL_BIN, a ProxySQL 2.7 binary: build one with"; \
		echo "  ../shared/tools/proxysql-build/build.sh BAREGITDIR   (BAREGITDIR: a sysown/proxysql git snapshot; see its NOTES.md)"; \
		echo "then run: make test-proxysql PROXYSQL_BIN=/opt/proxysql/proxysql"; exit 2; \
	fi
	@out=$$(mktemp); PROXYSQL_BIN=$(PROXYSQL_BIN) $(GO) test -count=1 -timeout 20m -v \
		-run 'ProxySQLReal|PipelineBehindProxySQL' ./integration/ >$$out 2>&1; rc=$$?; \
	grep -E '^ *(=== RUN|--- |PASS|FAIL|ok)|_test.go:' $$out; rm -f $$out; exit $$rc

# One local MariaDB with the seeds' databases and the sidecar in the
# foreground; prints the mariadb command to connect.
run: deps
	$(GO) run ./integration/cmd/devenv

# sysbench through the sidecar and against direct MariaDB, alternating A/B (integration/bench):
# table on stdout, bench-results.json, bench-ratios.png and BENCH.md, with the output of the Go
# micro-benchmarks, which run first. `make bench BENCHFLAGS=-quick` is a ~2-minute smoke run
# (its outputs go to $TMPDIR/sidecar-bench-quick); see `go run ./integration/bench -h`. With
# PROXYSQL_BIN naming a ProxySQL 2.7 binary (../shared/tools/proxysql-build/build.sh, see its
# NOTES.md), ProxySQL runs side by side in the point selects and hash-vindex INSERTs, with issue 17's
# targets as ratios sidecar ÷ ProxySQL: `make bench PROXYSQL_BIN=/opt/proxysql/proxysql`.
BENCHFLAGS ?=
bench: deps
	@gobench=$$(mktemp); \
	$(GO) test -count=1 -run '^$$' -bench . -benchmem ./vindex/ ./planner/ ./engine/ ./sidecar/ 2>&1 | tee $$gobench; \
	PROXYSQL_BIN='$(PROXYSQL_BIN)' $(GO) run ./integration/bench -gobench $$gobench $(BENCHFLAGS); rc=$$?; rm -f $$gobench; exit $$rc

# Faults and load through the sidecar, on real MariaDB shards (integration/cmd/stress): a shard
# SIGKILLed and restarted under load, the sidecar SIGKILLed during lookup INSERTs, two sidecars sharing
# a sequence while restarted, 1000 idle clients, a 2-million-row scatter. A few minutes; figures as a
# table with a PASS/FAIL line per scenario (`make stress STRESSFLAGS="-only 1,3 -json stress.json"`);
# see `go run ./integration/cmd/stress -h`. Not part of `make test`.
STRESSFLAGS ?=
stress: deps
	$(GO) run ./integration/cmd/stress $(STRESSFLAGS)
