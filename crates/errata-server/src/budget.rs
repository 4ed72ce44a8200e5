//! The byte budget: the memory that request bodies being read, decoded or processed may
//! take at once, across all requests. A request reserves bytes as its body arrives and
//! again for its decoded form, and gives them back when it is done; when the budget is
//! spent the request is refused at once (503 with `Retry-After`), never queued, so the
//! bound holds whatever the number of slow or large requests.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The shared budget.
#[derive(Debug, Clone)]
pub struct ByteBudget {
    bytes: Arc<Semaphore>,
    total: usize,
}

/// Bytes held by one request; given back on drop.
#[derive(Debug, Default)]
pub struct Reservation {
    permits: Option<OwnedSemaphorePermit>,
}

/// The budget is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted;

impl ByteBudget {
    /// A budget of `total` bytes.
    pub fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        Self {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Bytes not reserved now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// The whole budget.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Adds `n` bytes to `reservation`, or fails without taking any.
    pub fn reserve(&self, reservation: &mut Reservation, n: usize) -> Result<(), Exhausted> {
        if n == 0 {
            return Ok(());
        }
        let n = u32::try_from(n).map_err(|_| Exhausted)?;
        let permit = self
            .bytes
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| Exhausted)?;
        match &mut reservation.permits {
            Some(held) => held.merge(permit),
            slot @ None => *slot = Some(permit),
        }
        Ok(())
    }
}

impl Reservation {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.permits
            .as_ref()
            .map_or(0, OwnedSemaphorePermit::num_permits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_given_back() {
        let budget = ByteBudget::new(100);
        let mut a = Reservation::default();
        budget.reserve(&mut a, 60).unwrap();
        budget.reserve(&mut a, 30).unwrap();
        assert_eq!(a.bytes(), 90);
        let mut b = Reservation::default();
        assert_eq!(budget.reserve(&mut b, 11), Err(Exhausted));
        assert_eq!(b.bytes(), 0);
        budget.reserve(&mut b, 10).unwrap();
        drop(a);
        assert_eq!(budget.available(), 90);
        drop(b);
        assert_eq!(budget.available(), budget.total());
    }
}
