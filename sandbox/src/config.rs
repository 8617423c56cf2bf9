//! Sandbox configuration and sample-company size.

use std::net::SocketAddr;

/// How the sandbox is started. Every field has a sensible default (see [`Default`]).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; port 0 picks a free port. Default `127.0.0.1:0`.
    pub bind: SocketAddr,
    /// The one company (realm) this sandbox serves. Default `"9130350000000001"`.
    pub realm_id: String,
    /// OAuth client id expected in the token endpoint's Basic auth. Default `"sandbox-client"`.
    pub client_id: String,
    /// OAuth client secret. Default `"sandbox-secret"`.
    pub client_secret: String,
    /// The initial valid refresh token. Default `"sandbox-refresh-0"`.
    pub refresh_token: String,
    /// Sample company size.
    pub seed: SeedSize,
    /// 1.0 = real time; 60.0 = one simulated minute per real second (throttle windows, Retry-After).
    pub time_scale: f64,
    /// Token-bucket size and refill per (simulated) minute, per realm. Default 500.
    pub requests_per_minute: u32,
    /// Maximum concurrent API requests per realm. Default 10.
    pub max_in_flight: u32,
    /// Batch calls per (simulated) minute per realm. Default 40.
    pub batch_per_minute: u32,
    /// Access-token lifetime in seconds. Default 3600.
    pub access_token_ttl_secs: i64,
    /// A refresh at least this long after the last rotation returns a new refresh token;
    /// 0 rotates on every refresh. Default 86400.
    pub rotate_refresh_every_secs: i64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            realm_id: "9130350000000001".to_string(),
            client_id: "sandbox-client".to_string(),
            client_secret: "sandbox-secret".to_string(),
            refresh_token: "sandbox-refresh-0".to_string(),
            seed: SeedSize::small(),
            time_scale: 1.0,
            requests_per_minute: 500,
            max_in_flight: 10,
            batch_per_minute: 40,
            access_token_ttl_secs: 3600,
            rotate_refresh_every_secs: 86400,
        }
    }
}

/// How many records of each kind the sample company starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSize {
    pub customers: usize,
    pub vendors: usize,
    pub items: usize,
    pub invoices: usize,
    pub payments: usize,
    pub sales_receipts: usize,
    /// Employees; every fifth one is inactive.
    pub employees: usize,
    /// Classes; the third of every four is a sub-class of the second.
    pub classes: usize,
    pub departments: usize,
    /// The fixed lists every company has: terms, payment methods, and one tax agency with two
    /// tax rates and two tax codes (one inactive).
    pub standard_lists: bool,
    /// Estimates (every third one Accepted, the rest Pending).
    pub estimates: usize,
    pub credit_memos: usize,
    pub refund_receipts: usize,
    /// Bills (Net 30 when the standard lists exist).
    pub bills: usize,
    /// Bill payments, each paying part of one bill (at most one per bill).
    pub bill_payments: usize,
    pub vendor_credits: usize,
    /// Purchases, by turns paid in cash, by cheque and by credit card.
    pub purchases: usize,
    /// Purchase orders (every second one Closed).
    pub purchase_orders: usize,
    /// Balanced journal entries.
    pub journal_entries: usize,
    /// Bank deposits (the first one deposits a payment from Undeposited Funds).
    pub deposits: usize,
    pub transfers: usize,
    /// Time activities of employees (every third one a vendor's).
    pub time_activities: usize,
    /// Company currencies besides the home currency: EUR, CAD, then GBP, AUD, ... (at most as
    /// many as the sandbox knows by name).
    pub currencies: usize,
    /// Budgets (read-only through the API): the first one the active Profit and Loss budget of
    /// the current fiscal year, the others those of earlier years, inactive.
    pub budgets: usize,
    /// Attachables (notes with file metadata) on invoices.
    pub attachables: usize,
    /// Item lines on every invoice; 0 (the default) gives each invoice 1 to 4 at random.
    pub invoice_lines: usize,
}

impl SeedSize {
    /// 25 customers (2 inactive), 8 vendors, 10 items, 40 invoices, 15 payments, 10 sales
    /// receipts, 5 employees (1 inactive), 4 classes (1 sub-class), 3 departments, the
    /// standard lists, and 3 estimates, 2 credit memos, 1 refund receipt, 4 bills (2 partly
    /// paid by 2 bill payments), 1 vendor credit, 3 purchases, 2 purchase orders, 2 journal
    /// entries, 1 deposit, 1 transfer and 3 time activities; then 2 company currencies (EUR,
    /// CAD), 2 budgets (1 inactive) and 2 attachables.
    pub fn small() -> Self {
        SeedSize {
            customers: 25,
            vendors: 8,
            items: 10,
            invoices: 40,
            payments: 15,
            sales_receipts: 10,
            employees: 5,
            classes: 4,
            departments: 3,
            standard_lists: true,
            estimates: 3,
            credit_memos: 2,
            refund_receipts: 1,
            bills: 4,
            bill_payments: 2,
            vendor_credits: 1,
            purchases: 3,
            purchase_orders: 2,
            journal_entries: 2,
            deposits: 1,
            transfers: 1,
            time_activities: 3,
            currencies: 2,
            budgets: 2,
            attachables: 2,
            invoice_lines: 0,
        }
    }

    /// An empty company (chart of accounts, CompanyInfo and Preferences only).
    pub fn empty() -> Self {
        SeedSize {
            customers: 0,
            vendors: 0,
            items: 0,
            invoices: 0,
            payments: 0,
            sales_receipts: 0,
            employees: 0,
            classes: 0,
            departments: 0,
            standard_lists: false,
            estimates: 0,
            credit_memos: 0,
            refund_receipts: 0,
            bills: 0,
            bill_payments: 0,
            vendor_credits: 0,
            purchases: 0,
            purchase_orders: 0,
            journal_entries: 0,
            deposits: 0,
            transfers: 0,
            time_activities: 0,
            currencies: 0,
            budgets: 0,
            attachables: 0,
            invoice_lines: 0,
        }
    }

    /// The small company's proportions scaled to `customers` customers (at least one vendor
    /// and item when there are customers; the standard lists unless `customers` is 0).
    pub fn scaled(customers: usize) -> Self {
        let small = Self::small();
        let f = |n: usize| (n * customers).div_ceil(small.customers);
        SeedSize {
            customers,
            vendors: f(small.vendors),
            items: f(small.items).max(usize::from(customers > 0)),
            invoices: f(small.invoices),
            payments: f(small.payments),
            sales_receipts: f(small.sales_receipts),
            employees: f(small.employees),
            classes: f(small.classes),
            departments: f(small.departments),
            standard_lists: customers > 0,
            estimates: f(small.estimates),
            credit_memos: f(small.credit_memos),
            refund_receipts: f(small.refund_receipts),
            bills: f(small.bills),
            bill_payments: f(small.bill_payments),
            vendor_credits: f(small.vendor_credits),
            purchases: f(small.purchases),
            purchase_orders: f(small.purchase_orders),
            journal_entries: f(small.journal_entries),
            deposits: f(small.deposits),
            transfers: f(small.transfers),
            time_activities: f(small.time_activities),
            currencies: f(small.currencies),
            budgets: f(small.budgets),
            attachables: f(small.attachables),
            invoice_lines: 0,
        }
    }
}

/// The small company.
impl Default for SeedSize {
    fn default() -> Self {
        Self::small()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_is_proportional() {
        let s = SeedSize::scaled(100);
        assert_eq!(
            s,
            SeedSize {
                customers: 100,
                vendors: 32,
                items: 40,
                invoices: 160,
                payments: 60,
                sales_receipts: 40,
                employees: 20,
                classes: 16,
                departments: 12,
                standard_lists: true,
                estimates: 12,
                credit_memos: 8,
                refund_receipts: 4,
                bills: 16,
                bill_payments: 8,
                vendor_credits: 4,
                purchases: 12,
                purchase_orders: 8,
                journal_entries: 8,
                deposits: 4,
                transfers: 4,
                time_activities: 12,
                currencies: 8,
                budgets: 8,
                attachables: 8,
                invoice_lines: 0,
            }
        );
        assert_eq!(SeedSize::scaled(25), SeedSize::small());
        assert_eq!(SeedSize::scaled(0).items, 0);
        assert_eq!(SeedSize::scaled(0), SeedSize::empty());
        assert_eq!(SeedSize::default(), SeedSize::small());
    }
}
