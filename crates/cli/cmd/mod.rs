//! One module per subcommand; each turns its clap args into library calls and prints.

mod convert;
mod info;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Info(args) => info::run(&args, &cli.global),
        Command::Convert(args) => convert::run(&args, &cli.global),
    }
}
