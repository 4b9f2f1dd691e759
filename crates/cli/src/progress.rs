//! Progress bars (indicatif) for uploads, downloads and waits, on stderr.
//!
//! A bar is drawn only when [`Context::interactive`] says stderr is a terminal: on a pipe or
//! into a file, every method here does nothing, so scripts see exactly what openstackclient
//! prints and nothing more.
//!
//! ```ignore
//! let bar = progress::bytes(ctx, Some(size), "Uploading cirros");
//! let options = UploadOptions::new().progress(bar.callback());
//! // ... upload ...
//! bar.finish();
//!
//! let wait = progress::spinner(ctx, "Waiting for vm1 to become ACTIVE");
//! wait.set_message("BUILD (spawning)");
//! // ... poll ...
//! wait.finish();
//! ```

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

use crate::context::Context;

/// How often a spinner turns, and a byte bar redraws at most.
const TICK: Duration = Duration::from_millis(120);

/// A progress indicator on stderr, or nothing at all when stderr is not a terminal.
///
/// Cheap to clone: clones share the same bar, so one can be moved into a callback while
/// the command keeps another to finish it.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

/// A bar counting bytes (an upload or a download): `label`, bar, bytes, rate and ETA.
/// With no `total` (a pipe on stdin), it shows the bytes so far and the rate.
pub fn bytes(ctx: &Context, total: Option<u64>, label: &str) -> Progress {
    bytes_when(ctx.interactive(), total, label)
}

fn bytes_when(interactive: bool, total: Option<u64>, label: &str) -> Progress {
    if !interactive {
        return Progress::hidden();
    }
    Progress::drawn(byte_bar(total), label)
}

/// The byte bar itself, with its style.
fn byte_bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::no_length().with_style(
            ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                .expect("a valid template"),
        ),
    };
    bar.with_finish(ProgressFinish::AndClear)
}

/// A spinner for a wait of unknown length (a server booting, an import running):
/// `label`, then whatever [`Progress::set_message`] says, and the time spent.
pub fn spinner(ctx: &Context, label: &str) -> Progress {
    spinner_when(ctx.interactive(), label)
}

fn spinner_when(interactive: bool, label: &str) -> Progress {
    if !interactive {
        return Progress::hidden();
    }
    let bar = spinner_bar(label);
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.enable_steady_tick(TICK);
    Progress { bar: Some(bar) }
}

/// The spinner itself, with its style.
fn spinner_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner()
        .with_style(
            ProgressStyle::with_template("{spinner} {prefix} {msg} ({elapsed})")
                .expect("a valid template"),
        )
        .with_finish(ProgressFinish::AndClear);
    bar.set_prefix(label.to_owned());
    bar
}

impl Progress {
    /// A progress that draws nothing (what every constructor returns off a terminal).
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    fn drawn(bar: ProgressBar, label: &str) -> Progress {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_message(label.to_owned());
        if bar.length().is_none() {
            bar.enable_steady_tick(TICK);
        }
        Progress { bar: Some(bar) }
    }

    /// Whether anything is drawn.
    pub fn is_drawn(&self) -> bool {
        self.bar.is_some()
    }

    /// Moves a byte bar to `done` bytes (and learns the total when it becomes known).
    pub fn set(&self, done: u64, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let (Some(total), None) = (total, bar.length()) {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    /// Adds `n` to a byte bar.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// A callback for the SDK's `UploadOptions::progress` / download progress:
    /// bytes so far and the total when known.
    pub fn callback(&self) -> impl Fn(u64, Option<u64>) + Send + Sync + 'static {
        let this = self.clone();
        move |done, total| this.set(done, total)
    }

    /// The text after the label (a spinner's current state: `BUILD`, `importing`).
    pub fn set_message(&self, message: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.into());
        }
    }

    /// Prints a line above the bar without breaking it (or to stderr when none is drawn).
    pub fn println(&self, line: impl AsRef<str>) {
        match &self.bar {
            Some(bar) => bar.println(line.as_ref()),
            None => eprintln!("{}", line.as_ref()),
        }
    }

    /// Done: the bar is removed, leaving stderr as it was.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_progress_accepts_everything_and_draws_nothing() {
        let bar = Progress::hidden();
        assert!(!bar.is_drawn());
        let callback = bar.callback();
        callback(5, Some(10));
        bar.inc(1);
        bar.set_message("BUILD");
        bar.finish();
    }

    #[test]
    fn off_a_terminal_the_constructors_draw_nothing() {
        assert!(!bytes_when(false, Some(10), "Uploading").is_drawn());
        assert!(!spinner_when(false, "Waiting").is_drawn());
    }

    #[test]
    fn a_byte_bar_learns_its_total_when_the_sdk_knows_it() {
        let bar = byte_bar(None);
        bar.set_draw_target(ProgressDrawTarget::hidden());
        let progress = Progress {
            bar: Some(bar.clone()),
        };
        (progress.callback())(512, Some(2048));
        assert_eq!(bar.length(), Some(2048));
        assert_eq!(bar.position(), 512);
        progress.inc(512);
        assert_eq!(bar.position(), 1024);
        progress.finish();
        assert!(bar.is_finished());
    }
}
