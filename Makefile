# nmaudit — build, test, demo, bench, lint. Every target works on a fresh clone with only Go
# installed: modules come from the Go module proxy on first use.
GO      ?= go
BIN     := bin/nmaudit
PKGS    := ./...
DEMO_AT := 2022-08-22

.PHONY: all build test demo demo-offline bench bench-quick fuzz lint clean

all: build

# The version comes from git describe (a tag, or the commit, with -dirty for local changes);
# -buildvcs=true records the revision and its date in the binary even where GOFLAGS says
# -buildvcs=false, but only when git can read the repository (a tarball builds without it).
build:
	$(GO) build $$(git status --porcelain >/dev/null 2>&1 && echo -buildvcs=true) \
		-ldflags "-X main.version=$$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o $(BIN) ./cmd/nmaudit

# The README's test command: vet, then every test (the fuzz targets' seed corpora run as
# ordinary tests), in three parts run side by side. The race detector runs where goroutines
# meet: the packages that start or share goroutines (RACE_PKGS: the check's workers, the sheet
# reader's prefetch, the store's batched writer, the distributed worker, the fetchers, pacers
# and recorder, the simulator), and the command tests in which a check fetches in-process
# (RACE_CMD: fetch workers, notices, the progress bar, interrupts and the store writer
# together). Everything else runs once without it — the renderers, the sampler and the config
# are single-threaded, the other command tests drive the built binary — and so do the sheet
# tests that inflate 100 MB and skip under the race detector (RACE_SKIPPED).
RACE_PKGS    := ./audit/ ./audit/distributed/ ./audit/history/ ./audit/sheet/... ./audit/store/... ./platforms/...
PLAIN_PKGS   := ./audit/report/ ./audit/sample/ ./config/
RACE_CMD     := ^(TestResumeAnInterruptedCheck|TestCheckAgainstLocalPlatforms|TestSecretsNeverLeak|TestCheckOnAFreshInstallAgainstTheSimulator|TestDistributedResumeAndUsage|TestWeChatClosurePerWorkerSession|TestRecheck|TestWorksheetRoundTrip)$$
RACE_SKIPPED := ^(TestDecompressionBombs|TestLateDamageInLargeText)$$
.PHONY: test-race test-race-cmd test-plain
test:
	$(GO) vet $(PKGS)
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-race test-race-cmd test-plain

test-race:
	$(GO) test -race -count=1 -timeout 8m $(RACE_PKGS)

test-race-cmd:
	$(GO) test -race -count=1 -timeout 8m -run '$(RACE_CMD)' ./cmd/nmaudit/

test-plain:
	$(GO) test -count=1 -timeout 8m ./cmd/nmaudit/ $(PLAIN_PKGS)
	$(GO) test -count=1 -timeout 8m -run '$(RACE_SKIPPED)' ./audit/sheet/

# The main job on the bundled sample (testdata/demo/demo.sh): a synthetic district checked at
# the seed report's check time with every Weibo/Tieba/WeChat answer replayed from the bundled
# evidence (no network, no credentials, a throwaway history store): the scan, in which the
# 公众平台 answers its 2026 closure; the 人工核对 worksheet of the accounts left 待核查; and the
# re-check with the worksheet as an inspector filled it, every article link read and checked.
demo: build
	BIN=$(BIN) sh testdata/demo/demo.sh

# The same district decided from hand-made observations only.
demo-offline: build
	XDG_DATA_HOME=$$(mktemp -d) $(BIN) check --registry testdata/demo/registry.xlsx --observations testdata/demo/observations.csv \
		--findings testdata/demo/findings.csv --at $(DEMO_AT) --offline

# The history store: a check of 300 accounts against a local platform simulator killed with
# SIGKILL part way and resumed (no account decided before the kill is fetched again), then
# ledger, recheck and diff on those runs. A fresh $$XDG_DATA_HOME: the store needs no set-up.
.PHONY: demo-history
demo-history: build
	BIN=$(BIN) GO=$(GO) sh testdata/store/demo-history.sh

# Benchmarks (figures go in the closing notes): a user's check through the built binary with
# the defaults a user gets (200,000-row registry as .xlsx and GBK CSV, the history store on,
# pandas reading the same file for the ratio), import + classification, the sheet reader
# alone, the store's writer, 1,000 accounts fetched from the platform simulator, and the
# distributed check (bench-distributed). pandas (Debian's python3-pandas and python3-openpyxl)
# is installed with apt-get when missing and possible; without it the ratio is left out.
bench: bench-distributed
	@/usr/bin/python3 -c 'import pandas, openpyxl' 2>/dev/null || { \
		echo "installing pandas (apt-get)…"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pandas python3-openpyxl; } \
		|| echo "pandas not installed: the benchmark leaves the pandas ratio out"; }
	NMAUDIT_BENCH_LARGE=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./audit/ ./audit/sheet/ ./audit/store/ ./cmd/nmaudit/

bench-quick:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./audit/ ./audit/sheet/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzCSV -fuzztime 60s ./audit/sheet/
	$(GO) test -run '^$$' -fuzz FuzzXLSX -fuzztime 60s -fuzzminimizetime 20x ./audit/sheet/
	$(GO) test -run '^$$' -fuzz FuzzLoadRegistry -fuzztime 60s ./audit/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin

# The HTML inspection report opened in headless Chromium (Debian's chromium package), offline:
# the test renders the seed-shaped sample's report and checks that the charts drew (the bars
# are in the browser's DOM, and the screenshot shows them). Chromium and a CJK font are
# installed with apt-get when missing (needs root). The page and its screenshot are kept in
# bin/report-check/ for a person to look at.
.PHONY: report-check
report-check:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (apt-get)…"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-wqy-zenhei; }
	NMAUDIT_CHROMIUM=$$(command -v chromium) NMAUDIT_REQUIRE_CHROMIUM=1 NMAUDIT_REPORT_OUT=$(CURDIR)/bin/report-check \
		$(GO) test -count=1 -run 'TestInspectionHTMLInChromium' -v ./audit/report/

# Province scale (issue 13). Debian's postgresql package, installed with apt-get where its server
# binaries are missing (needs root); the tests and demos run their own throwaway cluster with it.
.PHONY: postgres demo-distributed bench-distributed
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing postgresql (apt-get)…"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; }

# A throwaway Postgres, the platform simulator, three `nmaudit worker` processes with distinct
# credentials and a 3,000-account `check --distributed`; everything stopped and removed at the end.
demo-distributed: build postgres
	BIN=$(BIN) GO=$(GO) sh testdata/distributed/demo.sh

# Wall time of 1, 2 and 4 workers for 4,000 accounts against the simulator with a per-credential
# rate limit, as a ratio to the ideal bound, and the coordinator's and Postgres's CPU per account.
bench-distributed: postgres
	NMAUDIT_BENCH_DISTRIBUTED=1 $(GO) test -run '^$$' -bench '^BenchmarkDistributed$$' -benchtime 1x -timeout 30m ./cmd/nmaudit/
