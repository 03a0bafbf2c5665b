//! pysocket against raw socket2 and std::net doing the same work, in one run
//! and one table.
//!
//! Each scenario runs its variants interleaved (A B C, A B C, ...) for a
//! number of rounds, so that drift on a noisy machine hits them alike, and
//! reports the median, min and max per variant and the median of the
//! per-round ratios against socket2 and std.
//!
//! - `cargo bench`: the full suite (under five minutes on a two-core box);
//! - `cargo bench --bench compare -- designs`: the timeout-engine designs
//!   measured against each other, a table of its own (see `designs.rs`);
//! - `cargo bench --bench compare -- chunks`: `sendall`'s send size, raw
//!   sends of each size against one send of the whole buffer (`chunks.rs`);
//! - `cargo test --benches`: every scenario once on tiny inputs, to prove
//!   they work (the timings mean nothing).
//!
//! Everything runs on loopback; every loop is bounded in count, and a
//! watchdog ends the process should a scenario outlive its time limit.

mod bulk;
mod chunks;
mod designs;
mod idle;
mod lifecycle;
mod loopback;
mod makefile;
mod pingpong;
mod sendfile;
mod sendmsg;
mod servers;
mod tls;
mod udpserver;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use pingpong::Wait;
use sendmsg::{Control, Peer, Receive};

/// Counts the heap bytes in use, so the idle-connection scenario can tell
/// what each connection costs (see `idle.rs`). Two relaxed atomic adds per
/// allocation; the paths measured for speed do not allocate.
struct CountingAllocator;

static HEAP_IN_USE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter has no effect on the memory returned.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            HEAP_IN_USE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.dealloc(ptr, layout) };
        HEAP_IN_USE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `realloc`'s contract, passed on as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            HEAP_IN_USE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Heap bytes in use by the whole process.
pub fn heap_in_use() -> isize {
    HEAP_IN_USE.load(Ordering::Relaxed)
}

/// Sizes and counts of one run: full for `cargo bench`, tiny for `cargo test`.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Measured rounds of each scenario, after one warm-up round.
    pub rounds: usize,
    /// Measured rounds of the idle-connection scenario (no warm-up round).
    pub idle_rounds: usize,
    pub pingpongs: usize,
    pub bulk_bytes: usize,
    pub lines: usize,
    pub churns: usize,
    pub creations: usize,
    pub option_calls: usize,
    pub idle_connections: usize,
    /// Round trips per design in the `designs` table.
    pub design_pingpongs: usize,
}

/// Many short rounds rather than a few long ones: on a shared machine the
/// noise (other guests' load, CPU time stolen by the host) comes and goes
/// within a second, and a per-round ratio is only as good as the two runs it
/// compares, next to each other in time.
const FULL: Plan = Plan {
    rounds: 31,
    idle_rounds: 7,
    pingpongs: 3_000,
    bulk_bytes: 256 << 20,
    lines: 1_000_000,
    churns: 400,
    creations: 8_000,
    option_calls: 40_000,
    idle_connections: 10_000,
    design_pingpongs: 3_000,
};

const SMOKE: Plan = Plan {
    rounds: 1,
    idle_rounds: 1,
    pingpongs: 10,
    bulk_bytes: 1 << 20,
    lines: 1_000,
    churns: 10,
    creations: 10,
    option_calls: 10,
    idle_connections: 20,
    design_pingpongs: 10,
};

/// The bytes of each ping-pong message and datagram.
pub const MSG: usize = 64;

fn main() {
    // The idle-connection scenario runs its servers and clients in processes
    // of their own.
    if idle::run_child_if_asked() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plan = if args.iter().any(|arg| arg == "--bench") {
        FULL
    } else {
        println!("smoke run (not `cargo bench`): every scenario once on tiny inputs; the timings mean nothing");
        SMOKE
    };
    // `cargo bench -- WORD...` runs the scenarios whose names contain a WORD;
    // `cargo bench -- designs [WORD...]` the table of timeout-engine designs;
    // `cargo bench -- chunks` the table of sendall's send sizes.
    let mut words: Vec<String> = args
        .into_iter()
        .filter(|arg| !arg.starts_with("--"))
        .map(|arg| arg.to_lowercase())
        .collect();
    watchdog::start();
    let smoke = plan.rounds == SMOKE.rounds;
    let designs_only = words.first().is_some_and(|word| word == "designs");
    let chunks_only = words.first().is_some_and(|word| word == "chunks");
    if designs_only || chunks_only {
        words.remove(0);
    }
    if smoke || designs_only {
        designs::run(plan, if designs_only { &words } else { &[] });
    }
    if smoke || chunks_only {
        chunks::run(plan);
    }
    if !designs_only && !chunks_only {
        let mut suite = Suite {
            plan,
            filters: words,
            table: Table::default(),
        };
        run_all(&mut suite);
    }
}

/// The scenarios to run and the table they fill.
pub struct Suite {
    pub plan: Plan,
    filters: Vec<String>,
    pub table: Table,
}

impl Suite {
    /// Whether the command line asks for the scenario `name`.
    pub fn wants(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        self.filters.is_empty() || self.filters.iter().any(|word| name.contains(word.as_str()))
    }

    /// Runs the three variants interleaved for `plan.rounds` rounds (after
    /// one warm-up round), each round in a rotated order, keeping each
    /// round's time per unit of work, and adds the row.
    pub fn compare(
        &mut self,
        name: &'static str,
        note: Option<&'static str>,
        units: usize,
        mut variants: [Variant<'_>; 3],
    ) {
        if !self.wants(name) {
            return;
        }
        watchdog::arm(name, Duration::from_secs(120));
        for variant in variants.iter_mut().flatten() {
            black_box(variant());
        }
        let mut samples: [Option<Vec<f64>>; 3] = Default::default();
        for round in 0..self.plan.rounds {
            // Each round starts with the next variant (A B C, B C A, C A B,
            // ...), so that none always runs first or right after another.
            for i in 0..variants.len() {
                let which = (round + i) % variants.len();
                if let Some(variant) = &mut variants[which] {
                    let nanos = variant().as_nanos() as f64 / units.max(1) as f64;
                    samples[which].get_or_insert_with(Vec::new).push(nanos);
                }
            }
        }
        self.table.add(Row {
            name,
            note: note.map(str::to_string),
            unit: Unit::Time,
            samples,
        });
    }
}

fn run_all(suite: &mut Suite) {
    let plan = suite.plan;
    let started = Instant::now();

    suite.compare(
        "TCP ping-pong 64 B, blocking (round trip)",
        None,
        plan.pingpongs,
        [
            Some(&mut || pingpong::tcp_pysocket(plan.pingpongs, Wait::Blocking)),
            Some(&mut || pingpong::tcp_socket2(plan.pingpongs, Wait::Blocking)),
            Some(&mut || pingpong::tcp_std(plan.pingpongs, Wait::Blocking)),
        ],
    );
    suite.compare(
        "TCP ping-pong 64 B, timeout mode (round trip)",
        Some("pysocket in timeout mode (settimeout(10 s)); socket2: raw blocking, the target's baseline; std: set_read_timeout/set_write_timeout (kernel SO_RCVTIMEO/SO_SNDTIMEO)"),
        plan.pingpongs,
        [
            Some(&mut || pingpong::tcp_pysocket(plan.pingpongs, Wait::Timeout)),
            Some(&mut || pingpong::tcp_socket2(plan.pingpongs, Wait::Blocking)),
            Some(&mut || pingpong::tcp_std(plan.pingpongs, Wait::Timeout)),
        ],
    );
    suite.compare(
        "TCP ping-pong 64 B, non-blocking + select()",
        Some("all non-blocking, waiting before each recv: pysocket::select; socket2 and std: poll(2) on one descriptor"),
        plan.pingpongs,
        [
            Some(&mut || pingpong::tcp_pysocket(plan.pingpongs, Wait::Select)),
            Some(&mut || pingpong::tcp_socket2(plan.pingpongs, Wait::Select)),
            Some(&mut || pingpong::tcp_std(plan.pingpongs, Wait::Select)),
        ],
    );
    suite.compare(
        "TCP ping-pong 64 B, non-blocking + Selector",
        Some("all non-blocking, waiting before each recv: pysocket::Selector; socket2: epoll_wait(2) directly; std: the polling crate (Selector's backend outside Linux)"),
        plan.pingpongs,
        [
            Some(&mut || pingpong::tcp_pysocket(plan.pingpongs, Wait::Selector)),
            Some(&mut || pingpong::tcp_socket2(plan.pingpongs, Wait::Selector)),
            Some(&mut || pingpong::tcp_std(plan.pingpongs, Wait::Selector)),
        ],
    );
    suite.compare(
        "TCP ping-pong 64 B, non-blocking + select_into",
        Some("as [3], pysocket reusing one list of ready keys with Selector::select_into"),
        plan.pingpongs,
        [
            Some(&mut || pingpong::tcp_pysocket(plan.pingpongs, Wait::SelectorInto)),
            Some(&mut || pingpong::tcp_socket2(plan.pingpongs, Wait::SelectorInto)),
            Some(&mut || pingpong::tcp_std(plan.pingpongs, Wait::SelectorInto)),
        ],
    );
    suite.compare(
        "UDP ping-pong 64 B, sendto/recvfrom (round trip)",
        Some("pysocket: sendto + recvfrom_into on both sides (recvfrom(n), which allocates its bytes, is the same plus one allocation)"),
        plan.pingpongs,
        [
            Some(&mut || pingpong::udp_pysocket(plan.pingpongs)),
            Some(&mut || pingpong::udp_socket2(plan.pingpongs)),
            Some(&mut || pingpong::udp_std(plan.pingpongs)),
        ],
    );
    // (name, note, echo thread or one thread, control data, pysocket's receive, timeout mode)
    let sendmsg_rows = [
        (
            "sendmsg/recvmsg_into ping-pong 64 B, echo thread",
            Some("sendmsg rows: an AF_UNIX SOCK_STREAM socketpair, blocking unless said; pysocket: sendmsg, and recvmsg_into one buffer or recvmsg (a new Vec per message); socket2: sendmsg/recvmsg with MsgHdr/MsgHdrMut, asking for the sender's address as pysocket must, control built and parsed with libc's CMSG_*; std has no sendmsg. An echo thread answers, or (one thread) the client's thread plays both ends in turn: no wake-ups, only the calls' own time"),
            Peer::EchoThread, Control::None, Receive::RecvmsgInto, false,
        ),
        ("sendmsg/recvmsg_into 64 B, one thread", None, Peer::OneThread, Control::None, Receive::RecvmsgInto, false),
        ("sendmsg/recvmsg 64 B, one thread", None, Peer::OneThread, Control::None, Receive::Recvmsg, false),
        (
            "sendmsg/recvmsg_into 64 B, timeout mode, one thread",
            Some("pysocket in timeout mode (settimeout(10 s)); socket2 blocking"),
            Peer::OneThread, Control::None, Receive::RecvmsgInto, true,
        ),
        (
            "sendmsg/recvmsg 64 B + SCM_RIGHTS, one thread",
            Some("each message carries one descriptor (the sender's /dev/null) in an SCM_RIGHTS message; the receiver closes it"),
            Peer::OneThread, Control::Rights, Receive::Recvmsg, false,
        ),
        ("sendmsg/recvmsg_into 64 B + SCM_RIGHTS, one thread", None, Peer::OneThread, Control::Rights, Receive::RecvmsgInto, false),
    ];
    for (name, note, peer, control, receive, timeout) in sendmsg_rows {
        suite.compare(
            name,
            note,
            plan.pingpongs,
            [
                Some(&mut || sendmsg::pysocket(plan.pingpongs, peer, control, receive, timeout)),
                Some(&mut || sendmsg::socket2(plan.pingpongs, peer, control)),
                None,
            ],
        );
    }
    if suite.wants("bulk") {
        let data = vec![0x5au8; plan.bulk_bytes];
        let chunk = 64 << 10;
        suite.compare(
            "bulk 256 MiB, sendall of 64 KiB slices (MiB)",
            Some("bulk rows: one 256 MiB buffer sent in 64 KiB slices or in one call, received with recv_into into 64 KiB"),
            plan.bulk_bytes >> 20,
            [
                Some(&mut || bulk::pysocket(&data, chunk)),
                Some(&mut || bulk::socket2(&data, chunk)),
                Some(&mut || bulk::std(&data, chunk)),
            ],
        );
        suite.compare(
            "bulk 256 MiB, sendall in one call (MiB)",
            None,
            plan.bulk_bytes >> 20,
            [
                Some(&mut || bulk::pysocket(&data, data.len())),
                Some(&mut || bulk::socket2(&data, data.len())),
                Some(&mut || bulk::std(&data, data.len())),
            ],
        );
    }
    if suite.wants("makefile") {
        let text = makefile::lines(plan.lines);
        suite.compare(
            "makefile read_line, 40 B lines (line)",
            Some("pysocket: makefile().read_line; socket2: BufReader::with_capacity(64 KiB).read_line; std: BufReader::new(TcpStream).read_line (8 KiB); all into one reused String"),
            plan.lines,
            [
                Some(&mut || makefile::pysocket(&text, plan.lines)),
                Some(&mut || makefile::socket2(&text, plan.lines)),
                Some(&mut || makefile::std(&text, plan.lines)),
            ],
        );
    }
    if suite.wants("sendfile") {
        let file = sendfile::cached_file(plan.bulk_bytes);
        let len = plan.bulk_bytes;
        let tcp = sendfile::Over::Tcp;
        let (wall, cpu) = (sendfile::Measure::Wall, sendfile::Measure::SenderCpu);
        for (name, note, over, measure) in [
            (
                "sendfile of a cached 256 MiB file, TCP (MiB)",
                Some("sendfile rows: a page-cached file over TCP loopback or an AF_UNIX socketpair, drained with recv_into into 64 KiB; pysocket: Socket::sendfile; socket2 column: socket2's sendfile in a loop, the zero-copy floor; std column: what sendfile replaces, read_at into 256 KiB + pysocket's sendall (sendfile's throughput over it: 1 / py/std). The sender CPU row times the sending thread's CPU clock: over TCP loopback the receiver's copy bounds the throughput"),
                tcp,
                wall,
            ),
            ("sendfile of a cached 256 MiB file, AF_UNIX (MiB)", None, sendfile::Over::Unix, wall),
            ("sendfile 256 MiB, TCP, sender CPU (MiB)", None, tcp, cpu),
        ] {
            suite.compare(
                name,
                note,
                len >> 20,
                [
                    Some(&mut || sendfile::pysocket(over, measure, &file, len)),
                    Some(&mut || sendfile::socket2(over, measure, &file, len)),
                    Some(&mut || sendfile::read_sendall(over, measure, &file, len)),
                ],
            );
        }
    }
    suite.compare(
        "connect + accept + close (connection)",
        None,
        plan.churns,
        [
            Some(&mut || lifecycle::churn_pysocket(plan.churns)),
            Some(&mut || lifecycle::churn_socket2(plan.churns)),
            Some(&mut || lifecycle::churn_std(plan.churns)),
        ],
    );
    suite.compare(
        "Socket::new + close (socket)",
        Some("std has no unconnected socket"),
        plan.creations,
        [
            Some(&mut || lifecycle::create_pysocket(plan.creations)),
            Some(&mut || lifecycle::create_socket2(plan.creations)),
            None,
        ],
    );
    suite.compare(
        "setsockopt + getsockopt TCP_NODELAY (pair)",
        None,
        plan.option_calls,
        [
            Some(&mut || lifecycle::options_pysocket(plan.option_calls)),
            Some(&mut || lifecycle::options_socket2(plan.option_calls)),
            Some(&mut || lifecycle::options_std(plan.option_calls)),
        ],
    );
    servers::run(suite);
    udpserver::run(suite);
    idle::run(suite);
    suite.table.print();
    println!(
        "{} rounds per scenario after one warm-up round ({} for idle connections, no warm-up); ratios: median of the per-round ratios ± half their interquartile range; total {:.0} s",
        plan.rounds,
        plan.idle_rounds,
        started.elapsed().as_secs_f64()
    );
    tls::run(suite);
}

/// What a row measures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds per unit of work.
    Time,
    /// Bytes per unit (per connection).
    Bytes,
}

/// The samples of one scenario: per variant (pysocket, socket2, std), one
/// value per round, or `None` where the library has no equivalent.
pub struct Row {
    pub name: &'static str,
    pub note: Option<String>,
    pub unit: Unit,
    pub samples: [Option<Vec<f64>>; 3],
}

#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn add(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn print(&self) {
        println!(
            "{:<54} {:>27} {:>27} {:>27} {:>12} {:>12}",
            "scenario (per unit): median [min..max]",
            "pysocket",
            "socket2",
            "std",
            "py/s2",
            "py/std"
        );
        let mut notes = Vec::new();
        for row in &self.rows {
            let cell = |samples: &Option<Vec<f64>>| match samples {
                Some(samples) => {
                    let (med, min, max) = stats(samples);
                    let show = |v| show(row.unit, v);
                    format!("{} [{}..{}]", show(med), show(min), show(max))
                }
                None => "-".to_string(),
            };
            let ratio = |other: &Option<Vec<f64>>| match (&row.samples[0], other) {
                (Some(ours), Some(theirs)) => {
                    let (median, spread) = ratio_median(ours, theirs);
                    format!("{median:.3}±{spread:.3}")
                }
                _ => "-".to_string(),
            };
            let mut name = row.name.to_string();
            if let Some(note) = &row.note {
                notes.push(note);
                name = format!("{name} [{}]", notes.len());
            }
            println!(
                "{:<54} {:>27} {:>27} {:>27} {:>12} {:>12}",
                name,
                cell(&row.samples[0]),
                cell(&row.samples[1]),
                cell(&row.samples[2]),
                ratio(&row.samples[1]),
                ratio(&row.samples[2]),
            );
        }
        for (i, note) in notes.iter().enumerate() {
            println!("[{}] {note}", i + 1);
        }
    }
}

/// A variant of a scenario: one run, returning its total time.
pub type Variant<'a> = Option<&'a mut dyn FnMut() -> Duration>;

/// Median, min and max.
pub fn stats(samples: &[f64]) -> (f64, f64, f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    (
        sorted[sorted.len() / 2],
        sorted[0],
        sorted[sorted.len() - 1],
    )
}

/// The median of the per-round ratios `a[i] / b[i]`, and half their
/// interquartile range (how far the middle half of the rounds strays from
/// the median: a difference smaller than that is noise).
pub fn ratio_median(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let (q1, q3) = (ratios[n / 4], ratios[(3 * n) / 4]);
    (ratios[n / 2], (q3 - q1) / 2.0)
}

fn show(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Time if value >= 10_000_000.0 => format!("{:.1}ms", value / 1e6),
        Unit::Time if value >= 10_000.0 => format!("{:.2}µs", value / 1e3),
        Unit::Time if value >= 100.0 => format!("{value:.0}ns"),
        Unit::Time => format!("{value:.1}ns"),
        Unit::Bytes if value.abs() >= 10_240.0 => format!("{:.1}KiB", value / 1024.0),
        Unit::Bytes => format!("{value:.0}B"),
    }
}

/// Ends the process if a scenario outlives its limit, so that a bug in a
/// bench (a lost message, a peer that never answers) cannot hang `cargo bench`.
pub mod watchdog {
    use std::io::Write;
    use std::sync::Mutex;
    use std::thread;
    use std::time::{Duration, Instant};

    static ARMED: Mutex<Option<(&'static str, Instant)>> = Mutex::new(None);

    pub fn start() {
        thread::spawn(|| loop {
            thread::sleep(Duration::from_millis(200));
            let armed = *ARMED.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((name, deadline)) = armed {
                if Instant::now() > deadline {
                    // Exit even if stderr is gone.
                    let _ = writeln!(
                        std::io::stderr(),
                        "watchdog: \"{name}\" ran past its time limit; giving up"
                    );
                    std::process::exit(2);
                }
            }
        });
    }

    /// Gives the scenario `name` until `limit` from now.
    pub fn arm(name: &'static str, limit: Duration) {
        *ARMED.lock().unwrap_or_else(|e| e.into_inner()) = Some((name, Instant::now() + limit));
    }
}
