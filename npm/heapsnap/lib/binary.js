'use strict';
// Finds the heapsnap executable: $HEAPSNAP_BIN, else the platform package that npm installed
// through optionalDependencies (the esbuild / Biome / swc pattern: no postinstall download).

const path = require('node:path');

/** Platforms with a prebuilt binary package, as `${process.platform}-${process.arch}`. */
const PLATFORMS = ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64', 'win32-x64'];

/** The npm package that carries the binary for this platform. */
function platformPackage(platform = process.platform, arch = process.arch) {
  return `heapsnap-${platform}-${arch}`;
}

/** Path of the heapsnap executable; throws an Error saying what to do when there is none. */
function binaryPath() {
  const override = process.env.HEAPSNAP_BIN;
  if (override) return path.resolve(override);
  const key = `${process.platform}-${process.arch}`;
  const pkg = platformPackage();
  const exe = process.platform === 'win32' ? 'heapsnap.exe' : 'heapsnap';
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch (_) {
    const musl = process.platform === 'linux' && !isGlibc();
    const why = musl
      ? 'there is no prebuilt binary for Linux with musl libc (Alpine); the linux packages need glibc'
      : PLATFORMS.includes(key)
      ? `the package ${pkg} is not installed (was the install run with --no-optional or ` +
        `--omit=optional, or on another platform with the node_modules copied here?)`
      : `there is no prebuilt binary for ${key} (prebuilt: ${PLATFORMS.join(', ')})`;
    throw new Error(
      `heapsnap: cannot find the heapsnap binary: ${why}. Reinstall the heapsnap package, or ` +
        'build the binary with `cargo install heapsnap` and set HEAPSNAP_BIN to its path.',
    );
  }
}

function isGlibc() {
  try {
    return Boolean(process.report.getReport().header.glibcVersionRuntime);
  } catch (_) {
    return true;
  }
}

module.exports = { binaryPath, platformPackage, PLATFORMS };
