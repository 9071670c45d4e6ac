#!/usr/bin/env bash
# Debian packages the test suite needs (run as root; a no-op when they are already there).
set -euo pipefail
packages=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || packages+=("$p"); done
if [ ${#packages[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
