# Sourced by the comparison scripts (compare-postfix.sh, compare-dovecot-imap.sh): our server as a deployment runs it,
# published ReadyToRun (no JIT at the first command), started by the benchmark host's "serve --mysql" on the anchor's
# MariaDB PostfixAdmin database. It runs until its standard input, a FIFO held open here on fd 3, closes; writing
# "restart" to fd 3 restarts it on the same data.
#
#   start_published_server   stops the anchor's Dovecot and Postfix (its MariaDB stays, as our directory), then starts
#                            ours; needs HERE, ROOT, WORK and the anchor's env.sh (DC_PIDFILE, PF_CONF_DIR, DB_*); sets server
#                            (the host's pid), out (its output), port (SMTP), pop3, imap, pid (the server's) and glob
#                            (the Maildirs, user*).
start_published_server() {
  kill "$(tr -dc 0-9 <"$DC_PIDFILE")" 2>/dev/null || true
  postfix -c "$PF_CONF_DIR" stop >/dev/null 2>&1 || true
  while [ -e "$DC_PIDFILE" ] && kill -0 "$(tr -dc 0-9 <"$DC_PIDFILE")" 2>/dev/null; do sleep 0.2; done
  dotnet publish -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$WORK/server" "$ROOT/edge-server/MailServerless.EdgeServer" >/dev/null
  export MAILSERVERLESS_SERVER_DLL="$WORK/server/MailServerless.EdgeServer.dll"
  local fifo="$WORK/serve.fifo"
  out="$WORK/serve.out"
  mkfifo "$fifo"
  dotnet "$HERE/bin/Release/net10.0/MailServerless.Benchmarks.dll" serve \
    --mysql "Server=127.0.0.1;Port=$DB_PORT;Database=$DB_NAME;User ID=$DB_USER;Password=$DB_PASS" <"$fifo" >"$out" &
  server=$!
  exec 3>"$fifo"
  until [ -s "$out" ]; do kill -0 "$server" || exit 1; sleep 0.2; done
  local line; line=$(head -1 "$out")
  port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$line")
  pop3=$(sed -n 's/.*pop3=\([0-9]*\).*/\1/p' <<<"$line")
  imap=$(sed -n 's/.*imap=\([0-9]*\).*/\1/p' <<<"$line")
  pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")
  glob=$(sed -n 's/.*maildirs=\(.*\)$/\1/p' <<<"$line")
}
