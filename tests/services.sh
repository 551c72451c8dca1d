#!/usr/bin/env bash
# Starts what the tests and the cluster benchmark need, on loopback, for the life of the calling script
# (sourced by tests/run.sh and tests/MailServerless.Benchmarks/cluster-bench.sh; packages must be there):
#   - a throwaway MariaDB (MAILSERVERLESS_TEST_MYSQL),
#   - the SQS/S3 emulator fauxqs from npm (MAILSERVERLESS_TEST_AWS),
#   - CloudFormation's resource specification from npm (MAILSERVERLESS_TEST_CFNSPEC),
#   - rspamd with test rules (MAILSERVERLESS_TEST_RSPAMD, tests/rspamd.sh),
#   - pebble, Let's Encrypt's ACME test server, with a DNS server for it (MAILSERVERLESS_TEST_ACME_*, tests/pebble.sh).
# Everything is stopped and removed by the EXIT trap it sets.
[ -n "${ROOT:-}" ] || ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
declare -F log >/dev/null || log() { printf '[services] %s\n' "$*"; }

# ----------------------------------------------------------------- MariaDB --
RUN_DIR="$(mktemp -d /tmp/msl-t.XXXXXX)"   # short: unix socket paths are limited
DB_PID=""
AWS_PID=""
RSPAMD_PID=""
cleanup() {
  if [ -n "$RSPAMD_PID" ]; then kill "$RSPAMD_PID" 2>/dev/null; wait "$RSPAMD_PID" 2>/dev/null; fi
  if [ -n "$AWS_PID" ]; then kill "$AWS_PID" 2>/dev/null; wait "$AWS_PID" 2>/dev/null; fi
  if [ -n "$DB_PID" ] && kill -0 "$DB_PID" 2>/dev/null; then
    mariadb-admin --no-defaults -S "$RUN_DIR/sock" -uroot shutdown >/dev/null 2>&1 || kill "$DB_PID" 2>/dev/null
    wait "$DB_PID" 2>/dev/null
  fi
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

DB_PORT="$(free_port)"
log "starting MariaDB on 127.0.0.1:$DB_PORT ($RUN_DIR)"
mariadb-install-db --no-defaults --datadir="$RUN_DIR/data" --user=root --skip-test-db \
  --auth-root-authentication-method=normal >"$RUN_DIR/install.log" 2>&1 || {
  cat "$RUN_DIR/install.log" >&2; exit 1; }
mariadbd --no-defaults --user=root --datadir="$RUN_DIR/data" --socket="$RUN_DIR/sock" --port="$DB_PORT" \
  --bind-address=127.0.0.1 --pid-file="$RUN_DIR/pid" --log-error="$RUN_DIR/err.log" --skip-log-bin \
  --skip-name-resolve --innodb-buffer-pool-size=64M --character-set-server=utf8mb4 \
  --max-connections=500 &
DB_PID=$!
for _ in $(seq 1 200); do
  mariadb-admin --no-defaults -S "$RUN_DIR/sock" -uroot ping >/dev/null 2>&1 && break
  kill -0 "$DB_PID" 2>/dev/null || { cat "$RUN_DIR/err.log" >&2; exit 1; }
  sleep 0.1
done
DB_PASSWORD="t-$(date +%s%N)"
mariadb --no-defaults -S "$RUN_DIR/sock" -uroot <<SQL || exit 1
CREATE USER 'msl'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'msl'@'127.0.0.1' WITH GRANT OPTION;
SQL
export MAILSERVERLESS_TEST_MYSQL="Server=127.0.0.1;Port=$DB_PORT;User ID=msl;Password=$DB_PASSWORD"

# ------------------------------------------------------- SQS/S3 emulator --
# fauxqs 1.9.2: the 2.x line needs Node >= 22.5 (Debian 12 has 20).
EMULATOR_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mailserverless/fauxqs-1.9.2"
if [ ! -d "$EMULATOR_DIR/node_modules/fauxqs" ]; then
  log "installing fauxqs 1.9.2 from npm into $EMULATOR_DIR"
  mkdir -p "$EMULATOR_DIR"
  (cd "$EMULATOR_DIR" && npm install --no-audit --no-fund --silent fauxqs@1.9.2 >/dev/null) || {
    echo "npm install fauxqs@1.9.2 failed" >&2; exit 1; }
fi
cp "$ROOT/tests/emulator/fauxqs-loopback.mjs" "$EMULATOR_DIR/"
AWS_PORT="$(free_port)"
log "starting the SQS/S3 emulator on 127.0.0.1:$AWS_PORT"
node "$EMULATOR_DIR/fauxqs-loopback.mjs" "$AWS_PORT" >"$RUN_DIR/fauxqs.log" 2>&1 &
AWS_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$AWS_PORT/_fauxqs/queues" >/dev/null 2>&1 && break
  kill -0 "$AWS_PID" 2>/dev/null || { cat "$RUN_DIR/fauxqs.log" >&2; exit 1; }
  sleep 0.1
done
export MAILSERVERLESS_TEST_AWS="http://127.0.0.1:$AWS_PORT"

# CloudFormation's resource specification, which the template tests check template.yaml against.
CFNSPEC_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mailserverless/cfnspec-2.72.1"
if [ ! -f "$CFNSPEC_DIR/node_modules/@aws-cdk/cfnspec/spec/specification.json" ]; then
  log "installing @aws-cdk/cfnspec 2.72.1 from npm into $CFNSPEC_DIR"
  mkdir -p "$CFNSPEC_DIR"
  (cd "$CFNSPEC_DIR" && npm install --no-audit --no-fund --silent @aws-cdk/cfnspec@2.72.1 >/dev/null) || {
    echo "npm install @aws-cdk/cfnspec@2.72.1 failed" >&2; exit 1; }
fi
export MAILSERVERLESS_TEST_CFNSPEC="$CFNSPEC_DIR/node_modules/@aws-cdk/cfnspec/spec/specification.json"

# ------------------------------------------------------------------ rspamd --
# shellcheck source=rspamd.sh
source "$ROOT/tests/rspamd.sh"

# ------------------------------------------------------------------ pebble --
# Certificates valid a year: renewal is tested by asking for it early (Mail:Tls:Acme:RenewBefore).
export MAILSERVERLESS_TEST_ACME_VALIDITY=31536000
# shellcheck source=pebble.sh
source "$ROOT/tests/pebble.sh"
