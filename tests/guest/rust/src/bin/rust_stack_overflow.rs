//! Infinite recursion in a thread: Rust's guard page handler prints
//! "has overflowed its stack" on stderr and aborts: status 134 both ways.

fn recurse(depth: u64, limit: u64) -> u64 {
    let mut local = [0u8; 256];
    // volatile accesses keep the frame from being optimized away
    unsafe { std::ptr::write_volatile(&mut local[0], depth as u8) };
    if depth == limit {
        return 0;
    }
    let below = recurse(depth + 1, limit);
    below + unsafe { std::ptr::read_volatile(&local[0]) } as u64
}

fn main() {
    println!("recursing in a thread");
    // The limit is never reached: it only keeps the compiler from proving
    // the recursion infinite.
    let limit = u64::MAX - std::env::args().count() as u64;
    let h = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || recurse(0, limit))
        .unwrap();
    let _ = h.join();
    println!("not reached");
}
