//! A progress bar on stderr when it is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;

use crate::ProgressFn;
use indicatif::{ProgressBar, ProgressStyle};

/// A bar for `total` rows (a spinner when unknown), or `None` when stderr is not a terminal.
pub fn bar(total: Option<u64>) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {pos} rows {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    Some(bar)
}

/// The pipeline callback that moves `bar`.
pub fn callback(bar: &ProgressBar) -> ProgressFn {
    let bar = bar.clone();
    Arc::new(move |written, total| {
        if let Some(t) = total {
            bar.set_length(t.max(written));
        }
        bar.set_position(written);
    })
}
