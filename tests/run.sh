#!/usr/bin/env bash
# The project's test command (README "Set-up", docs/development.md "Tests"; CI's .ci/run calls exactly this).
#
#   1. installs what the tests need when it is missing (as root, from Debian's packages):
#      MariaDB server and client, Dovecot (the reference implementation the store and protocols
#      are compared with), the real mail clients the conformance tests drive, and Postfix's
#      smtp-sink and dnsmasq for the outbound relay's and the SPF/DKIM/DMARC tests, NSD and ldns for DANE's signed zone, rspamd, and Pigeonhole's
#      sieve-test, sieve-connect and python3-sievelib for Sieve and ManageSieve, pebble for ACME, and
#      Chromium for the web console's browser tests;
#   2. starts a throwaway MariaDB on its own datadir, socket and port, the SQS/S3 emulator
#      (npm's fauxqs, installed into ~/.cache/mailserverless) and pebble, on loopback;
#   3. runs `dotnet test` on the whole solution against it;
#   4. stops what it started and prints one line "N passed, N failed, N skipped".
#
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Directory").
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[tests] %s\n' "$*"; }

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

# ---------------------------------------------------------------- packages --
# Every Debian package a test uses, with the libraries each tool only *recommends* (installing with
# --no-install-recommends leaves those out, and the tool then fails at run time: swaks has no TLS without
# libnet-ssleay-perl/libio-socket-ssl-perl). Checked with `apt-cache depends <tool>`; a package is installed
# when dpkg does not list it as installed, so a missing library is caught as well as a missing program.
packages=(
  mariadb-server mariadb-client                             # the directory on MySQL (tests/services.sh)
  dovecot-core dovecot-imapd dovecot-pop3d dovecot-mysql    # the reference IMAP/POP3/Maildir implementation
  swaks libnet-ssleay-perl libio-socket-ssl-perl libio-socket-inet6-perl libnet-dns-perl   # swaks and its TLS, IPv6, DNS
  curl openssl ca-certificates                              # curl's smtp/imap/pop3, openssl s_client
  python3                                                   # smtplib/imaplib/poplib, free ports
  fetchmail getmail6 isync libsasl2-modules                 # POP3/IMAP clients; mbsync's SASL mechanisms
  postfix                                                   # its smtp-sink is the relay/MX the outbound tests send to
  dnsmasq-base                                              # a loopback DNS server with MX records for direct delivery
  nsd ldnsutils                                             # a DNSSEC-signed zone (ldns-signzone, served by NSD) for DANE, validated by dnsmasq
  postsrsd                                                  # the reference Sender Rewriting Scheme, compared with ours
  rspamd                                                    # the spam filter the MX asks (tests/rspamd.sh)
  dovecot-sieve                                             # Pigeonhole's sieve-test: the reference for our Sieve interpreter
  sieve-connect                                             # a real ManageSieve client
  python3-sievelib                                          # another, for HAVESPACE and RENAMESCRIPT (sieve-connect has neither)
  iproute2                                                  # ss: the TCP segments an IMAP answer took (pipelining test)
  python3-prometheus-client                                 # Prometheus's own parser checks /metrics' text format
  pebble                                                    # Let's Encrypt's ACME test server, for the certificate tests (tests/pebble.sh)
  chromium fonts-liberation                                 # the web console's browser tests (Playwright drives Debian's Chromium)
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
# Node.js and npm run the SQS/S3 emulator (fauxqs, from npm); a Node.js from elsewhere (with its npm) will do.
{ have node && have npm; } || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
    exit 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
export PATH="$PATH:/usr/sbin"

# ---------------------------------------------- MariaDB, SQS/S3 emulator --
# shellcheck source=services.sh
source "$ROOT/tests/services.sh"

# -------------------------------------------------------------------- tests --
RESULTS="$RUN_DIR/results"
log "dotnet test"
dotnet test "$ROOT/MailServerless.sln" --logger "trx" --results-directory "$RESULTS" \
  --blame-hang-timeout 15m "$@"
status=$?

passed=0; failed=0; skipped=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$((skipped + ${n:-0}))
done
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  failed=1   # the run itself failed (build error, crashed test host)
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
