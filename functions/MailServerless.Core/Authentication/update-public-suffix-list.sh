#!/usr/bin/env bash
# Refreshes the Public Suffix List shipped in the core library (DMARC's organizational domains, RFC 7489 §3.2).
# Takes it from publicsuffix.org, or with --system from Debian's `publicsuffix` package. The first line records
# the list's date; at run time a system copy (/usr/share/publicsuffix) newer than that date is read instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
if [ "${1:-}" = "--system" ]; then
  cp /usr/share/publicsuffix/public_suffix_list.dat "$tmp"
  date="$(date -u -r /usr/share/publicsuffix/public_suffix_list.dat +%Y-%m-%d)"
else
  curl -fsSL https://publicsuffix.org/list/public_suffix_list.dat -o "$tmp"
  date="$(date -u +%Y-%m-%d)"
fi
grep -q '===BEGIN ICANN DOMAINS===' "$tmp" || { echo "not a public suffix list" >&2; exit 1; }
{ echo "// MailServerless copy of $date (refresh: update-public-suffix-list.sh)"; cat "$tmp"; } > "$here/public_suffix_list.dat"
echo "public_suffix_list.dat: $date, $(grep -cv '^\(//\|$\)' "$here/public_suffix_list.dat") rules"
