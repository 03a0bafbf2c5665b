//! [`HandlerThreads`]: the handler threads of a threading server, Python's
//! `ThreadingMixIn._threads`.

use std::io;
use std::sync::Mutex;
use std::thread::{self, JoinHandle};

use super::control::lock;

/// The handler threads a threading server has started and not yet joined.
#[derive(Default)]
pub(super) struct HandlerThreads(Mutex<Vec<JoinHandle<()>>>);

impl HandlerThreads {
    /// Runs `work` on a thread of its own (named for profiles), kept to be
    /// joined; the error if the system cannot make one.
    pub(super) fn spawn(&self, work: impl FnOnce() + Send + 'static) -> io::Result<()> {
        let thread = thread::Builder::new()
            .name("pysocket-server-handler".into())
            .spawn(work)?;
        lock(&self.0).push(thread);
        Ok(())
    }

    /// Joins the threads that have finished (Python reaps them in
    /// `process_request`).
    pub(super) fn reap(&self) {
        let mut threads = lock(&self.0);
        let (done, running): (Vec<_>, Vec<_>) =
            threads.drain(..).partition(|thread| thread.is_finished());
        *threads = running;
        drop(threads);
        for thread in done {
            let _ = thread.join();
        }
    }

    /// Takes every thread not yet joined, for a server that closes: joined
    /// by [`join`](Self::join), or left to run (`block_on_close` off).
    pub(super) fn take(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut *lock(&self.0))
    }

    /// Joins `threads` (from [`take`](Self::take)).
    pub(super) fn join(threads: Vec<JoinHandle<()>>) {
        for thread in threads {
            let _ = thread.join();
        }
    }
}
