//! The chart of accounts as reports see it: every stored account (inactive ones too, since old
//! postings name them) with its report kind and parent, plus the deterministic fall-backs the
//! posting rules use when the chart lacks an account they need (e.g. a company with no A/R
//! account): first an existing account found by name/type, else a synthetic account that has
//! no `id` in reports.

use crate::store::Store;
use serde_json::Value;
use std::collections::HashMap;

/// Where an account goes in the statements (from its `AccountType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Bank,
    Receivable,
    OtherCurrentAsset,
    FixedAsset,
    OtherAsset,
    Payable,
    CreditCard,
    OtherCurrentLiability,
    LongTermLiability,
    Equity,
    Income,
    Cogs,
    Expense,
    OtherIncome,
    OtherExpense,
}

impl Kind {
    pub fn from_type(ty: &str, classification: &str) -> Kind {
        match ty {
            "Bank" => Kind::Bank,
            "Accounts Receivable" => Kind::Receivable,
            "Other Current Asset" => Kind::OtherCurrentAsset,
            "Fixed Asset" => Kind::FixedAsset,
            "Other Asset" => Kind::OtherAsset,
            "Accounts Payable" => Kind::Payable,
            "Credit Card" => Kind::CreditCard,
            "Other Current Liability" => Kind::OtherCurrentLiability,
            "Long Term Liability" => Kind::LongTermLiability,
            "Equity" => Kind::Equity,
            "Income" => Kind::Income,
            "Cost of Goods Sold" => Kind::Cogs,
            "Expense" => Kind::Expense,
            "Other Income" => Kind::OtherIncome,
            "Other Expense" => Kind::OtherExpense,
            _ => match classification {
                "Liability" => Kind::OtherCurrentLiability,
                "Equity" => Kind::Equity,
                "Revenue" => Kind::Income,
                "Expense" => Kind::Expense,
                _ => Kind::OtherAsset,
            },
        }
    }

    /// Profit and loss accounts (closed into retained earnings at each fiscal year end).
    pub fn is_pnl(self) -> bool {
        matches!(
            self,
            Kind::Income | Kind::Cogs | Kind::Expense | Kind::OtherIncome | Kind::OtherExpense
        )
    }

    /// Accounts whose balance is naturally a credit (shown positive when credited).
    pub fn credit_natural(self) -> bool {
        matches!(
            self,
            Kind::Payable
                | Kind::CreditCard
                | Kind::OtherCurrentLiability
                | Kind::LongTermLiability
                | Kind::Equity
                | Kind::Income
                | Kind::OtherIncome
        )
    }

    /// A debit-positive amount in the account's natural sign.
    pub fn natural(self, debit_positive: i64) -> i64 {
        if self.credit_natural() {
            -debit_positive
        } else {
            debit_positive
        }
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// None for a synthetic fall-back account.
    pub id: Option<u64>,
    pub name: String,
    pub full_name: String,
    pub account_type: String,
    pub sub_type: String,
    pub description: String,
    pub kind: Kind,
    pub parent: Option<usize>,
    pub active: bool,
}

/// What a posting rule needs when the transaction names no (known) account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fallback {
    /// `Accounts Receivable (A/R)`, else the first A/R account.
    Receivable,
    /// `Accounts Payable (A/P)`, else the first A/P account.
    Payable,
    /// `Undeposited Funds` (by name or sub-type).
    Undeposited,
    /// A sales line without an item income account: `Services`, else the first income account.
    Income,
    /// An expense line without an account: the first expense account.
    Expense,
    /// An item bought without an expense account: the first cost of goods sold account.
    ItemCost,
    /// `Discounts given`.
    Discount,
    /// A sales tax payable account (sub-type GlobalTaxPayable/SalesTaxPayable).
    SalesTax,
    /// The paying account of a cheque: `Checking`, else the first bank account.
    Bank,
    /// The paying account of a card payment: the first credit card account.
    CreditCard,
}

impl Fallback {
    /// `(name, AccountType, AccountSubType)` of the synthetic account used when nothing fits.
    fn synthetic(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Fallback::Receivable => (
                "Accounts Receivable (A/R)",
                "Accounts Receivable",
                "AccountsReceivable",
            ),
            Fallback::Payable => (
                "Accounts Payable (A/P)",
                "Accounts Payable",
                "AccountsPayable",
            ),
            Fallback::Undeposited => (
                "Undeposited Funds",
                "Other Current Asset",
                "UndepositedFunds",
            ),
            Fallback::Income => ("Uncategorized Income", "Income", "ServiceFeeIncome"),
            Fallback::Expense => (
                "Uncategorized Expense",
                "Expense",
                "OtherMiscellaneousServiceCost",
            ),
            Fallback::ItemCost => (
                "Cost of Goods Sold",
                "Cost of Goods Sold",
                "SuppliesMaterialsCogs",
            ),
            Fallback::Discount => ("Discounts given", "Income", "DiscountsRefundsGiven"),
            Fallback::SalesTax => (
                "Sales Tax Payable",
                "Other Current Liability",
                "SalesTaxPayable",
            ),
            Fallback::Bank => ("Checking", "Bank", "Checking"),
            Fallback::CreditCard => ("Credit Card", "Credit Card", "CreditCard"),
        }
    }
}

/// Every account, with lookups by Id and the fall-backs in use.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub accounts: Vec<Account>,
    by_id: HashMap<u64, usize>,
    fallbacks: HashMap<Fallback, usize>,
    /// `(item Id, income?)` -> the item's income or expense account, as resolved.
    item_accounts: HashMap<(u64, bool), usize>,
    /// Liability accounts looked up (or made up) by name: `<agency> Payable`.
    named: HashMap<String, usize>,
}

fn text(v: &serde_json::Map<String, Value>, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// The Id in a reference `{"value":"12",...}`.
pub fn ref_id(v: Option<&Value>) -> Option<u64> {
    v?.get("value")?.as_str()?.trim().parse().ok()
}

impl Chart {
    pub fn load(store: &Store) -> Chart {
        let mut chart = Chart::default();
        let Some(ti) = store.table_index("Account") else {
            return chart;
        };
        let mut parents = Vec::new();
        for (id, rec) in &store.tables[ti].rows {
            if rec.deleted {
                continue;
            }
            let o = &rec.obj;
            let account_type = text(o, "AccountType");
            let kind = Kind::from_type(&account_type, &text(o, "Classification"));
            let name = text(o, "Name");
            let full = o
                .get("FullyQualifiedName")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| name.clone());
            parents.push((chart.accounts.len(), ref_id(o.get("ParentRef"))));
            chart.by_id.insert(*id, chart.accounts.len());
            chart.accounts.push(Account {
                id: Some(*id),
                name,
                full_name: full,
                account_type,
                sub_type: text(o, "AccountSubType"),
                description: text(o, "Description"),
                kind,
                parent: None,
                active: rec.active,
            });
        }
        for (ix, parent) in parents {
            let p = parent.and_then(|p| chart.by_id.get(&p).copied());
            // A parent of another kind (or itself) is ignored: reports nest within a kind.
            if let Some(p) =
                p.filter(|p| *p != ix && chart.accounts[*p].kind == chart.accounts[ix].kind)
            {
                chart.accounts[ix].parent = Some(p);
            }
        }
        // Break any cycle: a chain longer than the chart cannot be a tree.
        for ix in 0..chart.accounts.len() {
            let mut cur = chart.accounts[ix].parent;
            let mut steps = 0;
            while let Some(p) = cur {
                steps += 1;
                if p == ix || steps > chart.accounts.len() {
                    chart.accounts[ix].parent = None;
                    break;
                }
                cur = chart.accounts[p].parent;
            }
        }
        chart
    }

    pub fn get(&self, ix: usize) -> &Account {
        &self.accounts[ix]
    }

    pub fn by_id(&self, id: u64) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// The account a reference names, else the fall-back.
    pub fn resolve(&mut self, r: Option<&Value>, fb: Fallback) -> usize {
        match ref_id(r).and_then(|id| self.by_id(id)) {
            Some(ix) => ix,
            None => self.fallback(fb),
        }
    }

    fn find(&self, pred: impl Fn(&Account) -> bool, preferred: &[&str]) -> Option<usize> {
        let live = |a: &Account| a.active && a.id.is_some();
        for p in preferred {
            if let Some(i) = self
                .accounts
                .iter()
                .position(|a| live(a) && pred(a) && a.name.eq_ignore_ascii_case(p))
            {
                return Some(i);
            }
        }
        self.accounts.iter().position(|a| live(a) && pred(a))
    }

    /// The account a rule falls back to (found once, then remembered).
    pub fn fallback(&mut self, fb: Fallback) -> usize {
        if let Some(ix) = self.fallbacks.get(&fb) {
            return *ix;
        }
        let found = match fb {
            Fallback::Receivable => self.find(
                |a| a.kind == Kind::Receivable,
                &["Accounts Receivable (A/R)"],
            ),
            Fallback::Payable => {
                self.find(|a| a.kind == Kind::Payable, &["Accounts Payable (A/P)"])
            }
            Fallback::Undeposited => self.find(
                |a| a.sub_type == "UndepositedFunds" || a.name == "Undeposited Funds",
                &["Undeposited Funds"],
            ),
            Fallback::Income => self.find(|a| a.kind == Kind::Income, &["Services"]),
            Fallback::Expense => self.find(|a| a.kind == Kind::Expense, &[]),
            Fallback::ItemCost => self.find(|a| a.kind == Kind::Cogs, &["Cost of Goods Sold"]),
            Fallback::Discount => {
                self.find(|a| a.name.eq_ignore_ascii_case("Discounts given"), &[])
            }
            Fallback::SalesTax => self.find(
                |a| {
                    a.kind == Kind::OtherCurrentLiability
                        && (matches!(a.sub_type.as_str(), "GlobalTaxPayable" | "SalesTaxPayable")
                            || a.name.eq_ignore_ascii_case("Sales Tax Payable"))
                },
                &["Sales Tax Payable"],
            ),
            Fallback::Bank => self.find(|a| a.kind == Kind::Bank, &["Checking"]),
            Fallback::CreditCard => self.find(|a| a.kind == Kind::CreditCard, &[]),
        };
        let ix = found.unwrap_or_else(|| {
            let (name, ty, sub) = fb.synthetic();
            self.accounts.push(Account {
                id: None,
                name: name.to_string(),
                full_name: name.to_string(),
                account_type: ty.to_string(),
                sub_type: sub.to_string(),
                description: String::new(),
                kind: Kind::from_type(ty, ""),
                parent: None,
                active: true,
            });
            self.accounts.len() - 1
        });
        self.fallbacks.insert(fb, ix);
        ix
    }

    /// An item's `IncomeAccountRef` (`income`) or `ExpenseAccountRef`, else the fall-back;
    /// remembered per item.
    pub fn item_account(
        &mut self,
        store: &Store,
        item: Option<u64>,
        income: bool,
        fb: Fallback,
    ) -> usize {
        let Some(id) = item else {
            return self.fallback(fb);
        };
        if let Some(ix) = self.item_accounts.get(&(id, income)) {
            return *ix;
        }
        let field = if income {
            "IncomeAccountRef"
        } else {
            "ExpenseAccountRef"
        };
        let r = store
            .table_index("Item")
            .and_then(|ti| store.tables[ti].rows.get(&id))
            .and_then(|rec| rec.obj.get(field).cloned());
        let ix = self.resolve(r.as_ref(), fb);
        self.item_accounts.insert((id, income), ix);
        ix
    }

    /// The active liability account called `name`, else a synthetic Other Current Liability
    /// of that name (how QuickBooks names a tax agency's account: `<agency> Payable`).
    pub fn liability_named(&mut self, name: &str) -> usize {
        if let Some(ix) = self.named.get(name) {
            return *ix;
        }
        let found = self.find(
            |a| {
                a.name.eq_ignore_ascii_case(name)
                    && matches!(
                        a.kind,
                        Kind::OtherCurrentLiability | Kind::LongTermLiability
                    )
            },
            &[],
        );
        let ix = found.unwrap_or_else(|| {
            self.accounts.push(Account {
                id: None,
                name: name.to_string(),
                full_name: name.to_string(),
                account_type: "Other Current Liability".to_string(),
                sub_type: "GlobalTaxPayable".to_string(),
                description: String::new(),
                kind: Kind::OtherCurrentLiability,
                parent: None,
                active: true,
            });
            self.accounts.len() - 1
        });
        self.named.insert(name.to_string(), ix);
        ix
    }

    /// The chart's retained earnings account, if it has one.
    pub fn retained_earnings(&self) -> Option<usize> {
        self.accounts.iter().position(|a| {
            a.kind == Kind::Equity
                && (a.sub_type == "RetainedEarnings"
                    || a.name.eq_ignore_ascii_case("Retained Earnings"))
        })
    }

    /// Accounts in statement order: by kind, then name.
    pub fn ordered(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.accounts.len()).collect();
        v.sort_by(|a, b| {
            let (x, y) = (&self.accounts[*a], &self.accounts[*b]);
            x.kind
                .cmp(&y.kind)
                .then_with(|| x.full_name.to_lowercase().cmp(&y.full_name.to_lowercase()))
                .then_with(|| a.cmp(b))
        });
        v
    }
}
