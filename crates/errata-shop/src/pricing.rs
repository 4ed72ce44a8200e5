//! Pricing and inventory: the shop's "domain" code, where the failures originate.
//!
//! Each function fails in a way real services do: a panic deep in a helper (an out-of-range
//! index), a downstream call that cannot connect, and a business rule a client can fix.

use std::fmt;
use std::net::TcpStream;
use std::time::Duration;

use errata_errors::Error;

/// Discount tiers by loyalty level; level 7 does not exist.
const TIERS: [u32; 3] = [0, 5, 10];

/// The discount for a loyalty level: panics (index out of bounds) for unknown levels, the
/// kind of bug that shows up as an issue with a Rust stack trace.
#[inline(never)]
pub(crate) fn discount_percent(level: usize) -> u32 {
    TIERS[level]
}

/// The inventory service could not be reached.
#[derive(Debug)]
pub(crate) struct InventoryUnavailable(std::io::Error);

impl fmt::Display for InventoryUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("inventory service unavailable")
    }
}

impl std::error::Error for InventoryUnavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Asks the inventory service (a port where nothing listens) for the stock of an item.
#[inline(never)]
pub(crate) fn stock_level(item: &str) -> Result<u32, Error> {
    let addr = "127.0.0.1:9".parse().expect("a valid address");
    let _conn = TcpStream::connect_timeout(&addr, Duration::from_millis(500))
        .map_err(InventoryUnavailable)?;
    Ok(u32::try_from(item.len()).unwrap_or(0))
}

/// Redeems a coupon: only `WELCOME` exists, anything else is the client's mistake.
#[inline(never)]
pub(crate) fn redeem(code: &str) -> Result<u32, Error> {
    if code == "WELCOME" {
        Ok(10)
    } else {
        Err(Error::public(format!("coupon {code} has expired")).with_status(422))
    }
}
