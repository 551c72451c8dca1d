#!/usr/bin/env bash
# A Lambda function's package size and local cold start (process start to the first event handled: one delivery on
# MariaDB and the SQS/S3 emulator), as the benchmark's "lambda-cold-start" command measures it. Starts those services
# as the test command does (tests/services.sh; the packages tests/run.sh installs must be there) and publishes the
# delivery function's package the way `sam build` does (Release, linux-x64, framework-dependent).
#   bash tests/MailServerless.Benchmarks/lambda-cold-start.sh [--runs 5] [DIR=ASSEMBLY::TYPE::METHOD ...]
# Extra DIR=HANDLER pairs measure other packages beside it (an older build's, to compare).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$PATH:/usr/sbin"
# shellcheck source=../services.sh
source "$ROOT/tests/services.sh"
PACKAGE="$RUN_DIR/lambda-package"
dotnet publish -c Release -r linux-x64 --self-contained false -o "$PACKAGE" "$ROOT/functions/MailServerless.Lambda" >/dev/null || exit 1
dotnet build -c Release "$ROOT/tests/MailServerless.Benchmarks" >/dev/null || exit 1
dotnet "$ROOT/tests/MailServerless.Benchmarks/bin/Release/net10.0/MailServerless.Benchmarks.dll" lambda-cold-start "$@" \
  "$PACKAGE=MailServerless.Lambda::MailServerless.Lambda.DeliverInboundHandler::HandleAsync"
