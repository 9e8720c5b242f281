# scicurate — make targets for a fresh machine. Needs only git, make and some Node with npm:
# when the system Node is older than 24, Node 24 comes from the npm registry into .tools/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_VERSION := 24.21.0
ARCH := $(shell uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')
OS := $(shell uname -s | tr A-Z a-z)
SYSTEM_NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
ifeq ($(shell [ "$(SYSTEM_NODE_MAJOR)" -ge 24 ] && echo yes),yes)
  NODE_BIN_DIR := $(dir $(shell command -v node))
  NODE_STAMP :=
else
  NODE_BIN_DIR := $(CURDIR)/.tools/node_modules/node-$(OS)-$(ARCH)/bin/
  NODE_STAMP := $(NODE_BIN_DIR)node
endif
# Every recipe sees the project's Node first on PATH (npx, vitest and the worker processes use it).
export PATH := $(NODE_BIN_DIR):$(CURDIR)/node_modules/.bin:$(PATH)
NODE := $(NODE_BIN_DIR)node
SCICURATE := $(NODE) bin/scicurate.mjs

.PHONY: help setup system-deps demo test test-unit fuzz bench schemas lint typecheck clean slurm

help:
	@echo "make demo    run pipelines/demo.yaml on a built-in sample corpus and show the bundle"
	@echo "make test    type-check, check schemas, run the test suite"
	@echo "make fuzz    many more cases of the ingest fuzz test than make test runs (FUZZ_RUNS=20000, FUZZ_SEED=N to replay)"
	@echo "make bench   throughput and peak memory per stage on the shared corpus (BENCH_ARGS=--only=text|pdf|families|dedup|bundles|release|generalisation|serve-pull|quality for one section)"
	@echo "make schemas regenerate schemas/*.json from the Effect Schemas"
	@echo "make slurm   start the one-node Slurm cluster of ../shared/slurm on localhost (root; the Slurm tests start it themselves when it is down)"
	@echo "make setup   install Node 24 (if the system Node is older) and the npm dependencies"
	@echo "make system-deps  apt-get the missing tools (pdftotext, tesseract, qpdf, zip, numpy, torch, translated manual pages) the tests and bench use"

$(CURDIR)/.tools/node_modules/node-$(OS)-$(ARCH)/bin/node:
	@echo "system Node is $$(node --version 2>/dev/null || echo missing); installing Node $(NODE_VERSION) from the npm registry into .tools/"
	mkdir -p .tools && npm install --no-save --no-package-lock --no-audit --no-fund --prefix .tools node-$(OS)-$(ARCH)@$(NODE_VERSION)

node_modules/.installed: package.json package-lock.json $(NODE_STAMP)
	npm ci --no-audit --no-fund
	touch $@

setup: $(NODE_STAMP) node_modules/.installed

# Debian packages the PDF tests, the archive tests (zip), the browser tests (chromium), the HTTP tests (curl), the language tests (manual pages) and the bench use, as "command:package ...", plus Debian's python3-numpy
# and python3-torch (the independent readers of Megatron token shards in the tests). Only missing commands are
# installed, so a machine that has them all never touches the network (and CI pays nothing after the
# first run). Without root or apt-get this prints what is missing and carries on: the tests that need a
# tool skip with a visible message instead, and under CI=true those skips fail `make test`.
SYSTEM_DEPS := pdftotext:poppler-utils pdfinfo:poppler-utils tesseract:tesseract-ocr qpdf:qpdf zip:zip chromium:chromium curl:curl
# Debian's translated manual pages: the offline multilingual text the language stage's accuracy is measured on
# (test/language, make bench). Data only; checked by package, since they install no command.
MANPAGE_PACKAGES := manpages manpages-de manpages-fr manpages-es manpages-it manpages-nl manpages-pl manpages-pt-br manpages-ru \
  manpages-uk manpages-cs manpages-sv manpages-fi manpages-hu manpages-ja manpages-zh manpages-tr manpages-vi manpages-da manpages-ro manpages-id

system-deps:
	@missing=""; \
	for dep in $(SYSTEM_DEPS); do \
	  command -v "$${dep%%:*}" >/dev/null 2>&1 || missing="$$missing $${dep#*:}"; \
	done; \
	case "$$missing" in *tesseract-ocr*) missing="$$missing tesseract-ocr-eng";; esac; \
	for p in $(MANPAGE_PACKAGES); do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || missing="$$missing python3-numpy"; \
	/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing="$$missing python3-torch"; \
	missing=$$(printf '%s\n' $$missing | sort -u | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "system-deps: missing Debian package(s):$$missing"; \
	  echo "system-deps: not root or no apt-get, so not installing them; tests needing them will be skipped"; \
	  exit 0; \
	fi; \
	echo "system-deps: installing$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	  || echo "system-deps: apt-get failed; tests needing$$missing will be skipped"

demo: setup
	$(NODE) src/demo/write-sample.ts work/sample
	$(SCICURATE) run pipelines/demo.yaml
	$(SCICURATE) verify work/demo/bundles

typecheck: setup
	tsc -p tsconfig.json

schemas: setup
	$(NODE) src/schemas.ts

lint: typecheck

# The summary prints `N passed, N failed` and fails the target when vitest did, or, under CI=true, when a
# test was skipped for a missing tool or corpus (the tests record those; see scripts/test-summary.mjs).
test: setup system-deps typecheck
	mkdir -p .test-results
	rm -f .test-results/vitest.json .test-results/missing-requirements.jsonl
	vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json; status=$$?; \
	  $(NODE) scripts/test-summary.mjs .test-results/vitest.json .test-results/missing-requirements.jsonl || status=1; exit $$status

# The property-based fuzz test of the ingest entry point, with many more cases than `make test` runs.
FUZZ_RUNS ?= 20000
fuzz: setup
	FUZZ_RUNS=$(FUZZ_RUNS) vitest run test/ingest/fuzz.test.ts

bench: setup system-deps
	$(NODE) bench/run.ts $(BENCH_ARGS)

# A one-node Slurm cluster on localhost for `run --executor slurm` and its tests (idempotent, about 10 s).
# test/executors/slurm.test.ts starts it itself when it is not running, so `make test` needs nothing more.
slurm:
	LOCAL_SLURM_CPUS=$${LOCAL_SLURM_CPUS:-8} bash ../shared/slurm/start-local-slurm.sh

clean:
	rm -rf work .test-results .bench
