#!/usr/bin/env bash
# Builds the npm packages for this machine and checks them the way a user gets them: the
# platform package (heapsnap-<os>-<cpu>) around a heapsnap binary and the `heapsnap` package
# (npm/heapsnap) are packed with `npm pack`, both tarballs are installed into a fresh project
# without the registry, and `npx heapsnap info` on a shipped snapshot must print what the
# binary itself prints. Then the JavaScript API of the installed package takes a gzipped
# snapshot (read back by `npx heapsnap info`) and runs expectNoLeak, finding the binary in the
# platform package (HEAPSNAP_BIN unset).
#
# usage: scripts/npm-pack.sh [--bin PATH] [--out DIR] [--keep]
#   --bin PATH  the heapsnap binary to package (default: target/release/heapsnap)
#   --out DIR   keep the two .tgz files in DIR (default: only in the scratch directory)
#   --keep      keep the scratch directory (staged packages, tarballs, test project)
# tests/npm.rs runs it with the binary cargo built for the tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/heapsnap"
out=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "npm-pack: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "npm-pack: FAILED: $*" >&2; exit 1; }

if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi

[ -x "$bin" ] || fail "no binary at $bin (build it: cargo build --release --locked)"
command -v node >/dev/null || fail "node is not installed"
command -v npm >/dev/null || fail "npm is not installed"

plat=$(node -p 'process.platform + "-" + process.arch')
[ -f "$root/npm/platforms/$plat/package.json" ] || fail "no platform package npm/platforms/$plat"
exe=heapsnap
[ "${plat%%-*}" = win32 ] && exe=heapsnap.exe

work=$(mktemp -d "${TMPDIR:-/tmp}/heapsnap-npm-pack.XXXXXX")
cleanup() {
  if [ "$keep" = 1 ]; then echo "npm-pack: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# A private npm cache: the install must not need the registry, and must not touch ~/.npm.
export npm_config_cache="$work/npm-cache"
export npm_config_update_notifier=false
unset HEAPSNAP_BIN

# One version everywhere: Cargo, the binary, both package.json files and the dependency.
version=$(node -p "require('$root/npm/heapsnap/package.json').version")
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
[ "$version" = "$cargo_version" ] || fail "npm/heapsnap is $version, Cargo.toml says $cargo_version"
binary_version=$("$bin" --version)
[ "$binary_version" = "heapsnap $version" ] || fail "$bin --version says '$binary_version', not 'heapsnap $version'"
for dir in "$root"/npm/platforms/*/; do
  p=$(basename "$dir")
  v=$(node -p "require('$dir/package.json').version")
  [ "$v" = "$version" ] || fail "npm/platforms/$p is $v, not $version"
  dep=$(node -p "require('$root/npm/heapsnap/package.json').optionalDependencies['heapsnap-$p']")
  [ "$dep" = "$version" ] || fail "heapsnap's optionalDependencies['heapsnap-$p'] is $dep, not $version"
done

# The platform package: package.json, a README, and the binary (stripped of debug info).
stage="$work/heapsnap-$plat"
mkdir -p "$stage/bin"
cp "$root/npm/platforms/$plat/package.json" "$stage/"
sed "s/PLATFORM/$plat/g" "$root/npm/platforms/README.md" > "$stage/README.md"
cp "$bin" "$stage/bin/$exe"
chmod 755 "$stage/bin/$exe"
if command -v strip >/dev/null && [ "${plat%%-*}" = linux ]; then strip "$stage/bin/$exe"; fi

# The main package, as committed (no node_modules, nothing generated).
main="$work/heapsnap"
mkdir -p "$main"
cp -R "$root/npm/heapsnap/." "$main/"
rm -rf "$main/node_modules"

tarballs="$work/tarballs"
mkdir -p "$tarballs"
(cd "$stage" && npm pack --silent --pack-destination "$tarballs" >/dev/null)
(cd "$main" && npm pack --silent --pack-destination "$tarballs" >/dev/null)
plat_tgz="$tarballs/heapsnap-$plat-$version.tgz"
main_tgz="$tarballs/heapsnap-$version.tgz"
[ -f "$plat_tgz" ] && [ -f "$main_tgz" ] || fail "npm pack did not write $plat_tgz and $main_tgz: $(ls "$tarballs")"
listing=$(tar tzvf "$plat_tgz")
grep -q "^-rwxr-xr-x .* package/bin/$exe\$" <<<"$listing" \
  || fail "the binary in $plat_tgz is not executable: $listing"
listing=$(tar tzf "$main_tgz")
for f in package/bin/heapsnap.js package/lib/index.js package/lib/index.mjs package/lib/index.d.ts \
  package/lib/index.d.mts package/lib/binary.js package/README.md; do
  grep -qx "$f" <<<"$listing" || fail "$main_tgz lacks $f"
done

# A fresh project installs both tarballs, offline (the other platforms' optional packages
# cannot be fetched and are skipped, as npm skips any optional dependency it cannot install).
project="$work/project"
mkdir -p "$project"
echo '{"name": "heapsnap-pack-check", "version": "0.0.0", "private": true}' > "$project/package.json"
cp "$root/snapshots/hello.heapsnapshot.gz" "$project/"
cd "$project"
npm install --offline --no-audit --no-fund --loglevel=error "$plat_tgz" "$main_tgz" \
  || fail "npm install of the tarballs"
[ -f "node_modules/heapsnap-$plat/bin/$exe" ] || fail "node_modules/heapsnap-$plat/bin/$exe not installed"

resolved=$(node -p "require('heapsnap').binaryPath()")
[ "$resolved" = "$project/node_modules/heapsnap-$plat/bin/$exe" ] \
  || fail "binaryPath() is $resolved, not the platform package's binary"

expected=$("$bin" info hello.heapsnapshot.gz)
got=$(npx --offline --no-install heapsnap info hello.heapsnapshot.gz) || fail "npx heapsnap info exited $?"
[ "$got" = "$expected" ] || fail "npx heapsnap info printed:
$got
and the binary printed:
$expected"
echo "npm-pack: npx heapsnap info hello.heapsnapshot.gz:"
echo "$got"

# Exit status and stderr pass through the wrapper.
set +e
err=$(npx --offline --no-install heapsnap info missing.heapsnapshot 2>&1 >/dev/null)
status=$?
set -e
[ "$status" = 2 ] || fail "npx heapsnap info on a missing file exited $status, not 2"
case "$err" in *missing.heapsnapshot*) ;; *) fail "stderr does not name the missing file: $err" ;; esac

# The JavaScript API of the installed package, with the platform package's binary.
node -e "require('heapsnap').snapshot('self.heapsnapshot.gz').then((p) => console.log('wrote', p))" \
  || fail "snapshot() from the installed package"
npx --offline --no-install heapsnap info self.heapsnapshot.gz >/dev/null \
  || fail "npx heapsnap info cannot read the snapshot that snapshot() wrote"
node --input-type=module -e "
import { expectNoLeak } from 'heapsnap';
const kept = [];
await expectNoLeak(() => { new Array(100).fill(0); }, { iterations: 20, warmup: 2 });
const err = await expectNoLeak(() => { kept.push({ leaked: true }); }, { iterations: 20, warmup: 2 }).catch((e) => e);
if (!(err instanceof Error) || !/\{leaked\} x42\b/.test(err.message)) {
  console.error('expected a leak of {leaked} x42 (DevTools names plain objects by their properties), got:', err);
  process.exit(1);
}
console.log('expectNoLeak: clean passes, leak found: {leaked} x42');
" || fail "expectNoLeak from the installed package"

if [ -n "$out" ]; then
  cp "$plat_tgz" "$main_tgz" "$out/"
fi
size() { wc -c < "$1" | tr -d ' '; }
echo "npm-pack: OK: heapsnap-$version.tgz ($(size "$main_tgz") bytes) and heapsnap-$plat-$version.tgz ($(size "$plat_tgz") bytes) install offline and run${out:+; tarballs in $out}"
