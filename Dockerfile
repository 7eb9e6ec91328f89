# paywarden: a static binary on an empty, non-root image.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t paywarden .
#   docker run -p 8443:8443 -v paywarden-data:/data \
#     -v /etc/paywarden/secrets:/run/secrets:ro \
#     -v /etc/paywarden/tls:/run/tls:ro paywarden
#
# Secrets are files, never environment values or build arguments: the image
# reads STRIPE_SECRET_KEY_FILE and STRIPE_WEBHOOK_SECRET_FILE (and any other
# X_FILE, e.g. PAYWARDEN_DATABASE_URL_FILE for a PostgreSQL URL holding a
# password). In production paywarden refuses a secret file that group or
# others can read: mount them 0400, owned by uid 65532.
#
# The build is the same as `make release` (static, cgo on for the audit's
# parsers); `make reliability` runs that binary in an empty root as a
# stand-in for this image, since no image can be built on the CI machine.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV GOFLAGS=-mod=readonly GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=1 go build -trimpath -tags netgo,osusergo \
      -ldflags "-linkmode external -extldflags -static -s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/paywarden ./cmd/paywarden \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/healthcheck ./deploy/healthcheck \
 && if ldd /out/paywarden >/dev/null 2>&1; then echo "paywarden is not static" >&2; exit 1; fi \
 && /out/paywarden version \
 && mkdir -p /out/data /out/tmp && chmod 0700 /out/data && chmod 1777 /out/tmp

# An empty image: the binary, CA certificates for Stripe, time zones, and
# the state volume; no shell, no package manager.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/paywarden /out/healthcheck /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build /out/tmp /tmp
USER 65532:65532
WORKDIR /data
ENV PAYWARDEN_ENV=production \
    PAYWARDEN_DATABASE_URL=sqlite:/data/paywarden.db \
    PAYWARDEN_ADDR=:8443 \
    PAYWARDEN_ADMIN_ADDR=127.0.0.1:9090 \
    PAYWARDEN_TLS_CERT_FILE=/run/tls/tls.crt \
    PAYWARDEN_TLS_KEY_FILE=/run/tls/tls.key \
    STRIPE_SECRET_KEY_FILE=/run/secrets/stripe_secret_key \
    STRIPE_WEBHOOK_SECRET_FILE=/run/secrets/stripe_webhook_secret
VOLUME ["/data"]
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/healthcheck"]
# serve refuses pending migrations in production: run
#   docker run --rm -v paywarden-data:/data ... paywarden migrate
# first (or an init container, as deploy/kubernetes/ does).
ENTRYPOINT ["/usr/local/bin/paywarden"]
CMD ["serve"]
