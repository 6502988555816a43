//! Standard output and standard error for the command-line programs
//! (`bidder`, `auditor`, and the root package's `demo` and `fixtures`).
//!
//! `println!` panics when the reader of a pipe has gone (`auditor verify
//! --json | head`). Here a closed standard output is not an error: the rest
//! of the output is dropped and the program finishes as it would have, with
//! the same exit code (a verdict such as "invalid bid" or "audit failed"
//! stays readable in `$?` or `PIPESTATUS`). Standard error is for
//! diagnostics, which have nowhere else to go: a failed write there is
//! ignored.
//!
//! The macros [`out!`](crate::out), [`outln!`](crate::outln) and
//! [`errln!`](crate::errln) stand in for `print!`, `println!` and
//! `eprintln!`.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output and flushes it. Once the reader has
/// gone (a broken pipe) this and every later write succeed without
/// writing; any other failure (a full disk) is returned.
pub fn write_stdout(text: &str) -> io::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        r => r,
    }
}

/// Whether standard output was found closed by its reader.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes `text` to standard error; a failure is ignored.
pub fn write_stderr(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `print!` that does not panic on a closed pipe; evaluates to
/// `std::io::Result<()>` (see [`write_stdout`](crate::output::write_stdout)).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&::std::format!($($arg)*))
    };
}

/// `println!` that does not panic on a closed pipe; evaluates to
/// `std::io::Result<()>` (see [`write_stdout`](crate::output::write_stdout)).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(&::std::format!("{}\n", ::std::format_args!($($arg)*)))
    };
}

/// `eprintln!` that does not panic when standard error is closed.
#[macro_export]
macro_rules! errln {
    () => {
        $crate::output::write_stderr("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::write_stderr(&::std::format!("{}\n", ::std::format_args!($($arg)*)))
    };
}
