#!/usr/bin/env bash
# The project's test command (README "Tests"; CI's .ci/run calls exactly this).
#
#   1. installs what the tests need when it is missing (as root, from Debian's packages):
#      MariaDB server and client, Dovecot (the reference implementation the store and protocols
#      are compared with), the real mail clients the conformance tests drive, and Postfix's
#      smtp-sink and dnsmasq for the outbound relay's tests;
#   2. starts a throwaway MariaDB on its own datadir, socket and port, and the SQS/S3 emulator
#      (npm's fauxqs, installed into ~/.cache/mailserverless) on loopback;
#   3. runs `dotnet test` on the whole solution against it;
#   4. stops what it started and prints one line "N passed, N failed, N skipped".
#
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Directory").
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[tests] %s\n' "$*"; }

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

# ---------------------------------------------------------------- packages --
missing=()
have mariadbd || missing+=(mariadb-server)
have mariadb || missing+=(mariadb-client)
have doveadm || missing+=(dovecot-core)
[ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
[ -e /usr/lib/dovecot/modules/libdriver_mysql.so ] || missing+=(dovecot-mysql)
have swaks || missing+=(swaks)
have curl || missing+=(curl)
have openssl || missing+=(openssl)
have python3 || missing+=(python3)
have fetchmail || missing+=(fetchmail)
have getmail || missing+=(getmail6)
have mbsync || missing+=(isync)
have smtp-sink || missing+=(postfix)        # its smtp-sink is the relay/MX the outbound tests send to
have dnsmasq || missing+=(dnsmasq-base)     # a loopback DNS server with MX records for direct delivery
have node || missing+=(nodejs)               # the SQS/S3 emulator (fauxqs, from npm)
have npm || missing+=(npm)
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
