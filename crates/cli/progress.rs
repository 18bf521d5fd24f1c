//! The progress bar: indicatif on stderr, hidden when stderr is not a terminal.

use std::io::IsTerminal;

use heapsnap_format::Progress;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::GlobalArgs;

/// A byte-count progress bar implementing the libraries' [`Progress`] trait.
pub(crate) struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub(crate) fn new(global: &GlobalArgs, hide: bool, message: &str) -> Bar {
        let visible =
            !hide && !global.quiet && !global.no_progress && std::io::stderr().is_terminal();
        let bar = if visible { ProgressBar::new(0) } else { ProgressBar::hidden() };
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        Bar { bar }
    }

    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn set_total(&mut self, total: u64) {
        self.bar.set_length(total);
    }
    fn advance(&mut self, delta: u64) {
        self.bar.inc(delta);
    }
}
