# Vouch — the README's commands. Every target installs what it needs first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := time util-linux zlib1g-dev libdeflate-dev libsqlite3-dev sqlite3 libgit2-dev libxml2-dev libbpf-dev bpftool chromium prometheus hyperfine \
                git gnupg openssh-client nix-bin pkg-config fonts-dejavu-core ca-certificates libcurl4-openssl-dev
VOUCH := .build/debug/vouch

.PHONY: setup build release demo test bench schema-snapshot clean

setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make setup: these Debian packages are missing:$$missing"; \
	    echo "make setup: run 'sudo make setup' (or install them with apt-get) and try again."; exit 2; \
	  fi; \
	  echo "make setup: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: setup
	$(SWIFT) build

demo: build
	@bash scripts/demo.sh

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The binary to ship: optimised, with the Swift runtime and Foundation linked in (a host needs no
# Swift toolchain, and start-up skips loading and relocating a dozen shared libraries: 28 -> 17 ms).
# Static Foundation brings FoundationNetworking, which links against libcurl (libcurl4-openssl-dev).
release: setup
	$(SWIFT) build -c release --static-swift-stdlib

bench: release
	@bash bench/run.sh

# After adding a migration: writes Sources/VouchCore/Store/Schema+Snapshot.swift again (new stores are
# built from it; see SchemaSnapshot).
schema-snapshot: setup
	$(SWIFT) build --build-tests
	VOUCH_WRITE_SCHEMA_SNAPSHOT=1 $(SWIFT) test --skip-build --filter SchemaSnapshotTests/theSnapshotIsCurrent

clean:
	rm -rf .build out vouch.db vouch.db-*
