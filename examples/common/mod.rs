//! What the examples share: command-line flags (`--host`, `--port`, `--help`
//! and any extra `--name value` flag an example declares), and the few Python
//! built-ins the seed programs lean on (`input`, `repr` of an address,
//! `time.ctime`).
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::process::exit;
use std::time::{SystemTime, UNIX_EPOCH};

use pysocket::Address;

/// The parsed flags of an example.
pub struct Args {
    values: HashMap<&'static str, String>,
}

impl Args {
    /// Parses `std::env::args()` against `flags` (name, default, help). `--help`
    /// prints `about` and the flags and exits 0; an unknown flag or a missing
    /// value is a one-line error and exit status 2.
    pub fn parse(about: &str, flags: &[(&'static str, &str, &str)]) -> Args {
        let mut values: HashMap<&'static str, String> = flags
            .iter()
            .map(|(name, default, _)| (*name, default.to_string()))
            .collect();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                println!("{about}\n\nOptions:");
                for (name, default, help) in flags {
                    let default = if default.is_empty() { "\"\"" } else { default };
                    println!("  --{name:<10} {help} (default: {default})");
                }
                println!("  --help       print this help");
                exit(0);
            }
            let (name, inline) = match arg.strip_prefix("--") {
                Some(rest) => match rest.split_once('=') {
                    Some((name, value)) => (name.to_string(), Some(value.to_string())),
                    None => (rest.to_string(), None),
                },
                None => fail(&format!("unexpected argument {arg:?} (try --help)")),
            };
            let Some((key, _, _)) = flags.iter().find(|(flag, _, _)| *flag == name) else {
                fail(&format!("unknown flag --{name} (try --help)"));
            };
            let value = inline
                .or_else(|| args.next())
                .unwrap_or_else(|| fail(&format!("--{name} needs a value")));
            values.insert(key, value);
        }
        Args { values }
    }

    /// The value of a flag, as text.
    pub fn text(&self, name: &str) -> &str {
        &self.values[name]
    }

    /// The value of a flag parsed as `T`; a bad value is a one-line error.
    pub fn get<T: std::str::FromStr>(&self, name: &str) -> T {
        let text = self.text(name);
        text.parse()
            .unwrap_or_else(|_| fail(&format!("bad value for --{name}: {text:?}")))
    }
}

/// The `main` of a client the user types into: parses `--host` (default
/// 127.0.0.1) and `--port` (default `port`), then runs `program` against
/// them, reading the keyboard and printing to the terminal.
pub fn run_client(
    about: &str,
    port: &str,
    program: impl FnOnce(&str, u16, io::StdinLock<'static>, io::Stdout) -> pysocket::Result<()>,
) -> Result<(), Failure> {
    let args = Args::parse(
        about,
        &[
            ("host", "127.0.0.1", "server address"),
            ("port", port, "server port"),
        ],
    );
    program(
        args.text("host"),
        args.get("port"),
        io::stdin().lock(),
        io::stdout(),
    )?;
    Ok(())
}

/// Prints a one-line error and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    exit(2)
}

/// What `main` returns, so that an error ends the program with status 1 and
/// one line (`Error: [Errno 111] Connection refused`) instead of a debug dump.
pub struct Failure(String);

impl<E: fmt::Display> From<E> for Failure {
    fn from(err: E) -> Failure {
        Failure(err.to_string())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Python's `input(prompt)`: writes the prompt, flushes it, and reads one line
/// without its line ending. `None` at the end of input, where Python raises
/// `EOFError`.
pub fn input(
    prompt: &str,
    stdin: &mut impl BufRead,
    out: &mut impl Write,
) -> io::Result<Option<String>> {
    write!(out, "{prompt}")?;
    out.flush()?;
    let mut line = String::new();
    if stdin.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(Some(line))
}

/// Python's `repr()` of an address tuple, as the seed programs print it:
/// `('127.0.0.1', 54321)`.
pub fn repr(addr: &Address) -> String {
    match addr {
        Address::Inet(v4) => format!("('{}', {})", v4.ip(), v4.port()),
        Address::Inet6(v6) => format!(
            "('{}', {}, {}, {})",
            v6.ip(),
            v6.port(),
            v6.flowinfo(),
            v6.scope_id()
        ),
        other => format!("'{other}'"),
    }
}

/// Python's `time.ctime()`: the local time in C's `ctime` format, without
/// its newline: `Sun Nov 22 02:11:21 2026`, `Mon Nov  2 09:05:00 2026`.
pub fn ctime() -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs()) as libc::time_t;
    // SAFETY: all-zero bytes are a valid `tm` (integers and, where the
    // platform has one, a null `tm_zone` pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; `localtime_r` (unlike
    // `localtime`) writes only to `tm`, so threads may call it at once. On
    // failure `tm` stays zeroed, which still formats.
    unsafe { libc::localtime_r(&now, &mut tm) };
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[tm.tm_wday.rem_euclid(7) as usize],
        MONTHS[tm.tm_mon.rem_euclid(12) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        i64::from(tm.tm_year) + 1900
    )
}
