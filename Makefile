# paywarden — the two commands are `make run` and `make test`.
# Everything a target uses is installed by it: Go tools are pinned as `tool`
# entries in go.mod and built on first use by `go tool`.

GO       ?= go
BIN      := bin
PKGS     := ./...
ADVISORY ?= ../shared/data/advisories/go

.PHONY: all build release run test check fmt vet staticcheck race audit vuln bench clean

all: build

build:
	$(GO) build -o $(BIN)/paywarden ./cmd/paywarden

# release: a static binary. cgo (tree-sitter's grammars) is linked in
# statically; netgo and osusergo keep net and os/user from needing libc.
release:
	CGO_ENABLED=1 $(GO) build -trimpath -tags netgo,osusergo -ldflags '-s -w -linkmode external -extldflags -static' -o $(BIN)/paywarden ./cmd/paywarden

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

clean:
	rm -rf $(BIN)
