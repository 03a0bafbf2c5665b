//! Command-line flags shared by the examples: `--host`, `--port`, `--help`,
//! and any extra `--name value` flags an example declares.
#![allow(dead_code)]

use std::collections::HashMap;
use std::process::exit;

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

/// Prints a one-line error and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    exit(2)
}
