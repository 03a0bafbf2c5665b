//! The [`Selector`](crate::Selector)'s backend, one interface over two
//! implementations: epoll on Linux (`epoll`), the `polling` crate (kqueue,
//! `poll`) elsewhere.

platform! {
    if linux {
        mod epoll;
        pub(crate) use epoll::{PollEvents, Poller, SPLITS_EVENTS};
    } else {
        mod polling;
        pub(crate) use self::polling::{PollEvents, Poller, SPLITS_EVENTS};
    }
}
