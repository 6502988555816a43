//! The command line's edges: standard output that a closed pipe does not
//! turn into a panic, and errors reported once, in one line, without a
//! backtrace.

use std::io::{self, Write};

/// Writes `text` to standard output. When the reader has gone (`clearing-node
/// status --json | head`), the rest of the output has nowhere to go and the
/// program has nothing left to do: it ends quietly, as a shell tool does.
pub fn write_stdout(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(io::stderr(), "error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// `println!` for the command line: see [`write_stdout`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::write_stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(&::std::format!("{}\n", ::std::format_args!($($arg)*)))
    };
}

/// An error and its causes in one line, `what: why: why`, leaving out a
/// cause whose text the line already holds (a context that quotes its
/// source would otherwise print it twice).
pub fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
