//! Orders: a reorder goes through three layers of code, each adding its context to the error
//! (`GoFrame`'s `gerror.Wrap`), so Errata shows the chain with every layer's stack and picks the
//! innermost cause, the ledger's refusal, as the culprit. Also the one place that uses
//! `anyhow`, as a library the shop depends on might.

use errata_errors::{AnyhowExt, Context, Error};

/// The ledger refused the connection (the innermost cause).
#[derive(Debug)]
pub(crate) struct LedgerRefused {
    account: u32,
}

impl std::fmt::Display for LedgerRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ledger refused account {}", self.account)
    }
}

impl std::error::Error for LedgerRefused {}

/// Layer 1 (innermost): reads the customer's balance from the ledger, which refuses.
#[inline(never)]
fn ledger_balance(account: u32) -> Result<u64, Error> {
    let refused = std::hint::black_box(account > 1000);
    if refused {
        return Err(LedgerRefused { account }.into());
    }
    Ok(100)
}

/// Layer 2: checks the customer can pay for the order.
#[inline(never)]
fn check_credit(account: u32, total: u64) -> Result<(), Error> {
    let balance = ledger_balance(account).context("checking the customer's credit")?;
    if balance < total {
        return Err(errata_errors::public_errorf!("insufficient credit"));
    }
    Ok(())
}

/// Layer 3 (outermost): places a copy of an earlier order.
#[inline(never)]
pub(crate) fn reorder(order: u32) -> Result<u32, Error> {
    let account = 4000 + order;
    check_credit(account, 25).with_context(|| format!("reordering order {order}"))?;
    Ok(order + 1)
}

/// The supplier's price list, parsed by code written against `anyhow` (a library might be).
#[inline(never)]
fn parse_price_list(text: &str) -> anyhow::Result<Vec<u32>> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            // Spelled out: errata's `Context` is in scope too, and both apply to a std error.
            anyhow::Context::with_context(line.trim().parse::<u32>(), || {
                format!("line {}: {line:?} is not a price", i + 1)
            })
        })
        .collect()
}

/// Imports the supplier's price list; its anyhow error converts with `.errata()?`, keeping the
/// context and the cause.
#[inline(never)]
pub(crate) fn import_prices() -> Result<usize, Error> {
    let text = std::hint::black_box("12\n15\nN/A\n");
    let prices =
        anyhow::Context::context(parse_price_list(text), "importing the supplier price list")
            .errata()?;
    Ok(prices.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reorder_failure_keeps_three_layers_newest_first() {
        let e = reorder(42).unwrap_err();
        assert_eq!(e.to_string(), "reordering order 42");
        let report = e.report().to_string();
        let outer = report.find("reordering order 42").unwrap();
        let middle = report.find("checking the customer's credit").unwrap();
        let inner = report.find("ledger refused account 4042").unwrap();
        assert!(outer < middle && middle < inner, "{report}");
        assert!(report.contains("orders.rs"), "{report}");
    }

    #[test]
    fn the_anyhow_error_keeps_its_context_and_cause() {
        let e = import_prices().unwrap_err();
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        assert_eq!(chain[0], "importing the supplier price list");
        assert!(
            chain.iter().any(|c| c.contains("\"N/A\" is not a price")),
            "{chain:?}"
        );
        assert!(
            chain.iter().any(|c| c == "invalid digit found in string"),
            "{chain:?}"
        );
    }
}
