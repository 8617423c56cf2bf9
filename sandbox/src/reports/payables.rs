//! The vendor side: AgedPayables, AgedPayableDetail, VendorBalance, VendorBalanceDetail (the
//! shapes of `receivables` over open bills, vendor credits and unapplied bill payments) and
//! VendorExpenses (expense, cost of goods sold and other expense postings per vendor, with the
//! money columns of `summarize_column_by`; `Not Specified` for postings without a vendor).

use super::chart::Kind;
use super::openitems::Side;
use super::params::{Dim, Params};
use super::receivables;
use super::render::Column;
use super::sales::grouped;
use super::{Built, Ctx};
use crate::fault::Fault;

pub fn aged(ctx: &Ctx, p: &Params) -> Built {
    receivables::aged(ctx, p, Side::Payable)
}

pub fn aged_detail(ctx: &Ctx, p: &Params) -> Built {
    receivables::aged_detail(ctx, p, Side::Payable)
}

pub fn balance(ctx: &Ctx, p: &Params) -> Built {
    receivables::balance(ctx, p, Side::Payable)
}

pub fn balance_detail(ctx: &Ctx, p: &Params) -> Built {
    receivables::balance_detail(ctx, p, Side::Payable)
}

pub fn vendor_expenses(ctx: &Ctx, p: &Params) -> Result<Built, Fault> {
    grouped(
        ctx,
        p,
        &[Kind::Cogs, Kind::Expense, Kind::OtherExpense],
        Dim::Vendors,
        Column::new("", "Vendor", "vendor"),
    )
}
