//! Helpers shared by the Rust guest tests: print one line per check, never a
//! value that legitimately differs between a native run and a run under
//! Persona, and exit 0 only when every check held.

use std::sync::atomic::{AtomicUsize, Ordering};

static FAILURES: AtomicUsize = AtomicUsize::new(0);

/// Print "ok   what" or "FAIL what" and count failures.
pub fn check(cond: bool, what: &str) {
    if cond {
        println!("ok   {}", what);
    } else {
        println!("FAIL {}", what);
        FAILURES.fetch_add(1, Ordering::SeqCst);
    }
}

/// Print the summary line and exit with 0 or 1.
pub fn done() -> ! {
    let n = FAILURES.load(Ordering::SeqCst);
    println!("{}: {} failed", if n == 0 { "done" } else { "FAILED" }, n);
    std::process::exit(if n == 0 { 0 } else { 1 })
}

/// A fresh directory under /tmp, unique to this process.
pub fn scratch_dir(tag: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "persona-{}-{}-{}",
        tag,
        std::process::id(),
        nanos
    ));
    std::fs::create_dir(&dir).expect("create scratch directory");
    dir
}
