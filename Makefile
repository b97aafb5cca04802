# Vouch — the README's commands. Every target installs what it needs first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := time util-linux zlib1g-dev libsqlite3-dev sqlite3 libgit2-dev libxml2-dev libbpf-dev bpftool chromium prometheus hyperfine \
                git gnupg openssh-client nix-bin pkg-config fonts-dejavu-core ca-certificates
VOUCH := .build/debug/vouch

.PHONY: setup build demo test bench clean

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

bench: setup
	$(SWIFT) build -c release
	@bash bench/run.sh

clean:
	rm -rf .build out vouch.db vouch.db-*
