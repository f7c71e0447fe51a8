//! The benchmark suite's Rust program: what starting and ending a std
//! program costs (bench/bench.c's rust_start_exit runs it with fork,
//! execve and wait).  It does what a small std program does on the way:
//! std's runtime set-up, reading its arguments and environment, one
//! allocation, one thread spawned and joined; it prints nothing, so the
//! figure is the start and the exit, not the console.
use std::collections::HashMap;
use std::thread;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for a in &args {
        *seen.entry(a.as_str()).or_insert(0) += 1;
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let n = thread::spawn(move || home.len()).join().unwrap_or(0);
    if seen.len() > args.len() + n + 1 {
        std::process::exit(1);
    }
}
