//! Sleeping, Instant and SystemTime.

use persona_guest::{check, done};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_millis(15));
    let el = t0.elapsed();
    check(el >= Duration::from_millis(15), "sleep(15ms) takes at least 15 ms");
    check(el < Duration::from_secs(2), "sleep(15ms) takes less than 2 s");
    let t1 = Instant::now();
    check(t1 >= t0, "Instant is monotonic");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    check(now.as_secs() > 1_600_000_000, "SystemTime is after 2020");
    let a = Instant::now();
    let mut spins = 0u64;
    while a.elapsed() < Duration::from_millis(5) {
        spins += 1;
    }
    check(spins > 0, "busy loop over Instant::elapsed ends");
    std::thread::sleep(Duration::from_secs(0));
    check(true, "sleep(0) returns");
    done()
}
