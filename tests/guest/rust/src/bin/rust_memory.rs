//! Large sparse allocations, Vec growth and HashMap.

use persona_guest::{check, done};
use std::collections::{BTreeMap, HashMap};

fn main() {
    // 512 MiB of zeros: calloc-like, the pages are only touched sparsely.
    let mut big = vec![0u8; 512 << 20];
    for i in (0..big.len()).step_by(64 << 20) {
        big[i] = (i >> 20) as u8;
    }
    let last = big.len() - 1;
    big[last] = 0xee;
    let ok = (0..big.len()).step_by(64 << 20).all(|i| big[i] == (i >> 20) as u8);
    check(ok && big[last] == 0xee && big[12345] == 0, "512 MiB vec, touched sparsely");
    drop(big);

    let mut v: Vec<u64> = Vec::with_capacity(300 << 17);
    check(v.capacity() >= 300 << 17, "Vec::with_capacity(300 MiB / 8)");
    for i in 0..1000 {
        v.push(i);
    }
    check(v.iter().sum::<u64>() == 499500, "push into the big Vec");
    drop(v);

    let mut grow = Vec::new();
    for i in 0..1_000_000u32 {
        grow.push(i);
    }
    check(grow.len() == 1_000_000 && grow[999_999] == 999_999, "Vec grows by reallocation");

    let mut map = HashMap::new();
    for i in 0..100_000u64 {
        map.insert(i, i * i);
    }
    check(map.len() == 100_000, "HashMap of 100000 entries");
    check(map.get(&777) == Some(&603729), "HashMap lookup");
    map.retain(|k, _| k % 2 == 0);
    check(map.len() == 50_000, "HashMap retain");
    let mut words: HashMap<&str, usize> = HashMap::new();
    for w in "the quick brown fox jumps over the lazy dog the end".split(' ') {
        *words.entry(w).or_insert(0) += 1;
    }
    let sorted: BTreeMap<_, _> = words.into_iter().collect();
    println!("     word counts: {:?}", sorted);
    check(sorted["the"] == 3, "word count of 'the' is 3");

    let boxed: Vec<Box<[u8]>> = (0..64).map(|i| vec![i as u8; 1 << 16].into_boxed_slice()).collect();
    check(boxed.iter().enumerate().all(|(i, b)| b[100] == i as u8), "64 boxed 64 KiB slices");
    done()
}
