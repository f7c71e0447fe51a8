//! An event loop the way mio (under tokio) drives one: epoll with
//! edge-triggered items, nonblocking std `UnixStream`s read until
//! WouldBlock, an eventfd as the cross-thread waker, deregistration at end
//! of stream, and a timeout when nothing happens.  std has no epoll, so
//! the C library's functions are declared here (no crates).

use persona_guest::{check, done};
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

#[repr(C, packed)]
#[derive(Clone, Copy)]
struct EpollEvent {
    events: u32,
    data: u64,
}

extern "C" {
    fn epoll_create1(flags: i32) -> i32;
    fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: *mut EpollEvent) -> i32;
    fn epoll_wait(epfd: i32, events: *mut EpollEvent, maxevents: i32, timeout: i32) -> i32;
    fn eventfd(initval: u32, flags: i32) -> i32;
    fn read(fd: i32, buf: *mut u8, count: usize) -> isize;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn close(fd: i32) -> i32;
}

const EPOLLIN: u32 = 0x1;
const EPOLLRDHUP: u32 = 0x2000;
const EPOLLET: u32 = 1 << 31;
const CTL_ADD: i32 = 1;
const CTL_DEL: i32 = 2;
const EFD_NONBLOCK: i32 = 0o4000;
const EFD_CLOEXEC: i32 = 0o2000000;
const WAKER: u64 = 1000;
const WORKERS: usize = 4;
const MESSAGES: usize = 60;

fn register(ep: i32, fd: i32, events: u32, data: u64) -> bool {
    let mut ev = EpollEvent { events, data };
    unsafe { epoll_ctl(ep, CTL_ADD, fd, &mut ev) == 0 }
}

fn main() {
    let ep = unsafe { epoll_create1(0o2000000) };
    check(ep >= 0, "epoll_create1");
    let waker = unsafe { eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) };
    check(waker >= 0, "eventfd waker");
    check(register(ep, waker, EPOLLIN | EPOLLET, WAKER), "waker registered");

    // Nothing registered is ready: the wait times out.
    let mut evs = [EpollEvent { events: 0, data: 0 }; 16];
    let t0 = Instant::now();
    let n = unsafe { epoll_wait(ep, evs.as_mut_ptr(), 16, 40) };
    check(n == 0, "an idle wait returns no events");
    check(t0.elapsed() >= Duration::from_millis(40), "after its timeout");

    let mut streams: HashMap<u64, UnixStream> = HashMap::new();
    let mut workers = Vec::new();
    for i in 0..WORKERS {
        let (mine, theirs) = UnixStream::pair().expect("socketpair");
        mine.set_nonblocking(true).expect("nonblocking");
        check(
            register(ep, mine.as_raw_fd(), EPOLLIN | EPOLLRDHUP | EPOLLET, i as u64),
            &format!("stream {} registered", i),
        );
        streams.insert(i as u64, mine);
        workers.push(std::thread::spawn(move || {
            let mut s = theirs;
            for m in 0..MESSAGES {
                let len = 1 + (m * 37 + i * 11) % 700;
                let msg = vec![(i * 7 + m) as u8; len];
                s.write_all(&msg).expect("worker write");
                if m % 15 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            let one: u64 = 1;
            unsafe { write(waker, &one as *const u64 as *const u8, 8) };
            drop(s); // end of stream
        }));
    }

    let mut received = vec![0usize; WORKERS];
    let mut sums = vec![0u64; WORKERS];
    let mut ended = 0;
    let mut wakes = 0u64;
    let mut spurious = 0;
    let mut deregistered = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while (ended < WORKERS || wakes < WORKERS as u64) && Instant::now() < deadline {
        let n = unsafe { epoll_wait(ep, evs.as_mut_ptr(), 16, 1000) };
        if n < 0 {
            continue; // EINTR
        }
        for ev in &evs[..n as usize] {
            let data = ev.data;
            if data == WAKER {
                let mut v = 0u64;
                // Edge-triggered: drain the counter.
                while unsafe { read(waker, &mut v as *mut u64 as *mut u8, 8) } == 8 {
                    wakes += v;
                }
                continue;
            }
            let idx = data as usize;
            let mut gone = false;
            let mut got_any = false;
            if let Some(s) = streams.get_mut(&data) {
                let mut buf = [0u8; 512];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => {
                            gone = true;
                            break;
                        }
                        Ok(k) => {
                            got_any = true;
                            received[idx] += k;
                            sums[idx] += buf[..k].iter().map(|&b| b as u64).sum::<u64>();
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => panic!("read: {}", e),
                    }
                }
            }
            if !got_any && !gone {
                spurious += 1;
            }
            if gone {
                let s = streams.remove(&data).unwrap();
                let ok = unsafe {
                    epoll_ctl(ep, CTL_DEL, s.as_raw_fd(), std::ptr::null_mut()) == 0
                };
                if ok {
                    deregistered += 1;
                }
                ended += 1;
            }
        }
    }
    for w in workers {
        w.join().expect("worker");
    }
    check(ended == WORKERS, "every stream reached its end");
    check(deregistered == WORKERS, "each deregistered at its end");
    check(wakes == WORKERS as u64, "the waker counted every worker");
    for i in 0..WORKERS {
        let mut want_len = 0;
        let mut want_sum = 0u64;
        for m in 0..MESSAGES {
            let len = 1 + (m * 37 + i * 11) % 700;
            want_len += len;
            want_sum += len as u64 * ((i * 7 + m) as u8) as u64;
        }
        check(
            received[i] == want_len && sums[i] == want_sum,
            &format!("stream {}: every byte, in order of arrival", i),
        );
    }
    // Spurious edge reports are allowed (mio tolerates them); a flood is not.
    check(spurious < 1000, "few empty wakeups");
    unsafe {
        close(waker);
        close(ep);
    }
    done()
}
