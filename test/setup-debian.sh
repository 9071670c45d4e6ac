#!/usr/bin/env bash
# Debian packages the test suite needs (run as root; a no-op when they are already there).
#   test/setup-debian.sh            everything `npm test` needs (it runs this first)
#   test/setup-debian.sh PKG…       only these (test/cluster/start.sh asks for the cluster's)
set -euo pipefail
# chromium: the real browser of the end-to-end tests; libkrb5-dev, pkg-config, g++, make, python3:
# code-server's native modules; ripgrep: served to @vscode/ripgrep's postinstall instead of a
# download. openssh-*, munge, slurm*, slurmdbd, mariadb-server: the loopback cluster
# (test/cluster/start.sh); python3 also allocates memory in the out-of-memory job test and runs
# the tools' stand-ins; texlive-latex-base/-recommended: pdflatex and booktabs, which compile the
# LaTeX exports in the unit tests; procps: pgrep/ps in the SSH reliability tests; sentencepiece:
# spm_train/spm_encode make the datasets of the Inspect Dataset round-trip tests.
ALL=(chromium libkrb5-dev pkg-config ripgrep g++ make python3 procps
  openssh-server openssh-client munge slurmctld slurmd slurm-client slurmdbd mariadb-server
  texlive-latex-base texlive-latex-recommended sentencepiece)
[ $# -gt 0 ] || set -- "${ALL[@]}"
packages=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || packages+=("$p"); done
[ ${#packages[@]} -gt 0 ] || exit 0
[ "$(id -u)" = 0 ] || { echo "setup-debian.sh: missing Debian packages (${packages[*]}); run as root to install them" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# The packages' own services (ssh, munge, slurmctld, mariadb) must not start: the tests start
# their own daemons under their own state directory, and nothing is left running after them.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
