//! Places for requests, handed out shared-first: a counting gate whose waiters queue by
//! [`Priority`], first come first served within one priority. It bounds the requests in flight
//! (`--concurrency`) and orders each rate limiter's waiters, so a request that many pairings
//! share (an instance-type catalogue, an image batch) never waits behind per-image ones.
//!
//! A waiter that is dropped (its deadline passed) gives back a place it was handed in the
//! meantime, so no place is ever lost.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

/// Which requests go first when places are short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Answers many pairings need: catalogues, availability, batches of images.
    Shared = 0,
    /// Answers about one image.
    PerImage = 1,
}

/// A counting gate with priority queues.
pub struct Slots {
    state: Arc<Mutex<State>>,
}

struct State {
    free: usize,
    waiting: [VecDeque<oneshot::Sender<()>>; 2],
}

/// A place, held until dropped.
pub struct Slot {
    state: Arc<Mutex<State>>,
}

impl Slots {
    pub fn new(places: usize) -> Slots {
        Slots {
            state: Arc::new(Mutex::new(State {
                free: places.max(1),
                waiting: [VecDeque::new(), VecDeque::new()],
            })),
        }
    }

    /// Waits for a place. Cancel-safe: dropping the future gives back a place it was handed.
    pub async fn acquire(&self, priority: Priority) -> Slot {
        let receiver = {
            let mut state = lock(&self.state);
            let ahead = state.waiting[..=priority as usize]
                .iter()
                .any(|q| !q.is_empty());
            if state.free > 0 && !ahead {
                state.free -= 1;
                return Slot {
                    state: Arc::clone(&self.state),
                };
            }
            let (tx, rx) = oneshot::channel();
            state.waiting[priority as usize].push_back(tx);
            rx
        };
        let mut waiter = Waiter {
            receiver: Some(receiver),
            state: Arc::clone(&self.state),
        };
        if let Some(rx) = waiter.receiver.as_mut() {
            // The sender lives in the queue until it hands over a place; it is never dropped
            // unsent, so an error here cannot happen. Were it to, the place is still handed
            // back by `Waiter::drop`.
            let _ = rx.await;
        }
        waiter.receiver = None;
        Slot {
            state: Arc::clone(&self.state),
        }
    }

    /// Places free now (for tests and logs).
    pub fn free(&self) -> usize {
        lock(&self.state).free
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        release(&self.state);
    }
}

/// A queued `acquire`: when dropped before it took its place, the place goes to the next.
struct Waiter {
    receiver: Option<oneshot::Receiver<()>>,
    state: Arc<Mutex<State>>,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(mut rx) = self.receiver.take() {
            rx.close();
            // Handed a place between the deadline and now: pass it on.
            if rx.try_recv().is_ok() {
                release(&self.state);
            }
        }
    }
}

/// Gives a place to the first live waiter, shared before per-image, or frees it.
fn release(state: &Arc<Mutex<State>>) {
    let mut state = lock(state);
    for queue in &mut state.waiting {
        while let Some(tx) = queue.pop_front() {
            if tx.send(()).is_ok() {
                return;
            }
        }
    }
    state.free += 1;
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // The state is a counter and queues; a panic elsewhere cannot leave it half-changed.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn shared_waiters_go_before_per_image_ones() {
        let slots = Arc::new(Slots::new(1));
        let held = slots.acquire(Priority::PerImage).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, priority) in [
            ("image-1", Priority::PerImage),
            ("image-2", Priority::PerImage),
            ("catalogue", Priority::Shared),
        ] {
            let (slots, order) = (Arc::clone(&slots), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let _slot = slots.acquire(priority).await;
                lock_vec(&order).push(name);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }));
            // Queue them in this order.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(*lock_vec(&order), ["catalogue", "image-1", "image-2"]);
        assert_eq!(slots.free(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_dropped_at_its_deadline_loses_no_place() {
        let slots = Arc::new(Slots::new(1));
        let held = slots.acquire(Priority::Shared).await;
        let waited =
            tokio::time::timeout(Duration::from_millis(5), slots.acquire(Priority::PerImage)).await;
        assert!(waited.is_err(), "no place while one is held");
        drop(held);
        assert_eq!(slots.free(), 1, "the dropped waiter was skipped");
        let _again = slots.acquire(Priority::PerImage).await;
        assert_eq!(slots.free(), 0);
    }

    fn lock_vec<'a>(v: &'a Mutex<Vec<&'static str>>) -> MutexGuard<'a, Vec<&'static str>> {
        v.lock().expect("order")
    }
}
