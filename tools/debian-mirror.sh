#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt sources already name (never a hard-coded host).
# Reads deb822 sources first, then the one-line format.
set -euo pipefail
mirror=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}' \
  /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '/^deb / && $2 !~ /security/ && $2 ~ /debian/ {print $2; exit}' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt/sources*" >&2; exit 1; }
echo "${mirror%/}"
