# kfaas developer entry points. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

HARNESS_CLI := dist/test/harness/cli.js

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z0-9_-]+:.*?##/ { printf "  %-13s %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Build

.PHONY: install
install: node_modules/.package-lock.json ## Install npm dependencies (npm ci when package-lock.json exists)

# npm writes node_modules/.package-lock.json on every install: a stamp newer than the manifests means the
# dependencies are current, so `make test` does not reinstall each time. Output goes to stderr so that
# `eval "$$(make -s infra-up)"` sees only the export line.
node_modules/.package-lock.json: package.json $(wildcard package-lock.json)
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
	@touch $@

.PHONY: build
build: ## Compile TypeScript to dist/
	npm run build

.PHONY: tools
tools: ## Build/fetch Kafka jars, etcd, the Kubernetes binaries (kubelet, kubectl too), helm, the node's packages, Jaeger, Chromium
	scripts/tools.sh

##@ Test

.PHONY: test
test: install build typecheck chart-crds-check tools ## Run unit + integration tests, then the e2e suite on a real node; prints "N passed, N failed"
	scripts/test.sh

.PHONY: typecheck
typecheck: install ## Type-check everything, tests included (jest transpiles without type-checking)
	npm run typecheck

.PHONY: audit
audit: install ## Check the production dependencies for advisories (npm audit --omit=dev); exit 2 if the registry cannot answer
	scripts/audit.sh

.PHONY: chart-crds
chart-crds: ## Copy crds/ into charts/kfaas/crds/ (annotated helm.sh/resource-policy: keep)
	scripts/chart-crds.sh

.PHONY: chart-crds-check
chart-crds-check: ## Fail when the chart's CRD copy differs from crds/
	scripts/chart-crds.sh --check

.PHONY: harness
harness: $(HARNESS_CLI) ## Compile the test harness (for infra-up/infra-down)

$(HARNESS_CLI): $(wildcard test/harness/*.ts) test/harness/tsconfig.json tsconfig.json
	@npx tsc -p test/harness/tsconfig.json >&2

.PHONY: infra-up
NODE ?= 1
infra-up: install $(HARNESS_CLI) ## Start Kafka, the control plane and a node (NODE=0: without the node) detached; prints the exports
	@npm run -s build >&2
	@scripts/tools.sh
	@KFAAS_INFRA_NODE=$(NODE) node $(HARNESS_CLI) up

.PHONY: infra-status
infra-status: $(HARNESS_CLI) ## Show the services started by infra-up (endpoints, RSS, logs)
	@node $(HARNESS_CLI) status

.PHONY: infra-down
infra-down: $(HARNESS_CLI) ## Stop the services started by infra-up
	@node $(HARNESS_CLI) down

##@ Run

.PHONY: run
run: install build ## Run the local stack from examples/stack.yaml
	node dist/cli/main.js up -f examples/stack.yaml

.PHONY: bench
bench: install build tools ## Run the benchmarks (real Kafka and control plane started for the run; load from wrk); writes bench/results/
	scripts/bench-deps.sh
	node dist/bench/run.js $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove build output and test results (stops infra-up services first)
	@if [ -f $(HARNESS_CLI) ] && [ -f .test-state/state.json ]; then node $(HARNESS_CLI) down || true; fi
	@# .test-state/jest-*.json belong to jest runs (maybe running now); the next run reaps those of dead ones.
	rm -rf dist coverage test-results*.json test-infra/kafka/target .test-state/state.json
