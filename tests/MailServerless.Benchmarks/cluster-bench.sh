#!/usr/bin/env bash
# End-to-end throughput with two edge servers and one, then two, workers on SQS + S3 (the fauxqs
# emulator), MariaDB and one Maildir base. Starts those services as the test command does (tests/services.sh;
# the packages tests/run.sh installs must be there), then runs the benchmark's "cluster" command.
#   bash tests/MailServerless.Benchmarks/cluster-bench.sh [--messages 2000] [--senders 16]
#   bash tests/MailServerless.Benchmarks/cluster-bench.sh fault [--messages 3000] [--cycles 8]   (the fault harness, workers killed)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$PATH:/usr/sbin"
# shellcheck source=../services.sh
source "$ROOT/tests/services.sh"
if [ "${1:-}" = fault ]; then
  shift
  dotnet run -c Release --project "$ROOT/tests/MailServerless.Benchmarks" -- fault --cluster "$@"
else
  dotnet run -c Release --project "$ROOT/tests/MailServerless.Benchmarks" -- cluster "$@"
fi
