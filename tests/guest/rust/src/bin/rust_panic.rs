//! Panics: caught with catch_unwind, and in a thread observed by join.

use persona_guest::{check, done};
use std::panic;
use std::thread;

fn main() {
    // Keep the panic messages off stderr's comparison: stdout only is compared,
    // but a quiet hook keeps the log readable.
    panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default();
        println!("     panic hook: {}", msg);
    }));
    let r = panic::catch_unwind(|| {
        panic!("caught one");
    });
    check(r.is_err(), "catch_unwind returns Err for a panic");
    let r = panic::catch_unwind(|| 5);
    check(r.ok() == Some(5), "catch_unwind returns Ok without a panic");

    let h = thread::spawn(|| {
        panic!("in a thread");
    });
    let r = h.join();
    check(r.is_err(), "join returns Err for a panicking thread");
    if let Err(payload) = r {
        check(payload.downcast_ref::<&str>() == Some(&"in a thread"), "the payload is the message");
    }
    let v: Vec<i32> = Vec::new();
    let r = panic::catch_unwind(|| v[3]);
    check(r.is_err(), "an out-of-bounds index panics and is caught");
    done()
}
