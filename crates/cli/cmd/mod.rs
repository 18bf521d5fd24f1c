//! One module per subcommand; each turns its clap args into library calls and prints.

mod attach;
pub(crate) mod capture;
mod completions;
mod convert;
pub(crate) mod diff;
mod dump;
mod hunt;
mod info;
pub(crate) mod leaks;
mod redact;
mod report;
mod retainers;
mod summary;
mod top;
pub(crate) mod watch;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Info(args) => info::run(&args, &cli.global),
        Command::Convert(args) => convert::run(&args, &cli.global),
        Command::Redact(args) => redact::run(&args, &cli.global),
        Command::Summary(args) => summary::run(&args, &cli.global),
        Command::Top(args) => top::run(&args, &cli.global),
        Command::Retainers(args) => retainers::run(&args, &cli.global),
        Command::Dump(args) => dump::run(&args, &cli.global),
        Command::Leaks(args) => leaks::run(&args, &cli.global),
        Command::Diff(args) => diff::run(&args, &cli.global),
        Command::Capture(args) => capture::run(&args, &cli.global),
        Command::Watch(args) => watch::run(&args, &cli.global),
        Command::Hunt(args) => hunt::run(&args, &cli.global),
        Command::Completions(args) => completions::run(&args),
        Command::Report(args) => report::run(&args, &cli.global),
    }
}
