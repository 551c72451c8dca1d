#!/usr/bin/env bash
# Side-by-side benchmark of the classic Postfix + Dovecot + MariaDB stack and MailServerless
# on this machine, in one run, driven by the same clients: SMTP ingest (16 sessions, one 4 KiB
# message per connection) and POP3 (login + STAT + UIDL + RETR of 2,000 messages).
#
# It uses the reference set-up of the classic stack kept beside this repository
# (ANCHOR=../shared/anchors/postfix-dovecot by default; copied to /tmp because its
# folder is read-only) and its client, lib/mailbench.py, which runs Postfix's
# smtp-source(1). Needs root and Debian's postfix, postfix-mysql, dovecot-imapd,
# dovecot-pop3d, dovecot-mysql, mariadb-server, swaks.
#
#   tests/MailServerless.Benchmarks/compare-postfix.sh [MESSAGES] [SESSIONS]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHOR="${ANCHOR:-$ROOT/../shared/anchors/postfix-dovecot}"
MESSAGES="${1:-10000}"
SESSIONS="${2:-16}"
POP_MSGS="${POP_MSGS:-2000}"
WORK=/tmp/msl-compare-anchor

[ -d "$ANCHOR" ] || { echo "no anchor set-up at $ANCHOR (set ANCHOR=...)" >&2; exit 2; }
rm -rf "$WORK"; cp -r "$ANCHOR" "$WORK"; chmod -R u+w "$WORK"
MB="$WORK/lib/mailbench.py"

echo "== Postfix + Dovecot (anchor)"
"$WORK/setup.sh" >/dev/null
python3 "$MB" smtp-ingest --port 10025 --messages "$MESSAGES" --sessions "$SESSIONS" \
  --maildir-glob '/tmp/anchor-pd/virtual/example.jp/user*' \
  --server-pid /tmp/anchor-pd/postfix/spool/pid/master.pid --server-pid /tmp/anchor-pd/mysql/mariadbd.pid \
  --label postfix | tee /tmp/msl-compare-postfix.txt

# fill <smtp port> <maildir new/>: POP_MSGS messages to user99, then wait until all are delivered.
fill() {
  smtp-source -s 16 -m "$POP_MSGS" -l 4096 -f bench@example.net -t user99@example.jp "127.0.0.1:$1"
  until [ "$(ls "$2" 2>/dev/null | wc -l)" -ge "$POP_MSGS" ]; do sleep 0.2; done
}
rm -rf /tmp/anchor-pd/virtual/example.jp/user99
fill 10025 /tmp/anchor-pd/virtual/example.jp/user99/new
python3 "$MB" pop-bench --port 10110 --user user99@example.jp --expect "$POP_MSGS" \
  --server-pid /tmp/anchor-pd/dovecot/run/master.pid --label dovecot | tee -a /tmp/msl-compare-postfix.txt
"$WORK/stop.sh" --quiet || true

echo "== MailServerless"
dotnet build -c Release "$HERE" >/dev/null
# The server runs until its standard input (a FIFO held open here) closes.
fifo="$WORK/serve.fifo"; out="$WORK/serve.out"
mkfifo "$fifo"
dotnet "$HERE/bin/Release/net10.0/MailServerless.Benchmarks.dll" serve <"$fifo" >"$out" &
server=$!
exec 3>"$fifo"
until [ -s "$out" ]; do kill -0 "$server" || exit 1; sleep 0.2; done
read -r line <"$out"
port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$line")
pop3=$(sed -n 's/.*pop3=\([0-9]*\).*/\1/p' <<<"$line")
pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")
glob=$(sed -n 's/.*maildirs=\(.*\)$/\1/p' <<<"$line")
python3 "$MB" smtp-ingest --port "$port" --messages "$MESSAGES" --sessions "$SESSIONS" \
  --maildir-glob "$glob" --server-pid "$pid" --label mailserverless | tee /tmp/msl-compare-ours.txt
fill "$port" "${glob%user\*}user99/new"
python3 "$MB" pop-bench --port "$pop3" --user user99@example.jp --expect "$POP_MSGS" \
  --server-pid "$pid" --label mailserverless | tee -a /tmp/msl-compare-ours.txt
exec 3>&-
wait "$server" 2>/dev/null || true

echo "== ratios (MailServerless / Postfix)"
python3 - <<'PY'
import re
def figures(path):
    out = {}
    for line in open(path):
        if line.startswith("BENCH"):
            name = line.split()[1]
            out[name] = dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv)
    return out
p, o = figures("/tmp/msl-compare-postfix.txt"), figures("/tmp/msl-compare-ours.txt")
for (pn, pv), (on, ov) in zip(sorted(p.items()), sorted(o.items())):
    for key in pv:
        if key in ov:
            try:
                a, b = float(pv[key]), float(ov[key])
                print(f"{on:<28} {key:<22} postfix={a:<10g} ours={b:<10g} ratio={b / a if a else float('nan'):.2f}")
            except ValueError:
                pass
PY
