#!/usr/bin/env bash
# Installs code-server (the real VS Code workbench, served to a browser) into .test-run/code-server
# for the end-to-end tests. Works offline but for the npm registry: @vscode/ripgrep's postinstall
# downloads rg from GitHub, so its download cache is filled beforehand with Debian's rg.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${CODE_SERVER_VERSION:-4.100.3}"
PREFIX="$PWD/.test-run/code-server"
if [ -x "$PREFIX/node_modules/.bin/code-server" ] && [ "$(cat "$PREFIX/.version" 2>/dev/null)" = "$VERSION" ]; then exit 0; fi
command -v rg >/dev/null || { echo "install-code-server: Debian's ripgrep is missing (test/setup-debian.sh ripgrep)" >&2; exit 1; }
rm -rf "$PREFIX" && mkdir -p "$PREFIX/tmp"
rgdir="$(mktemp -d)"; cp "$(command -v rg)" "$rgdir/rg"
for pkg in 1.15.9 1.15.10 1.15.11 1.15.14 1.17.0 1.17.1 1.18.0; do
  mkdir -p "$PREFIX/tmp/vscode-ripgrep-cache-$pkg"
  for rel in v13.0.0-10 v13.0.0-13 v14.1.1-1; do
    tar czf "$PREFIX/tmp/vscode-ripgrep-cache-$pkg/ripgrep-$rel-x86_64-unknown-linux-musl.tar.gz" -C "$rgdir" rg
  done
done
rm -rf "$rgdir"
echo '{"name":"corpus-lab-code-server","private":true}' > "$PREFIX/package.json"
# code-server builds native modules (kerberos, argon2) and runs nested installs from its postinstall.
( cd "$PREFIX" && TMPDIR="$PREFIX/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
  npm_config_dangerously_allow_all_scripts=true npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION" )
echo "$VERSION" > "$PREFIX/.version"
