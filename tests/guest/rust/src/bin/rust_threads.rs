//! Threads with Mutex, Condvar, Barrier, mpsc channels and thread-locals.

use persona_guest::{check, done};
use std::cell::Cell;
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use std::thread;
use std::time::Duration;

thread_local! {
    static LOCAL: Cell<u64> = Cell::new(7);
}

fn main() {
    const N: usize = 8;
    const ROUNDS: u64 = 10_000;

    let counter = Arc::new(Mutex::new(0u64));
    let barrier = Arc::new(Barrier::new(N));
    let mut handles = Vec::new();
    for id in 0..N {
        let counter = Arc::clone(&counter);
        let barrier = Arc::clone(&barrier);
        handles.push(thread::spawn(move || {
            let fresh = LOCAL.with(|l| l.get()) == 7;
            LOCAL.with(|l| l.set(100 + id as u64));
            for _ in 0..ROUNDS {
                *counter.lock().unwrap() += 1;
            }
            let leader = barrier.wait().is_leader();
            let kept = LOCAL.with(|l| l.get()) == 100 + id as u64;
            (id, leader, fresh && kept)
        }));
    }
    let mut leaders = 0;
    let mut tls_ok = true;
    let mut ids_ok = true;
    for (i, h) in handles.into_iter().enumerate() {
        let (id, leader, tls) = h.join().unwrap();
        ids_ok &= id == i;
        leaders += leader as usize;
        tls_ok &= tls;
    }
    check(ids_ok, "join returns each thread's value");
    check(*counter.lock().unwrap() == N as u64 * ROUNDS, "Mutex counter reaches 80000");
    check(leaders == 1, "exactly one Barrier leader");
    check(tls_ok, "each thread has its own thread_local");
    check(LOCAL.with(|l| l.get()) == 7, "the main thread's thread_local is untouched");

    // Condvar: a waiter woken by a notifier.
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let pair2 = Arc::clone(&pair);
    let waiter = thread::spawn(move || {
        let (lock, cv) = &*pair2;
        let mut ready = lock.lock().unwrap();
        while !*ready {
            ready = cv.wait(ready).unwrap();
        }
        true
    });
    thread::sleep(Duration::from_millis(20));
    {
        let (lock, cv) = &*pair;
        *lock.lock().unwrap() = true;
        cv.notify_all();
    }
    check(waiter.join().unwrap(), "Condvar wakes the waiter");
    let (lock, cv) = &*pair;
    let guard = lock.lock().unwrap();
    let (_g, res) = cv.wait_timeout(guard, Duration::from_millis(20)).unwrap();
    check(res.timed_out(), "Condvar::wait_timeout times out");

    // mpsc: several producers, one consumer.
    let (tx, rx) = mpsc::channel::<u64>();
    for p in 0..4u64 {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..1000u64 {
                tx.send(p * 1000 + i).unwrap();
            }
        });
    }
    drop(tx);
    let received: Vec<u64> = rx.iter().collect();
    let sum: u64 = received.iter().sum();
    check(received.len() == 4000, "mpsc delivers 4000 messages");
    check(sum == (0..4000u64).sum::<u64>(), "mpsc messages are all distinct and complete");

    // A bounded channel that blocks the sender.
    let (stx, srx) = mpsc::sync_channel::<usize>(2);
    let producer = thread::spawn(move || {
        for i in 0..100 {
            stx.send(i).unwrap();
        }
    });
    let got: Vec<usize> = srx.iter().collect();
    producer.join().unwrap();
    check(got == (0..100).collect::<Vec<_>>(), "sync_channel(2) keeps order");
    check(
        srx_timeout_works(),
        "recv_timeout on an empty channel times out",
    );

    let rw = Arc::new(RwLock::new(5));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let rw = Arc::clone(&rw);
            thread::spawn(move || *rw.read().unwrap())
        })
        .collect();
    check(readers.into_iter().all(|h| h.join().unwrap() == 5), "RwLock readers");
    check(
        thread::available_parallelism().map(|n| n.get() > 0).unwrap_or(false),
        "available_parallelism > 0",
    );
    let named = thread::Builder::new()
        .name("named-thread".into())
        .spawn(|| thread::current().name().map(|s| s.to_string()))
        .unwrap();
    check(named.join().unwrap().as_deref() == Some("named-thread"), "thread names");
    done()
}

fn srx_timeout_works() -> bool {
    let (_tx, rx) = mpsc::channel::<u8>();
    matches!(
        rx.recv_timeout(Duration::from_millis(10)),
        Err(mpsc::RecvTimeoutError::Timeout)
    )
}
