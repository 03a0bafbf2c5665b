//! [`HandlerThreads`]: the handler threads of a threading server, Python's
//! `ThreadingMixIn._threads`.

use std::sync::Mutex;
use std::thread::{self, JoinHandle};

use super::control::lock;
use super::{RequestError, ServerOptions};
use crate::address::Address;
use crate::error::Error;

/// The handler threads a threading server has started and not yet joined.
#[derive(Default)]
pub(super) struct HandlerThreads(Mutex<Vec<JoinHandle<()>>>);

impl HandlerThreads {
    /// Runs `work`, the request of `client`, on a thread of its own (named
    /// for profiles), kept to be joined; if the system cannot make one, the
    /// error goes to the options' `handle_error`.
    pub(super) fn spawn(
        &self,
        options: &ServerOptions,
        client: &Address,
        work: impl FnOnce() + Send + 'static,
    ) {
        let spawned = thread::Builder::new()
            .name("pysocket-server-handler".into())
            .spawn(work);
        match spawned {
            Ok(thread) => lock(&self.0).push(thread),
            Err(err) => options.report(&RequestError::Server(Error::Io(err)), Some(client)),
        }
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

    /// For a server that closes: with the options' `block_on_close`,
    /// runs `before_join` (which cuts the connections of a stream server)
    /// and joins every thread; without, leaves them to run.
    pub(super) fn close(&self, options: &ServerOptions, before_join: impl FnOnce()) {
        let threads = std::mem::take(&mut *lock(&self.0));
        if !options.block_on_close {
            return;
        }
        before_join();
        for thread in threads {
            let _ = thread.join();
        }
    }
}
