#!/usr/bin/env bash
# What IMAP IDLE costs a shared store (EFS): the file-system metadata calls an edge makes per second with N sessions
# idling, when it polls every second (a shared store without notices) and when notices (Mail:Notify) wake it, with a
# 30 s safety poll. EFS is not here, so the store is local but marked shared (Mail:Store:Shared=true, which turns
# inotify off as an EFS mount does), and the calls are counted with strace: each stat, open or directory read is a
# request an NFS client may send to EFS (fewer when its attribute cache answers for it).
#
#   bash tests/MailServerless.Benchmarks/idle-store-calls.sh [--sessions 500] [--seconds 20]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SESSIONS=500
SECONDS_TO_COUNT=20
while [ $# -gt 0 ]; do
  case "$1" in
    --sessions) SESSIONS="$2"; shift 2 ;;
    --seconds) SECONDS_TO_COUNT="$2"; shift 2 ;;
    *) echo "usage: $0 [--sessions N] [--seconds S]" >&2; exit 64 ;;
  esac
done
command -v strace >/dev/null || { echo "strace is needed (apt-get install strace)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/msl-idle.XXXXXX)"
SERVER=""
CLIENTS=""
cleanup() {
  [ -n "$CLIENTS" ] && kill "$CLIENTS" 2>/dev/null || true
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

echo "building the server (Release)" >&2
dotnet build -c Release "$ROOT/edge-server/MailServerless.EdgeServer" -o "$WORK/server" >/dev/null
DLL="$WORK/server/MailServerless.EdgeServer.dll"
USERS=10
PASSWORD="idle-benchmark"

# One directory and store, made once: a domain with $USERS mailboxes; the sessions share them out.
settings() {
  echo --Mail:DataDirectory="$WORK/data" --Mail:HostName=mail.example.test --Mail:Listeners:Smtp=0 \
    --Mail:Listeners:Submission=0 --Mail:Listeners:Submissions=0 --Mail:Listeners:Imap=0 --Mail:Listeners:Pop3=0 \
    --Mail:Listeners:Pop3s=0 --Mail:Listeners:ManageSieve=0 --Mail:Queue:Provider=Spool
}
# shellcheck disable=SC2046
echo "$PASSWORD" | dotnet "$DLL" setup --superadmin admin@example.test $(settings) >/dev/null
# shellcheck disable=SC2046
dotnet "$DLL" admin domain add example.test --mailboxes 0 --aliases 0 $(settings) >/dev/null
for i in $(seq 1 "$USERS"); do
  # shellcheck disable=SC2046
  echo "$PASSWORD" | dotnet "$DLL" admin mailbox add "user$i@example.test" $(settings) >/dev/null
done

cat >"$WORK/idle.py" <<'PY'
import asyncio, ssl, sys
port, sessions, users, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
async def idle(i, ready):
    context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    await reader.readline()
    async def command(tag, line):
        writer.write(f"{tag} {line}\r\n".encode()); await writer.drain()
        while not (answer := await reader.readline()).startswith(tag.encode() + b" "):
            if not answer: raise ConnectionError("closed")
        if not answer.startswith(tag.encode() + b" OK"): raise RuntimeError(answer)
    await command("a", f"LOGIN user{i % users + 1}@example.test {password}")
    await command("s", "SELECT INBOX")
    writer.write(b"i IDLE\r\n"); await writer.drain()
    await reader.readline()
    ready.append(i)
    await asyncio.sleep(86400)
async def main():
    ready = []
    tasks = [asyncio.create_task(idle(i, ready)) for i in range(sessions)]
    while len(ready) < sessions:
        failed = [t for t in tasks if t.done()]
        if failed: raise failed[0].exception()
        await asyncio.sleep(0.2)
    print("ready", len(ready), flush=True)
    await asyncio.gather(*tasks)
asyncio.run(main())
PY

# measure NAME SESSIONS EXTRA-SETTINGS...: prints the metadata calls per second.
measure() {
  local name="$1" sessions="$2"; shift 2
  local imaps http
  imaps="$(free_port)"; http="$(free_port)"
  # shellcheck disable=SC2046
  dotnet "$DLL" $(settings) --Mail:Listeners:Imaps="$imaps" --Mail:Listeners:Http="$http" --Mail:Store:Shared=true \
    --Mail:Imap:MaxConnectionsPerClient=100000 --Mail:Imap:MaxConnectionsPerUserAndClient=100000 "$@" >"$WORK/$name.out" 2>&1 &
  SERVER=$!
  until grep -qs "Listening: imaps" "$WORK/$name.out"; do kill -0 "$SERVER" || { cat "$WORK/$name.out" >&2; exit 1; }; sleep 0.2; done
  if [ "$sessions" -gt 0 ]; then
    python3 "$WORK/idle.py" "$imaps" "$sessions" "$USERS" "$PASSWORD" >"$WORK/$name.clients" 2>&1 &
    CLIENTS=$!
    until grep -qs "^ready" "$WORK/$name.clients"; do kill -0 "$CLIENTS" || { cat "$WORK/$name.clients" >&2; exit 1; }; sleep 0.5; done
  fi
  sleep 2
  timeout -s INT "$SECONDS_TO_COUNT" strace -f -c -p "$SERVER" -o "$WORK/$name.strace" \
    -e trace=stat,lstat,fstat,newfstatat,statx,open,openat,getdents64,access,readlink,readlinkat >/dev/null 2>&1 || true
  local calls
  calls="$(awk '$NF == "total" { print $4 }' "$WORK/$name.strace")"
  [ -n "$CLIENTS" ] && kill "$CLIENTS" 2>/dev/null; CLIENTS=""
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
  python3 -c "print(f'{$calls / $SECONDS_TO_COUNT:.1f}')"
}

echo "counting for ${SECONDS_TO_COUNT} s each; ${SESSIONS} sessions over ${USERS} mailboxes" >&2
idle_server="$(measure baseline 0)"
polled="$(measure polled "$SESSIONS")"
notified="$(measure notified "$SESSIONS" --Mail:Notify:Listen=127.0.0.1:"$(free_port)")"
python3 - "$SESSIONS" "$idle_server" "$polled" "$notified" <<'PY'
import sys
sessions, base, polled, notified = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"no sessions:                           {base:9.1f} metadata calls/s")
print(f"{sessions} sessions polling every second:    {polled:9.1f} calls/s  ({(polled - base) / sessions:.2f} per session)")
print(f"{sessions} sessions woken by notices:         {notified:9.1f} calls/s  ({(notified - base) / sessions:.3f} per session)")
if notified - base > 0:
    print(f"fewer calls with notices: {(polled - base) / (notified - base):.0f} times")
PY
