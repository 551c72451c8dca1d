#!/usr/bin/env bash
# Starts a throwaway rspamd (Debian's package) for the spam-filter tests, sourced by tests/services.sh:
# only its scanner ("normal" worker, /checkv2) on a loopback port, with the package's stock rules but none of
# /etc/rspamd/local.d, no network look-ups (its one DNS server is a closed port, and the modules that need DNS or
# redis are off), and test rules that give fixed verdicts:
#   - GTUBE                              -> reject
#   - Subject containing RSPAMD-TEST-ADD-HEADER  -> add header (score 8)
#   - Subject containing RSPAMD-TEST-SOFT-REJECT -> soft reject
# Exports MAILSERVERLESS_TEST_RSPAMD (its URL); RSPAMD_PID is for the caller's cleanup.
RSPAMD_DIR="$RUN_DIR/rspamd"
# Kept between runs: the first start compiles ~9,600 TLD patterns (15-20 s); later starts take about a second.
RSPAMD_HS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mailserverless/rspamd-hs"
mkdir -p "$RSPAMD_DIR"/conf/local.d "$RSPAMD_DIR"/db "$RSPAMD_DIR"/log "$RSPAMD_DIR"/run "$RSPAMD_HS_CACHE"
RSPAMD_PORT="$(free_port)"
C="$RSPAMD_DIR/conf"
cat > "$C/rspamd.conf" <<'CONF'
.include "$CONFDIR/common.conf"
options {
    pidfile = "$RUNDIR/rspamd.pid";
    .include "$CONFDIR/options.inc"
    .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
    type = "file";
    filename = "$LOGDIR/rspamd.log";
    .include "$CONFDIR/logging.inc"
}
worker "normal" {
    bind_socket = "127.0.0.1:${NORMAL_PORT}";
    mime = true;
    count = 1;
}
CONF
cat > "$C/local.d/options.inc" <<CONF
dns { nameserver = ["127.0.0.1:1"]; timeout = 0.3s; retransmits = 1; }
hs_cache_dir = "$RSPAMD_HS_CACHE";
CONF
cat > "$C/local.d/actions.conf" <<'CONF'
reject = 15;
add_header = 6;
greylist = 4;
CONF
for m in rbl spf dkim dmarc arc asn fuzzy_check hfilter phishing emails neural reputation url_redirector \
         greylist ratelimit replies history_redis mx_check whitelist mid; do
  echo 'enabled = false;' > "$C/local.d/$m.conf"
done
cat > "$C/local.d/multimap.conf" <<'CONF'
TEST_ADD_HEADER {
    type = "header"; header = "Subject"; regexp = true;
    map = "${LOCAL_CONFDIR}/test-add-header.map"; score = 8.0;
    description = "test: Subject contains RSPAMD-TEST-ADD-HEADER";
}
TEST_SOFT_REJECT {
    type = "header"; header = "Subject"; regexp = true; prefilter = true;
    action = "soft reject"; message = "Try again later (test)";
    map = "${LOCAL_CONFDIR}/test-soft-reject.map";
    description = "test: Subject contains RSPAMD-TEST-SOFT-REJECT";
}
CONF
echo '/RSPAMD-TEST-ADD-HEADER/' > "$C/test-add-header.map"
echo '/RSPAMD-TEST-SOFT-REJECT/' > "$C/test-soft-reject.map"

log "starting rspamd on 127.0.0.1:$RSPAMD_PORT"
rspamd -f -i -c "$C/rspamd.conf" "--var=LOCAL_CONFDIR=$C" "--var=DBDIR=$RSPAMD_DIR/db" "--var=LOGDIR=$RSPAMD_DIR/log" \
  "--var=RUNDIR=$RSPAMD_DIR/run" "--var=NORMAL_PORT=$RSPAMD_PORT" >"$RSPAMD_DIR/log/stdout.log" 2>&1 &
RSPAMD_PID=$!
for _ in $(seq 1 600); do
  curl -fsS -m 2 --data-binary $'Subject: ping\r\n\r\nping\r\n' "http://127.0.0.1:$RSPAMD_PORT/checkv2" 2>/dev/null | grep -q '"action"' && break
  kill -0 "$RSPAMD_PID" 2>/dev/null || { tail -30 "$RSPAMD_DIR/log/rspamd.log" "$RSPAMD_DIR/log/stdout.log" >&2; echo "rspamd did not start" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -m 2 "http://127.0.0.1:$RSPAMD_PORT/ping" >/dev/null || { echo "rspamd is not answering" >&2; exit 1; }
export MAILSERVERLESS_TEST_RSPAMD="http://127.0.0.1:$RSPAMD_PORT"
