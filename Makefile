# paywarden — the two commands are `make run` and `make test`.
# Everything a target uses is installed by it: Go tools are pinned as `tool`
# entries in go.mod and built on first use by `go tool`.

GO       ?= go
BIN      := bin
PKGS     := ./...
ADVISORY ?= ../shared/data/advisories/go

# Builds never change go.mod or go.sum behind the developer's back: a
# missing or changed requirement fails the build instead (-mod=readonly).
export GOFLAGS := $(strip $(GOFLAGS) -mod=readonly)

.PHONY: all build run test check fmt vet staticcheck race audit vuln bench clean \
	modverify supply release reliability reliability-short

all: build

# The version and commit come from git; 'paywarden version' prints them.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/paywarden ./cmd/paywarden

# run: the server in development mode, SQLite, against a local stripe-mock.
run: build
	./scripts/run-dev.sh

# test: every check CI runs.
test: fmt vet staticcheck race audit

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

race:
	$(GO) test -race -count=1 $(PKGS)

# audit: paywarden audits itself and must find nothing.
audit: build
	./$(BIN)/paywarden audit .

# vuln: govulncheck against the offline advisory snapshot when present,
# otherwise the online database (unreachable on a machine without internet).
vuln:
	@if [ -d "$(ADVISORY)" ]; then \
		echo "govulncheck -db file://$$(cd $(ADVISORY) && pwd)"; \
		$(GO) tool govulncheck -db "file://$$(cd $(ADVISORY) && pwd)" $(PKGS); \
	else \
		$(GO) tool govulncheck $(PKGS); \
	fi

bench: build
	./scripts/bench.sh

# modverify: the module cache holds exactly what go.sum names.
modverify:
	$(GO) mod verify

# supply: the supply-chain checks CI runs besides `make test`.
supply: modverify vuln

# release: a static binary (cgo on, for the audit's tree-sitter parsers,
# linked statically so that it runs in an empty image), its CycloneDX SBOM
# and the SHA-256 checksums of both, in $(DIST)/. The SBOM is read from the
# binary's build information: it lists exactly the modules linked in, with
# their go.sum hashes (and works in a git worktree, which `app` mode cannot
# read).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DIST    ?= dist
RELEASE_TAGS    := netgo,osusergo
RELEASE_LDFLAGS := -linkmode external -extldflags "-static" -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

release:
	rm -rf $(DIST) && mkdir -p $(DIST)
	CGO_ENABLED=1 $(GO) build -trimpath -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o $(DIST)/paywarden ./cmd/paywarden
	@if ldd $(DIST)/paywarden >/dev/null 2>&1; then echo "release: $(DIST)/paywarden is dynamically linked"; ldd $(DIST)/paywarden; exit 1; fi
	$(GO) tool cyclonedx-gomod bin -json -std -version $(VERSION) -output $(DIST)/paywarden.cdx.json $(DIST)/paywarden
	cd $(DIST) && sha256sum paywarden paywarden.cdx.json >SHA256SUMS
	@cat $(DIST)/SHA256SUMS

# reliability: kill -9, fsync order, a full disk, overload and PostgreSQL
# replicas against the real binary, then the release binary in an empty
# root and the systemd unit; prints a table (docs/RELIABILITY.md).
# reliability-short is the bounded form CI runs. Needs root for the tmpfs
# and the chroot (those cases skip, saying why, without it).
reliability: release
	$(GO) run ./reliability -static-bin $(DIST)/paywarden $(RELIABILITY_FLAGS)

reliability-short: release
	$(GO) run ./reliability -short -static-bin $(DIST)/paywarden $(RELIABILITY_FLAGS)

clean:
	rm -rf $(BIN) $(DIST)
