#!/usr/bin/env bash
# SMTP side by side with Postfix on this machine, in one run, on the same MariaDB directory: the anchor's
# PostfixAdmin database (user1..user100@example.jp, MD5-CRYPT) is Postfix's and Dovecot's, then, once they have
# stopped, the directory of our server, which runs published as a deployment runs it (dotnet publish -c Release).
#
#   smtp-ingest  the anchor's lib/mailbench.py driving Postfix's smtp-source(1): MESSAGES (10,000) messages of
#                4 KiB, SESSIONS (16) sessions, one message per connection, random mailboxes; accepted per second,
#                in Maildir new/ per second, and the server's CPU (MariaDB's included) from the first message
#                accepted to the last one filed;
#   pop-bench    login + STAT + UIDL + RETR of POP_MSGS (2,000) messages, cold then warm;
#   conn-bench   IDLE_CONNS (500) authenticated idle IMAP connections, plain LOGIN: memory (PSS) per connection.
#
# It ends with the table of the SMTP issue, Postfix's figures beside ours. It uses the reference set-up of the
# classic stack kept beside this repository (ANCHOR=../shared/anchors/postfix-dovecot by default; copied to /tmp
# because its folder is read-only). Needs root and Debian's postfix, postfix-mysql, dovecot-imapd, dovecot-pop3d,
# dovecot-mysql, mariadb-server, swaks.
#
#   MESSAGES=10000 SESSIONS=16 POP_MSGS=2000 IDLE_CONNS=500 tests/MailServerless.Benchmarks/compare-postfix.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHOR="${ANCHOR:-$ROOT/../shared/anchors/postfix-dovecot}"
MESSAGES="${MESSAGES:-${1:-10000}}"
SESSIONS="${SESSIONS:-${2:-16}}"
POP_MSGS="${POP_MSGS:-2000}"
IDLE_CONNS="${IDLE_CONNS:-500}"
WORK=/tmp/msl-compare-anchor

[ -d "$ANCHOR" ] || { echo "no anchor set-up at $ANCHOR (set ANCHOR=...)" >&2; exit 2; }
rm -rf "$WORK"; cp -r "$ANCHOR" "$WORK"; chmod -R u+w "$WORK"
MB="$WORK/lib/mailbench.py"
THEIRS=/tmp/msl-compare-postfix.txt
OURS=/tmp/msl-compare-ours.txt
: >"$THEIRS"; : >"$OURS"

# fill <smtp port> <maildir new/>: POP_MSGS messages to user99, then wait until all are delivered.
fill() {
  smtp-source -s 16 -m "$POP_MSGS" -l 4096 -f bench@example.net -t user99@example.jp "127.0.0.1:$1"
  until [ "$(ls "$2" 2>/dev/null | wc -l)" -ge "$POP_MSGS" ]; do sleep 0.2; done
}

# db_mark <label>: MariaDB's statements so far (Questions) and its CPU seconds (from /proc), to tell per phase how much
# of the work per message is the directory's.
db_mark() {
  local questions ticks
  questions=$(mysql_root -N -e "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{print $2}')
  ticks=$(awk '{print $14 + $15}' "/proc/$(cat "$DB_PIDFILE")/stat")
  echo "$1 $questions $ticks $(getconf CLK_TCK)"
}

# db_report <label> <mark before> <mark after>: a BENCH line with the difference, per message.
db_report() {
  python3 - "$@" "$MESSAGES" <<'PY'
import sys
label, before, after, messages = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])
questions = int(after[1]) - int(before[1])
cpu = (int(after[2]) - int(before[2])) / int(after[3])
print(f"BENCH mariadb label={label} statements={questions} statements_per_msg={questions / messages:.2f} cpu_s={cpu:.2f} cpu_ms_per_msg={cpu * 1000 / messages:.3f}")
PY
}

echo "== Postfix + Dovecot (anchor)"
dotnet build -c Release "$HERE" >/dev/null
"$WORK/setup.sh" >/dev/null
# shellcheck disable=SC1091
source "$WORK/lib/env.sh"
DB_PIDFILE=/tmp/anchor-pd/mysql/mariadbd.pid
before=$(db_mark postfix)
python3 "$MB" smtp-ingest --port "$SMTP_PORT" --messages "$MESSAGES" --sessions "$SESSIONS" \
  --maildir-glob "$VMAIL_DIR/example.jp/user*" \
  --server-pid /tmp/anchor-pd/postfix/spool/pid/master.pid --server-pid "$DB_PIDFILE" \
  --label postfix | tee -a "$THEIRS"
db_report postfix "$before" "$(db_mark postfix)" | tee -a "$THEIRS"
rm -rf "$VMAIL_DIR/example.jp/user99"
fill "$SMTP_PORT" "$VMAIL_DIR/example.jp/user99/new"
python3 "$MB" pop-bench --port "$POP3_PORT" --user user99@example.jp --expect "$POP_MSGS" \
  --server-pid "$DC_PIDFILE" --label dovecot | tee -a "$THEIRS"
python3 "$MB" conn-bench --server-pid "$DC_PIDFILE" --port "$IMAP_PORT" --label dovecot-plain --count "$IDLE_CONNS" \
  --user-range 1-100 --no-starttls | tee -a "$THEIRS" || true
echo "== MailServerless"
# shellcheck source=serve-published.sh
source "$HERE/serve-published.sh"
start_published_server
echo "$pid" >"$WORK/ours.pid"
# Idle connections first, on the fresh server: after the ingest the managed heap has grown already and would take
# them in for almost nothing, which says nothing about a server that has been quiet.
python3 "$MB" conn-bench --server-pid "$WORK/ours.pid" --port "$imap" --label mailserverless-plain --count "$IDLE_CONNS" \
  --user-range 1-100 --no-starttls | tee -a "$OURS" || true
before=$(db_mark mailserverless)
python3 "$MB" smtp-ingest --port "$port" --messages "$MESSAGES" --sessions "$SESSIONS" \
  --maildir-glob "$glob" --server-pid "$WORK/ours.pid" --server-pid "$DB_PIDFILE" --label mailserverless | tee -a "$OURS"
db_report mailserverless "$before" "$(db_mark mailserverless)" | tee -a "$OURS"
fill "$port" "${glob%user\*}user99/new"
python3 "$MB" pop-bench --port "$pop3" --user user99@example.jp --expect "$POP_MSGS" \
  --server-pid "$WORK/ours.pid" --label mailserverless | tee -a "$OURS"
exec 3>&-
wait "$server" 2>/dev/null || true
"$WORK/stop.sh" --quiet || true

echo "== the SMTP issue's table (ours / Postfix)"
python3 - "$THEIRS" "$OURS" <<'PY'
import sys
def figures(path):
    out = {}
    for line in open(path):
        if line.startswith("BENCH"):
            parts = line.split()
            fields = dict(kv.split("=", 1) for kv in parts[2:] if "=" in kv)
            out[(parts[1], fields.get("pass", fields.get("tls", "")))] = fields
    return out
theirs, ours = figures(sys.argv[1]), figures(sys.argv[2])
def value(table, name, field, scale=1.0, per=None):
    fields = table.get(name)
    if not fields or field not in fields:
        return None
    number = float(fields[field]) * scale
    return number / float(fields[per]) if per else number
rows = [
    ("accepted msgs/s", ("smtp_accept", ""), "rate_per_s", 1.0, None, "ratio", ">= 4x"),
    ("in Maildir new/, msgs/s", ("smtp_deliver", ""), "rate_per_s", 1.0, None, "ratio", ">= 3x"),
    ("server CPU per message, accept -> Maildir (incl. MariaDB), ms", ("smtp_deliver", ""), "server_cpu_s", 1000.0, "delivered", "ratio", "<= 0.25"),
    ("  of which MariaDB, ms", ("mariadb", ""), "cpu_ms_per_msg", 1.0, None, "ratio", ""),
    ("  MariaDB statements per message", ("mariadb", ""), "statements_per_msg", 1.0, None, "ratio", ""),
    ("POP3: login + UIDL + RETR, warm, s", ("pop3_total", "warm1"), "s", 1.0, None, "ratio", "<= 0.7"),
    ("idle IMAP connection, plain LOGIN, PSS KB", ("imap_idle_conns", "plain"), "pss_KB_per_conn", 1.0, None, "ratio", "<= 1/20"),
]
print(f"| {'':<62} | {'Postfix':>10} | {'ours':>10} | {'ratio':>6} | target  |")
print(f"|{'-' * 64}|{'-' * 12}|{'-' * 12}|{'-' * 8}|---------|")
for title, key, field, scale, per, _, target in rows:
    a, b = value(theirs, key, field, scale, per), value(ours, key, field, scale, per)
    ratio = f"{b / a:.2f}" if a and b is not None else "-"
    show = lambda v: f"{v:>10.4g}" if v is not None else f"{'-':>10}"
    print(f"| {title:<62} | {show(a)} | {show(b)} | {ratio:>6} | {target:<7} |")
PY
