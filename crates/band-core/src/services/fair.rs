//! A fair async lock that needs no runtime: waiters get it in the order they asked (first come,
//! first served), and a newcomer never takes it ahead of someone already waiting.
//!
//! `futures_util::lock::Mutex` (what chats use) makes no fairness promise: a waker goes to an
//! arbitrary waiter and any caller may barge in first. Worktree changes of a repository queue on
//! one of these instead, so a crowd of requests is served in arrival order and none starves.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct State {
    /// Someone holds the lock, or it has been handed to `granted`, who has not yet run.
    held: bool,
    /// The ticket the lock was handed to on release.
    granted: Option<u64>,
    next_ticket: u64,
    /// Waiters in arrival order.
    queue: VecDeque<(u64, Waker)>,
}

/// A fair lock guarding nothing but a turn.
#[derive(Default)]
pub(crate) struct FairLock {
    state: Mutex<State>,
}

impl FairLock {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the turn; the lock is released when the guard is dropped.
    pub(crate) fn lock(self: &Arc<Self>) -> Acquire {
        Acquire { lock: self.clone(), ticket: None, done: false }
    }

    /// Passes the lock to the first waiter, or frees it.
    fn release(&self) {
        let mut s = self.state();
        match s.queue.pop_front() {
            Some((ticket, waker)) => {
                s.granted = Some(ticket);
                drop(s);
                waker.wake();
            }
            None => s.held = false,
        }
    }
}

/// The future of [`FairLock::lock`].
pub(crate) struct Acquire {
    lock: Arc<FairLock>,
    ticket: Option<u64>,
    done: bool,
}

impl Future for Acquire {
    type Output = FairGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<FairGuard> {
        let lock = self.lock.clone();
        let mut s = lock.state();
        match self.ticket {
            None if !s.held => {
                s.held = true;
                drop(s);
                self.done = true;
                Poll::Ready(FairGuard { lock })
            }
            None => {
                let ticket = s.next_ticket;
                s.next_ticket += 1;
                s.queue.push_back((ticket, cx.waker().clone()));
                drop(s);
                self.ticket = Some(ticket);
                Poll::Pending
            }
            Some(ticket) if s.granted == Some(ticket) => {
                s.granted = None;
                drop(s);
                self.done = true;
                Poll::Ready(FairGuard { lock })
            }
            Some(ticket) => {
                if let Some((_, waker)) = s.queue.iter_mut().find(|(t, _)| *t == ticket) {
                    waker.clone_from(cx.waker());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire {
    /// A waiter that gives up leaves the queue; one that was handed the lock and never ran passes
    /// it on.
    fn drop(&mut self) {
        let (Some(ticket), false) = (self.ticket, self.done) else { return };
        let mut s = self.lock.state();
        if s.granted == Some(ticket) {
            s.granted = None;
            drop(s);
            self.lock.release();
        } else {
            s.queue.retain(|(t, _)| *t != ticket);
        }
    }
}

/// A turn on a [`FairLock`]; dropping it lets the next waiter in.
pub(crate) struct FairGuard {
    lock: Arc<FairLock>,
}

impl Drop for FairGuard {
    fn drop(&mut self) {
        self.lock.release();
    }
}

/// One [`FairLock`] per key, made on first use.
pub(crate) struct FairLocks<K> {
    locks: Mutex<HashMap<K, Arc<FairLock>>>,
}

impl<K> Default for FairLocks<K> {
    fn default() -> Self {
        Self { locks: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash> FairLocks<K> {
    /// Waits for `key`'s turn.
    pub(crate) async fn lock(&self, key: K) -> FairGuard {
        let lock = self.locks.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default().clone();
        lock.lock().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls a future once with a waker that does nothing.
    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn waiters_get_the_lock_in_the_order_they_asked_and_newcomers_queue_behind() {
        let lock = Arc::new(FairLock::default());
        let Poll::Ready(first) = poll_once(&mut lock.lock()) else { panic!("a free lock is taken at once") };
        let mut waiting: Vec<Acquire> = (0..3).map(|_| lock.lock()).collect();
        for w in &mut waiting {
            assert!(poll_once(w).is_pending());
        }
        drop(first);
        // The lock went to the first waiter: a newcomer does not barge in, nor do the later ones.
        assert!(poll_once(&mut lock.lock()).is_pending(), "a newcomer waits its turn");
        assert!(poll_once(&mut waiting[2]).is_pending());
        assert!(poll_once(&mut waiting[1]).is_pending());
        let Poll::Ready(second) = poll_once(&mut waiting[0]) else { panic!("the first waiter is served first") };
        drop(second);
        assert!(poll_once(&mut waiting[2]).is_pending());
        let Poll::Ready(third) = poll_once(&mut waiting[1]) else { panic!("then the second") };
        drop(third);
        let Poll::Ready(fourth) = poll_once(&mut waiting[2]) else { panic!("then the third") };
        drop(fourth);
        assert!(poll_once(&mut lock.lock()).is_ready(), "and then it is free");
    }

    #[test]
    fn a_waiter_that_gives_up_never_blocks_the_others() {
        let lock = Arc::new(FairLock::default());
        let Poll::Ready(held) = poll_once(&mut lock.lock()) else { panic!("free") };
        let (mut a, mut b, mut c) = (lock.lock(), lock.lock(), lock.lock());
        for w in [&mut a, &mut b, &mut c] {
            assert!(poll_once(w).is_pending());
        }
        drop(b); // gave up while queued
        drop(held);
        drop(a); // was handed the lock and gave up before running: it passes it on
        let Poll::Ready(guard) = poll_once(&mut c) else { panic!("the lock reached the last waiter") };
        drop(guard);
        assert!(poll_once(&mut lock.lock()).is_ready());
    }

    #[test]
    fn keys_do_not_wait_for_each_other() {
        let locks: FairLocks<u32> = FairLocks::default();
        let mut one = Box::pin(locks.lock(1));
        let Poll::Ready(_one) = one.as_mut().poll(&mut Context::from_waker(Waker::noop())) else { panic!("free") };
        let mut two = Box::pin(locks.lock(2));
        assert!(two.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready(), "another key is free");
        let mut again = Box::pin(locks.lock(1));
        assert!(again.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending(), "the same key waits");
    }
}
