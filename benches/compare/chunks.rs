//! How large a `send` should `sendall` hand the kernel? `cargo bench --bench
//! compare -- chunks` sends the bulk scenario's buffer with raw socket2 in
//! sends of each size, next to pysocket's one-call `sendall` (which sends at
//! most `SENDALL_CHUNK` at a time), interleaved, ratios against one send of
//! the whole buffer. This is the measurement behind `SENDALL_CHUNK`.

use std::time::Duration;

use crate::{bulk, ratio_median, stats, Plan};

/// Send sizes, in KiB; 0 stands for the whole buffer in one call.
const SIZES_KIB: [usize; 7] = [0, 64, 128, 256, 512, 1024, 4096];

pub fn run(plan: Plan) {
    crate::watchdog::arm("chunks", Duration::from_secs(240));
    let data = vec![0x5au8; plan.bulk_bytes];
    let mib = (plan.bulk_bytes >> 20).max(1) as f64;
    let size = |kib: usize| if kib == 0 { data.len() } else { kib << 10 };
    // The raw sizes, then pysocket's one-call sendall.
    let count = SIZES_KIB.len() + 1;
    let run_one = |i: usize| -> Duration {
        match SIZES_KIB.get(i) {
            Some(&kib) => bulk::socket2(&data, size(kib)),
            None => bulk::pysocket(&data, data.len()),
        }
    };
    for i in 0..count {
        run_one(i);
    }
    let mut samples = vec![Vec::new(); count];
    for round in 0..plan.rounds {
        for k in 0..count {
            let i = (round + k) % count;
            samples[i].push(run_one(i).as_nanos() as f64 / mib);
        }
    }
    println!(
        "{:<52} {:>32} {:>13}",
        "sendall of the bulk buffer: per MiB, median [min..max]", "", "/one send"
    );
    for (i, samples_i) in samples.iter().enumerate() {
        let name = match SIZES_KIB.get(i) {
            Some(0) => "socket2, one send of the whole buffer".to_string(),
            Some(kib) => format!("socket2, sends of {kib} KiB"),
            None => "pysocket sendall in one call".to_string(),
        };
        let (med, min, max) = stats(samples_i);
        let us = |ns: f64| format!("{:.2}µs", ns / 1e3);
        let (ratio, spread) = ratio_median(samples_i, &samples[0]);
        println!(
            "{:<52} {:>32} {:>13}",
            name,
            format!("{} [{}..{}]", us(med), us(min), us(max)),
            format!("{ratio:.3}±{spread:.3}"),
        );
    }
}
