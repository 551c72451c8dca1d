#!/usr/bin/env bash
# IMAP side by side with Dovecot on this machine, in one run, on the same MariaDB directory (the anchor's
# PostfixAdmin database: Dovecot's passdb, and our server's directory after Dovecot has stopped):
#
#   imap-bench   the anchor's lib/mailbench.py (Python's imaplib over STARTTLS): SELECT INBOX,
#                UID FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE), UID FETCH 1:* (BODY.PEEK[]) on IMAP_MSGS (10,000)
#                messages delivered through SMTP and on LARGE_MSGS (100,000) small messages written straight
#                into the Maildir; pass "cold" right after a fresh start of the server, then warm passes;
#   imap-stress  our benchmark client: STRESS_SESSIONS (10) sessions, and one alone, for STRESS_SECONDS (20) on a
#                300-message MIME mailbox, each pipelining FETCH/STORE/SEARCH batches with APPEND and UID EXPUNGE:
#                commands answered, latency per command, and errors (NO/BAD);
#   conn-bench   IDLE_CONNS (500) authenticated idle connections over user1..user100, plain LOGIN and
#                STARTTLS: logins per second and memory (PSS) per connection.
#
# It ends with the table of the IMAP issue: cold pass, cold SELECT, cold ENVELOPE, warm pass, the
# 100,000-message cold SELECT, and the stress figures, Dovecot's beside ours.
#
# It uses the reference set-up of the classic stack kept beside this repository
# (ANCHOR=../shared/anchors/postfix-dovecot by default; copied to /tmp because its folder is
# read-only). Needs root and Debian's postfix, postfix-mysql, dovecot-imapd, dovecot-pop3d,
# dovecot-mysql, mariadb-server, swaks.
#
#   IMAP_MSGS=10000 LARGE_MSGS=100000 IDLE_CONNS=500 PASSES=2 STRESS_SESSIONS=10 STRESS_SECONDS=20 \
#     tests/MailServerless.Benchmarks/compare-dovecot-imap.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHOR="${ANCHOR:-$ROOT/../shared/anchors/postfix-dovecot}"
IMAP_MSGS="${IMAP_MSGS:-10000}"
LARGE_MSGS="${LARGE_MSGS:-100000}"
IDLE_CONNS="${IDLE_CONNS:-500}"
PASSES="${PASSES:-2}"
STRESS_SESSIONS="${STRESS_SESSIONS:-10}"
STRESS_SECONDS="${STRESS_SECONDS:-20}"
WORK=/tmp/msl-compare-imap

[ -d "$ANCHOR" ] || { echo "no anchor set-up at $ANCHOR (set ANCHOR=...)" >&2; exit 2; }
rm -rf "$WORK"; cp -r "$ANCHOR" "$WORK"; chmod -R u+w "$WORK"
MB="$WORK/lib/mailbench.py"
THEIRS=/tmp/msl-compare-imap-dovecot.txt
OURS=/tmp/msl-compare-imap-ours.txt
: >"$THEIRS"; : >"$OURS"

# fill <smtp port> <maildir new/> <count>: messages of 4 KiB to user100 through SMTP, then wait for them all.
fill() {
  smtp-source -s 16 -m "$3" -l 4096 -f bench@example.net -t user100@example.jp "127.0.0.1:$1"
  until [ "$(ls "$2" 2>/dev/null | wc -l)" -ge "$3" ]; do sleep 0.5; done
}

# write_maildir <maildir> <count>: small messages written straight into new/ (as a migration would).
write_maildir() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
root, count = sys.argv[1], int(sys.argv[2])
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
now = int(time.time()) - count
for i in range(count):
    body = (f"From: Sender {i % 97} <sender{i % 97}@example.net>\nTo: user98@example.jp\n"
            f"Subject: message {i} of the large folder\nDate: Mon, 2 Feb 2026 10:00:00 +0000\n"
            f"Message-ID: <large-{i}@example.net>\n\n" + "Some text of a line.\n" * 40).encode()
    crlf = len(body) + body.count(b"\n")
    with open(os.path.join(root, "new", f"{now + i}.M{i}P1.bench,S={len(body)},W={crlf}"), "wb") as f:
        f.write(body)
PY
}

# write_mime <maildir> <count>: MIME messages (text and an attachment) written into new/, for the stress test.
write_mime() {
  python3 - "$1" "$2" <<'PY'
import base64, os, sys, time
root, count = sys.argv[1], int(sys.argv[2])
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
now = int(time.time()) - count
for i in range(count):
    attachment = base64.encodebytes(os.urandom(3000 + 37 * i)).decode()
    body = (f"From: Sender {i % 13} <sender{i % 13}@example.net>\nTo: user97@example.jp\nSubject: stress message {i}\n"
            f"Date: Mon, 2 Feb 2026 10:{i % 60:02d}:00 +0000\nMessage-ID: <stress-{i}@example.net>\nMIME-Version: 1.0\n"
            f"Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/plain; charset=utf-8\n\n"
            + "A line of the text part.\n" * 20 + f"--b{i}\nContent-Type: application/octet-stream; name=\"file{i}.bin\"\n"
            f"Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"file{i}.bin\"\n\n{attachment}--b{i}--\n").encode()
    with open(os.path.join(root, "new", f"{now + i}.M{i}P2.stress"), "wb") as f:
        f.write(body)
PY
}

run_stress() { # <label> <port> <output>
  for sessions in 1 "$STRESS_SESSIONS"; do
    dotnet "$HERE/bin/Release/net10.0/MailServerless.Benchmarks.dll" imap-stress --port "$2" --user user97@example.jp \
      --sessions "$sessions" --seconds "$STRESS_SECONDS" --label "$1-$sessions" | tee -a "$3"
  done
}

run_imap() { # <label> <port> <user> <expect> <server pid file or pid> <output>
  python3 "$MB" imap-bench --port "$2" --user "$3" --expect "$4" --passes "$PASSES" --server-pid "$5" --label "$1" | tee -a "$6"
}

echo "== Dovecot (anchor)"
dotnet build -c Release "$HERE" >/dev/null
"$WORK/setup.sh" >/dev/null
# shellcheck disable=SC1091
source "$WORK/lib/env.sh"
fill "$SMTP_PORT" "$VMAIL_DIR/example.jp/user100/new" "$IMAP_MSGS"
write_maildir "$VMAIL_DIR/example.jp/user98" "$LARGE_MSGS"
write_mime "$VMAIL_DIR/example.jp/user97" 300
chown -R "$VMAIL_UID:$VMAIL_GID" "$VMAIL_DIR/example.jp/user98" "$VMAIL_DIR/example.jp/user97"
restart_dovecot() {
  kill "$(tr -dc 0-9 <"$DC_PIDFILE")"
  while [ -e "$DC_PIDFILE" ] && kill -0 "$(tr -dc 0-9 <"$DC_PIDFILE")" 2>/dev/null; do sleep 0.2; done
  dovecot -c "$DC_CONF"
  until [ -s "$DC_PIDFILE" ] && python3 -c "import socket; socket.create_connection(('127.0.0.1', $IMAP_PORT))" 2>/dev/null; do sleep 0.2; done
}
restart_dovecot
run_imap dovecot-10k "$IMAP_PORT" user100@example.jp "$IMAP_MSGS" "$DC_PIDFILE" "$THEIRS"
restart_dovecot
run_imap dovecot-100k "$IMAP_PORT" user98@example.jp "$LARGE_MSGS" "$DC_PIDFILE" "$THEIRS"
python3 "$MB" conn-bench --server-pid "$DC_PIDFILE" --port "$IMAP_PORT" --label dovecot-plain --count "$IDLE_CONNS" \
  --user-range 1-100 --no-starttls | tee -a "$THEIRS" || true
python3 "$MB" conn-bench --server-pid "$DC_PIDFILE" --port "$IMAP_PORT" --label dovecot-starttls --count "$IDLE_CONNS" \
  --user-range 1-100 | tee -a "$THEIRS" || true
run_stress dovecot "$IMAP_PORT" "$THEIRS"
echo "== MailServerless"
# shellcheck source=serve-published.sh
source "$HERE/serve-published.sh"
start_published_server
smtp=$port
base="${glob%user\*}"
fill "$smtp" "${base}user100/new" "$IMAP_MSGS"
write_maildir "${base}user98" "$LARGE_MSGS"
write_mime "${base}user97" 300
restart_ours() {
  local before; before=$(grep -c restarted "$out" || true)
  echo restart >&3
  until [ "$(grep -c restarted "$out" || true)" -gt "$before" ]; do sleep 0.2; done
  grep restarted "$out" | tail -1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p'
}
pid=$(restart_ours)
run_imap mailserverless-10k "$imap" user100@example.jp "$IMAP_MSGS" "$pid" "$OURS"
pid=$(restart_ours)
run_imap mailserverless-100k "$imap" user98@example.jp "$LARGE_MSGS" "$pid" "$OURS"
echo "$pid" >"$WORK/ours.pid"
python3 "$MB" conn-bench --server-pid "$WORK/ours.pid" --port "$imap" --label mailserverless-plain --count "$IDLE_CONNS" \
  --user-range 1-100 --no-starttls | tee -a "$OURS" || true
python3 "$MB" conn-bench --server-pid "$WORK/ours.pid" --port "$imap" --label mailserverless-starttls --count "$IDLE_CONNS" \
  --user-range 1-100 | tee -a "$OURS" || true
run_stress mailserverless "$imap" "$OURS"
exec 3>&-
wait "$server" 2>/dev/null || true
"$WORK/stop.sh" --quiet || true

echo "== ratios (MailServerless / Dovecot; below 1 is faster or smaller)"
python3 - "$THEIRS" "$OURS" <<'PY'
import sys
def figures(path):
    out = {}
    for line in open(path):
        if line.startswith("BENCH"):
            parts = line.split()
            fields = dict(kv.split("=", 1) for kv in parts[2:] if "=" in kv)
            label = fields.get("label", "").split("-", 1)[-1]
            out[(parts[1], label, fields.get("pass", fields.get("tls", "")))] = fields
    return out
theirs, ours = figures(sys.argv[1]), figures(sys.argv[2])
for key in sorted(theirs):
    if key not in ours:
        continue
    for field in ("s", "logins_per_s", "pss_KB_per_conn", "rss_KB_per_conn"):
        if field in theirs[key] and field in ours[key]:
            a, b = float(theirs[key][field]), float(ours[key][field])
            print(f"{key[0]:<22} {key[1]:<9} {key[2]:<9} {field:<16} dovecot={a:<10.4g} ours={b:<10.4g} ratio={b / a if a else float('nan'):.2f}")
PY

echo "== the IMAP issue's table"
python3 - "$THEIRS" "$OURS" "$STRESS_SESSIONS" <<'PY'
import sys
def lines(path):
    out = []
    for line in open(path):
        if line.startswith("BENCH"):
            parts = line.split()
            out.append((parts[1], dict(kv.split("=", 1) for kv in parts[2:] if "=" in kv)))
    return out
def find(rows, kind, label_end, pass_=None):
    for k, f in rows:
        if k == kind and f.get("label", "").endswith(label_end) and (pass_ is None or f.get("pass") == pass_):
            return f
    return None
theirs, ours, n = lines(sys.argv[1]), lines(sys.argv[2]), sys.argv[3]
rows = [
    ("cold pass (SELECT, ENVELOPE, all bodies), 10k", "imap_total", "-10k", "cold", "s"),
    ("cold SELECT alone, 10k", "imap_select", "-10k", "cold", "s"),
    ("cold ENVELOPE alone, 10k", "imap_fetch_envelope", "-10k", "cold", "s"),
    ("warm pass, 10k", "imap_total", "-10k", "warm1", "s"),
    ("cold SELECT alone, 100k", "imap_select", "-100k", "cold", "s"),
    ("cold pass, 100k", "imap_total", "-100k", "cold", "s"),
]
for sessions in ("1", n):
    for field, name in (("commands", "commands"), ("p50_ms", "median latency ms"), ("p90_ms", "90th pct latency ms"), ("errors", "errors")):
        rows.append((f"stress, {sessions} session(s): {name}", "imap_stress", f"-{sessions}", None, field))
print(f"| {'':<52} | {'Dovecot':>10} | {'ours':>10} | {'ratio':>6} |")
print(f"|{'-' * 54}|{'-' * 12}|{'-' * 12}|{'-' * 8}|")
for title, kind, label, pass_, field in rows:
    a, b = find(theirs, kind, label, pass_), find(ours, kind, label, pass_)
    if not a or not b or field not in a or field not in b:
        continue
    x, y = float(a[field]), float(b[field])
    ratio = f"{y / x:.2f}" if x else "-"
    print(f"| {title:<52} | {x:>10.4g} | {y:>10.4g} | {ratio:>6} |")
PY
