//! End-to-end tests of the `heapsnap` binary and the format crate on real fixtures.

#![allow(clippy::unwrap_used)]

mod util;

mod analysis_cli;
mod bombs;
mod browser;
mod capture;
mod completions;
mod conformance;
mod devtools;
mod diff_cli;
mod diff_conformance;
mod diff_leaks;
mod firefox;
mod fixtures;
mod hunt;
mod info;
mod leaks;
mod malformed;
mod npm;
mod outputs;
mod paths;
mod redact;
mod report;
mod versions;
