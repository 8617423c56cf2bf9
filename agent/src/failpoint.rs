//! Fail points for the crash tests (tests/tests/fault_crash.rs), on tikv's `fail` crate.
//!
//! They exist only with the cargo feature `failpoints`; without it [`hit`] is an empty inline
//! function and [`setup`] does nothing, so a production binary has none.
//!
//! They are configured by the `FAILPOINTS` environment variable, in fail-rs syntax
//! (`name=actions;name=actions`, actions chained with `->`, with `N*` counts), read once at
//! start. fail-rs runs one action per hit, so "announce, then stop" cannot be chained out of
//! `print` and `pause` (and `print` goes to the `log` facade, not to a stream a test reads).
//! Here the `return` action means exactly that: the fail point writes `FAILPOINT <name> reached`
//! on stderr and parks its task for good, without blocking a runtime thread, so that a test can
//! wait for the line and kill the process at that very step. `1*off->return` stops at the
//! second hit. The other actions (`panic`, `sleep`, `pause`, `print`, `delay`) behave as fail-rs
//! defines them.
//!
//! | name | where |
//! |---|---|
//! | `push.before_request` | rows claimed, `sending` with their requestid committed; nothing sent yet |
//! | `push.row_between` | between two rows sent one by one in a round |
//! | `push.after_response` | every answer of a round in; write-back transaction open, not committed |
//! | `push.batch_between` | one round of up to 30 rows committed, before the next is claimed |
//! | `populate.between_pages` | a batch of pages staged and committed, before the next |
//! | `qbd.push.before_request` | Desktop: a message set claimed (rows `sending` with its message set ID committed) and its XML built, not yet handed to the Web Connector (in `sendRequestXML` for a push's first set, in the `receiveResponseXML` of the previous set's clear for the next ones) |
//! | `qbd.push.after_response` | Desktop: QuickBooks' answer to a message set (a sent set, or the stored answers of a status check) in `receiveResponseXML`, its outcomes decided; write-back transaction open, not committed |
//! | `qbd.push.batch_between` | Desktop: one message set written back and forgotten by QuickBooks (its clear answered), rows counted at the push's start still to go, before the next set is claimed |

/// Keeps the fail points configured for the life of the process (drop it last).
#[must_use = "the fail points are configured for as long as the guard lives"]
pub struct Guard {
    #[cfg(feature = "failpoints")]
    _scenario: fail::FailScenario<'static>,
}

/// Configures the fail points from `FAILPOINTS` (panics on a malformed value, as fail-rs does:
/// a test that asked for a fail point must not run without it).
pub fn setup() -> Guard {
    Guard {
        #[cfg(feature = "failpoints")]
        _scenario: fail::FailScenario::setup(),
    }
}

/// The fail point `name`: see the module documentation for what it does when configured.
#[cfg(feature = "failpoints")]
pub async fn hit(name: &'static str) {
    if triggered(name) {
        announce(name);
        tracing::warn!(failpoint = name, "stopped at a fail point");
        std::future::pending::<()>().await;
    }
}

/// The line a test waits for; a failed write leaves the test to its deadline.
#[cfg(feature = "failpoints")]
fn announce(name: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "FAILPOINT {name} reached");
    let _ = err.flush();
}

/// Whether `name` is configured to `return` (the other actions run inside the macro).
#[cfg(feature = "failpoints")]
fn triggered(name: &str) -> bool {
    fail::fail_point!(name, |_| true);
    false
}

/// Without the `failpoints` feature: nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub async fn hit(_name: &'static str) {}
