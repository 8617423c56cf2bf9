//! The general ledger behind balances and reports: every posting transaction split into
//! account postings (debit positive), with the entity each line belongs to.

use super::kinds::Kind;
use super::money::{parse_amount, parse_dec, times};
use super::store::{Record, Store};
use chrono::NaiveDate;
use qbsync_qbxml::Element;

/// One ledger line.
#[derive(Debug, Clone)]
pub(crate) struct Posting {
    pub txn_id: String,
    pub kind: Kind,
    pub date: NaiveDate,
    /// Account `ListID`.
    pub account: String,
    /// Debit positive, credit negative (cents).
    pub amount: i64,
    /// Customer/vendor/employee `ListID`.
    pub entity: Option<String>,
    pub memo: Option<String>,
    pub ref_number: Option<String>,
    /// Creation order of the transaction.
    pub seq: u64,
}

/// Account types whose balance is normally a debit.
pub(crate) fn debit_normal(account_type: &str) -> bool {
    matches!(
        account_type,
        "Bank"
            | "AccountsReceivable"
            | "OtherCurrentAsset"
            | "FixedAsset"
            | "OtherAsset"
            | "Expense"
            | "OtherExpense"
            | "CostOfGoodsSold"
            | "NonPosting"
    )
}

fn ref_in(e: &Element, field: &str) -> Option<String> {
    e.find(field)
        .and_then(|r| r.child_text("ListID"))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn amount_in(e: &Element) -> i64 {
    e.child_text("Amount").and_then(parse_amount).unwrap_or(0)
}

/// The income account of an item.
pub(crate) fn item_income_account(item: &Record) -> Option<String> {
    let b = &item.body;
    b.find("SalesOrPurchase")
        .and_then(|s| ref_in(s, "AccountRef"))
        .or_else(|| {
            b.find("SalesAndPurchase")
                .and_then(|s| ref_in(s, "IncomeAccountRef"))
        })
        .or_else(|| ref_in(b, "IncomeAccountRef"))
        .or_else(|| ref_in(b, "AccountRef"))
}

/// The account a purchase of an item is booked to (the asset account for inventory).
pub(crate) fn item_purchase_account(item: &Record) -> Option<String> {
    let b = &item.body;
    ref_in(b, "AssetAccountRef")
        .or_else(|| {
            b.find("SalesAndPurchase")
                .and_then(|s| ref_in(s, "ExpenseAccountRef"))
        })
        .or_else(|| {
            b.find("SalesOrPurchase")
                .and_then(|s| ref_in(s, "AccountRef"))
        })
}

struct Fallback {
    income: Option<String>,
    expense: Option<String>,
}

fn first_of_type(store: &Store, t: &str) -> Option<String> {
    store
        .of_kind(Kind::Account)
        .find(|a| a.text("AccountType") == Some(t))
        .map(|a| a.id.clone())
}

struct Builder<'a> {
    store: &'a Store,
    r: &'a Record,
    date: NaiveDate,
    out: &'a mut Vec<Posting>,
}

impl Builder<'_> {
    fn post(
        &mut self,
        account: Option<String>,
        amount: i64,
        entity: Option<String>,
        memo: Option<&str>,
    ) {
        let Some(account) = account else { return };
        if amount == 0 {
            return;
        }
        self.out.push(Posting {
            txn_id: self.r.id.clone(),
            kind: self.r.kind,
            date: self.date,
            account,
            amount,
            entity,
            memo: memo.map(str::to_string),
            ref_number: self.r.ref_number().map(str::to_string),
            seq: self.r.seq,
        });
    }
}

/// Sales lines: income credited (debited for credit memos `sign` -1), cost of goods for
/// inventory items; returns the total.
fn sales_lines(
    b: &mut Builder<'_>,
    fb: &Fallback,
    line: &str,
    sign: i64,
    entity: &Option<String>,
) -> i64 {
    let mut total = 0;
    let lines: Vec<Element> = b.r.body.find_all(line).cloned().collect();
    for l in &lines {
        let a = amount_in(l);
        total += a;
        let item = ref_in(l, "ItemRef").and_then(|id| b.store.get(&id));
        let acct = ref_in(l, "OverrideItemAccountRef")
            .or_else(|| item.and_then(item_income_account))
            .or_else(|| fb.income.clone());
        b.post(acct, -sign * a, entity.clone(), l.child_text("Desc"));
        if let Some(it) = item.filter(|i| i.kind == Kind::ItemInventory) {
            let qty = l
                .child_text("Quantity")
                .and_then(parse_dec)
                .unwrap_or(100_000);
            let cost = it.text("PurchaseCost").and_then(parse_dec).unwrap_or(0);
            let c = times(qty, cost);
            let cogs = ref_in(&it.body, "COGSAccountRef");
            let asset = ref_in(&it.body, "AssetAccountRef");
            if cogs.is_some() && asset.is_some() {
                b.post(cogs, sign * c, entity.clone(), None);
                b.post(asset, -sign * c, entity.clone(), None);
            }
        }
    }
    total
}

/// Purchase lines (expense and item lines) debited; returns the total.
fn purchase_lines(b: &mut Builder<'_>, fb: &Fallback, entity: &Option<String>) -> i64 {
    let mut total = 0;
    let lines: Vec<Element> = b.r.body.children.clone();
    for l in &lines {
        let a = amount_in(l);
        match l.name.as_str() {
            "ExpenseLineRet" => {
                total += a;
                let acct = ref_in(l, "AccountRef").or_else(|| fb.expense.clone());
                b.post(acct, a, entity.clone(), l.child_text("Memo"));
            }
            "ItemLineRet" => {
                total += a;
                let item = ref_in(l, "ItemRef").and_then(|id| b.store.get(&id));
                let acct = ref_in(l, "OverrideItemAccountRef")
                    .or_else(|| item.and_then(item_purchase_account))
                    .or_else(|| fb.expense.clone());
                b.post(acct, a, entity.clone(), l.child_text("Desc"));
            }
            _ => {}
        }
    }
    total
}

/// All postings of the company file.
pub(crate) fn postings(store: &Store) -> Vec<Posting> {
    let fb = Fallback {
        income: first_of_type(store, "Income"),
        expense: first_of_type(store, "Expense"),
    };
    let mut out = Vec::new();
    for r in store.txns() {
        if !r.kind.posts() {
            continue;
        }
        let Some(date) = r.txn_date() else { continue };
        let mut b = Builder {
            store,
            r,
            date,
            out: &mut out,
        };
        let body = &r.body;
        match r.kind {
            Kind::Invoice => {
                let cust = ref_in(body, "CustomerRef");
                let t = sales_lines(&mut b, &fb, "InvoiceLineRet", 1, &cust);
                b.post(
                    ref_in(body, "ARAccountRef"),
                    t,
                    cust,
                    body.child_text("Memo"),
                );
            }
            Kind::SalesReceipt => {
                let cust = ref_in(body, "CustomerRef");
                let t = sales_lines(&mut b, &fb, "SalesReceiptLineRet", 1, &cust);
                b.post(
                    ref_in(body, "DepositToAccountRef"),
                    t,
                    cust,
                    body.child_text("Memo"),
                );
            }
            Kind::CreditMemo => {
                let cust = ref_in(body, "CustomerRef");
                let t = sales_lines(&mut b, &fb, "CreditMemoLineRet", -1, &cust);
                b.post(
                    ref_in(body, "ARAccountRef"),
                    -t,
                    cust,
                    body.child_text("Memo"),
                );
            }
            Kind::ReceivePayment => {
                let cust = ref_in(body, "CustomerRef");
                let t = body
                    .child_text("TotalAmount")
                    .and_then(parse_amount)
                    .unwrap_or(0);
                b.post(
                    ref_in(body, "DepositToAccountRef"),
                    t,
                    cust.clone(),
                    body.child_text("Memo"),
                );
                b.post(
                    ref_in(body, "ARAccountRef"),
                    -t,
                    cust,
                    body.child_text("Memo"),
                );
            }
            Kind::Deposit => {
                let mut total = 0;
                let lines: Vec<Element> = body.find_all("DepositLineRet").cloned().collect();
                for l in &lines {
                    let a = amount_in(l);
                    total += a;
                    b.post(
                        ref_in(l, "AccountRef"),
                        -a,
                        ref_in(l, "EntityRef"),
                        l.child_text("Memo"),
                    );
                }
                b.post(
                    ref_in(body, "DepositToAccountRef"),
                    total,
                    None,
                    body.child_text("Memo"),
                );
            }
            Kind::Bill => {
                let v = ref_in(body, "VendorRef");
                let t = purchase_lines(&mut b, &fb, &v);
                b.post(ref_in(body, "APAccountRef"), -t, v, body.child_text("Memo"));
            }
            Kind::Check => {
                let p = ref_in(body, "PayeeEntityRef");
                let t = purchase_lines(&mut b, &fb, &p);
                b.post(ref_in(body, "AccountRef"), -t, p, body.child_text("Memo"));
            }
            Kind::BillPaymentCheck => {
                let v = ref_in(body, "PayeeEntityRef");
                let t = body
                    .child_text("Amount")
                    .and_then(parse_amount)
                    .unwrap_or(0);
                b.post(
                    ref_in(body, "APAccountRef"),
                    t,
                    v.clone(),
                    body.child_text("Memo"),
                );
                b.post(
                    ref_in(body, "BankAccountRef"),
                    -t,
                    v,
                    body.child_text("Memo"),
                );
            }
            Kind::JournalEntry => {
                let lines: Vec<Element> = body.children.clone();
                for l in &lines {
                    let sign = match l.name.as_str() {
                        "JournalDebitLine" => 1,
                        "JournalCreditLine" => -1,
                        _ => continue,
                    };
                    b.post(
                        ref_in(l, "AccountRef"),
                        sign * amount_in(l),
                        ref_in(l, "EntityRef"),
                        l.child_text("Memo"),
                    );
                }
            }
            _ => {}
        }
    }
    out
}
