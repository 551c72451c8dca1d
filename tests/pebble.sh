#!/usr/bin/env bash
# Starts an ACME test CA for the certificate tests (AcmeCertificateTests), on loopback, for the life of the calling
# script (Debian's packages pebble and dnsmasq-base; sourced by tests/services.sh, or on its own):
#   - dnsmasq answering every name under MAILSERVERLESS_TEST_ACME_DOMAIN (example.test) with 127.0.0.1 (and AAAA
#     with no data, not REFUSED: --local),
#   - pebble (RFC 8555 server) resolving through it, validating http-01 on MAILSERVERLESS_TEST_ACME_HTTP_PORT and
#     tls-alpn-01 on MAILSERVERLESS_TEST_ACME_TLS_PORT of 127.0.0.1: the test's responders listen there.
# Debian's pebble ships without its test HTTPS certificate (minica), so one is made here with openssl:
# MAILSERVERLESS_TEST_ACME_CA is that CA (trust it for the directory), not the CA that issues (the management
# endpoint MAILSERVERLESS_TEST_ACME_MANAGEMENT serves that one at /roots/0 and /intermediates/0, new each start).
# Stopped by the caller's cleanup (PEBBLE_PID, ACME_DNS_PID) or, sourced alone, by the EXIT trap it sets.
declare -F log >/dev/null || log() { printf '[acme] %s\n' "$*"; }
declare -F free_port >/dev/null || free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

PEBBLE_PID=""
ACME_DNS_PID=""
acme_cleanup() {
  if [ -n "$PEBBLE_PID" ]; then kill "$PEBBLE_PID" 2>/dev/null; wait "$PEBBLE_PID" 2>/dev/null; fi
  if [ -n "$ACME_DNS_PID" ]; then kill "$ACME_DNS_PID" 2>/dev/null; wait "$ACME_DNS_PID" 2>/dev/null; fi
  PEBBLE_PID=""
  ACME_DNS_PID=""
}
if [ -n "${RUN_DIR:-}" ] && declare -F cleanup >/dev/null; then
  # Inside services.sh: its EXIT trap calls cleanup(), which now stops these first, then removes RUN_DIR.
  eval "$(declare -f cleanup | sed '1s/^cleanup/acme_outer_cleanup/')"
  cleanup() { acme_cleanup; acme_outer_cleanup; }
  ACME_DIR="$RUN_DIR/acme"
  mkdir -p "$ACME_DIR"
else
  ACME_DIR="$(mktemp -d /tmp/msl-acme.XXXXXX)"
  trap 'acme_cleanup; rm -rf "$ACME_DIR"' EXIT INT TERM
fi

# ----------------------------------------------------------- test CA (HTTPS) --
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=pebble test CA" \
  -keyout "$ACME_DIR/ca-key.pem" -out "$ACME_DIR/ca.pem" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 || {
  echo "openssl: cannot make pebble's test CA" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=localhost" \
  -CA "$ACME_DIR/ca.pem" -CAkey "$ACME_DIR/ca-key.pem" -keyout "$ACME_DIR/key.pem" -out "$ACME_DIR/cert.pem" \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
  -addext extendedKeyUsage=serverAuth >/dev/null 2>&1 || { echo "openssl: cannot make pebble's certificate" >&2; exit 1; }

# --------------------------------------------------------------------- DNS --
ACME_DOMAIN="${MAILSERVERLESS_TEST_ACME_DOMAIN:-example.test}"
ACME_DNS_PORT="$(free_port)"
log "starting dnsmasq on 127.0.0.1:$ACME_DNS_PORT (*.$ACME_DOMAIN -> 127.0.0.1)"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll --bind-interfaces \
  --listen-address=127.0.0.1 --port="$ACME_DNS_PORT" --address="/$ACME_DOMAIN/127.0.0.1" --local="/$ACME_DOMAIN/" \
  --pid-file= --log-facility="$ACME_DIR/dnsmasq.log" >"$ACME_DIR/dnsmasq.out" 2>&1 &
ACME_DNS_PID=$!

# ------------------------------------------------------------------ pebble --
ACME_PORT="$(free_port)"
ACME_MANAGEMENT_PORT="$(free_port)"
ACME_HTTP_PORT="${MAILSERVERLESS_TEST_ACME_HTTP_PORT:-$(free_port)}"
ACME_TLS_PORT="${MAILSERVERLESS_TEST_ACME_TLS_PORT:-$(free_port)}"
cat > "$ACME_DIR/pebble.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$ACME_PORT",
    "managementListenAddress": "127.0.0.1:$ACME_MANAGEMENT_PORT",
    "certificate": "$ACME_DIR/cert.pem",
    "privateKey": "$ACME_DIR/key.pem",
    "httpPort": $ACME_HTTP_PORT,
    "tlsPort": $ACME_TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false,
    "certificateValidityPeriod": ${MAILSERVERLESS_TEST_ACME_VALIDITY:-157766400}
  }
}
JSON
log "starting pebble on 127.0.0.1:$ACME_PORT (validates on http $ACME_HTTP_PORT, tls-alpn $ACME_TLS_PORT)"
# No random sleep before validating, no spurious badNonce (pebble's default rejects 5%); certificates valid
# MAILSERVERLESS_TEST_ACME_VALIDITY seconds (pebble's default, 5 years); PEBBLE_STRICT=1 adds -strict.
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT="${PEBBLE_WFE_NONCEREJECT:-0}" \
  pebble -config "$ACME_DIR/pebble.json" -dnsserver "127.0.0.1:$ACME_DNS_PORT" ${PEBBLE_STRICT:+-strict} \
  >"$ACME_DIR/pebble.log" 2>&1 &
PEBBLE_PID=$!
for _ in $(seq 1 100); do
  curl -sf --cacert "$ACME_DIR/ca.pem" "https://127.0.0.1:$ACME_PORT/dir" >/dev/null 2>&1 && break
  kill -0 "$PEBBLE_PID" 2>/dev/null || { cat "$ACME_DIR/pebble.log" >&2; exit 1; }
  kill -0 "$ACME_DNS_PID" 2>/dev/null || { cat "$ACME_DIR/dnsmasq.out" >&2; exit 1; }
  sleep 0.1
done
curl -sf --cacert "$ACME_DIR/ca.pem" "https://127.0.0.1:$ACME_PORT/dir" >/dev/null || {
  cat "$ACME_DIR/pebble.log" >&2; exit 1; }

export MAILSERVERLESS_TEST_ACME_DIRECTORY="https://127.0.0.1:$ACME_PORT/dir"
export MAILSERVERLESS_TEST_ACME_CA="$ACME_DIR/ca.pem"
export MAILSERVERLESS_TEST_ACME_MANAGEMENT="https://127.0.0.1:$ACME_MANAGEMENT_PORT"
export MAILSERVERLESS_TEST_ACME_HTTP_PORT="$ACME_HTTP_PORT"
export MAILSERVERLESS_TEST_ACME_TLS_PORT="$ACME_TLS_PORT"
export MAILSERVERLESS_TEST_ACME_DOMAIN="$ACME_DOMAIN"
