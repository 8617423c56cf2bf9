//! The sample company's other transactions: estimates, credit memos, refund receipts, bills
//! and bill payments, vendor credits, purchases, purchase orders, journal entries, deposits,
//! transfers and time activities. Like the smaller lists they are made through the normal
//! business rules, after every other seeded record (so the older Ids do not move); their times
//! are spread over the same three weeks as the invoices', in creation order (a bill payment
//! comes after the bill it pays).

use super::Rng;
use crate::clock::local_date;
use crate::config::SeedSize;
use crate::entities::{self, account_named, round2};
use crate::store::Store;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const EXPENSE_ACCOUNTS: [&str; 3] = ["Office Expenses", "Advertising", "Cost of Goods Sold"];
/// The credit-card account purchases and bill payments by card use; made here when missing.
pub const CARD_ACCOUNT: &str = "Mastercard";
const AP_ACCOUNT: &str = "Accounts Payable (A/P)";

fn o(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Creates one record through the business rules; the stored object (None, logged, if refused).
fn make(store: &mut Store, entity: &str, body: Value, at: i64) -> Option<Map<String, Value>> {
    let ti = store.table_index(entity)?;
    match entities::create(store, ti, o(body), at) {
        Ok(obj) => Some(obj),
        Err(f) => {
            tracing::warn!(entity, fault = %f, "seed record refused");
            None
        }
    }
}

/// Active records of a list, by Id: `(Id, name field, whole object)`.
fn active(store: &Store, entity: &str) -> Vec<(String, Map<String, Value>)> {
    let Some(ti) = store.table_index(entity) else {
        return Vec::new();
    };
    store.tables[ti]
        .rows
        .iter()
        .filter(|(_, r)| !r.deleted && r.active)
        .map(|(id, r)| (id.to_string(), r.obj.clone()))
        .collect()
}

fn has_account_type(store: &Store, ty: &str) -> bool {
    active(store, "Account")
        .iter()
        .any(|(_, a)| a.get("AccountType").and_then(Value::as_str) == Some(ty))
}

fn acct(store: &Store, name: &str) -> Option<Value> {
    account_named(store, name).map(|(id, _)| json!({"value": id.to_string()}))
}

/// A price in cents between `lo` and `hi` dollars.
fn amount(rng: &mut Rng, lo: usize, hi: usize) -> f64 {
    round2((lo * 100 + rng.below((hi - lo) * 100)) as f64 / 100.0)
}

/// Seeds the transactions with times spread over `[start, end)`.
pub(super) fn seed_transactions(store: &mut Store, size: &SeedSize, start: i64, end: i64) {
    let card_needed = size.purchases > 0 || size.bill_payments > 0;
    let vendor_side = size.bills + size.vendor_credits + size.purchase_orders > 0;
    let setup = usize::from(card_needed) + usize::from(vendor_side);
    let total = setup
        + size.estimates
        + size.credit_memos
        + size.refund_receipts
        + size.bills
        + size.bill_payments
        + size.vendor_credits
        + size.purchases
        + size.purchase_orders
        + size.journal_entries
        + size.deposits
        + size.transfers
        + size.time_activities;
    if total == 0 {
        return;
    }
    let from = start + 1_800;
    let step = (end - from).max(total as i64) as f64 / total as f64;
    let mut k = 0usize;
    let mut tick = || {
        let t = from + (step * k as f64) as i64;
        k += 1;
        t
    };
    let mut rng = Rng::new(0x5EED_0000_0000_0002);

    // The chart of accounts has an A/P account and a credit-card account.
    if vendor_side && !has_account_type(store, "Accounts Payable") {
        make(
            store,
            "Account",
            json!({"Name": AP_ACCOUNT, "AccountType": "Accounts Payable", "AccountSubType": "AccountsPayable"}),
            tick(),
        );
    }
    if card_needed && account_named(store, CARD_ACCOUNT).is_none() {
        make(
            store,
            "Account",
            json!({"Name": CARD_ACCOUNT, "AccountType": "Credit Card", "AccountSubType": "CreditCard"}),
            tick(),
        );
    }

    let customers: Vec<String> = active(store, "Customer").into_iter().map(|c| c.0).collect();
    let vendors: Vec<String> = active(store, "Vendor").into_iter().map(|v| v.0).collect();
    let employees: Vec<String> = active(store, "Employee").into_iter().map(|e| e.0).collect();
    let items: Vec<(String, String, f64, bool)> = active(store, "Item")
        .into_iter()
        .map(|(id, it)| {
            let name = it
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let price = it.get("UnitPrice").and_then(Value::as_f64).unwrap_or(10.0);
            let service = it.get("Type").and_then(Value::as_str) == Some("Service");
            (id, name, price, service)
        })
        .collect();
    let net30 = active(store, "Term")
        .into_iter()
        .find(|(_, t)| t.get("Name").and_then(Value::as_str) == Some("Net 30"))
        .map(|(id, _)| json!({"value": id}));
    let payments: Vec<(String, f64)> = active(store, "Payment")
        .into_iter()
        .map(|(id, p)| (id, p.get("TotalAmt").and_then(Value::as_f64).unwrap_or(0.0)))
        .collect();
    let accounts: HashMap<&str, Value> = EXPENSE_ACCOUNTS
        .iter()
        .chain(&["Checking", "Savings", "Services", CARD_ACCOUNT])
        .filter_map(|name| Some((*name, acct(store, name)?)))
        .collect();
    let acc = |name: &str| accounts.get(name).cloned();
    let checking = acc("Checking");
    let savings = acc("Savings");
    let card = acc(CARD_ACCOUNT);
    let services = acc("Services");

    let sales_lines = |rng: &mut Rng, max: usize| -> Vec<Value> {
        (0..1 + rng.below(max))
            .map(|_| {
                let (id, name, price, _) = &items[rng.below(items.len())];
                let qty = (1 + rng.below(5)) as f64;
                json!({"DetailType": "SalesItemLineDetail", "Amount": round2(qty * price), "Description": name,
                       "SalesItemLineDetail": {"ItemRef": {"value": id}, "Qty": qty, "UnitPrice": price}})
            })
            .collect()
    };
    let expense_line = |rng: &mut Rng, account: &str| -> Option<Value> {
        let account_ref = acc(account)?;
        Some(
            json!({"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount(rng, 20, 500), "Description": account,
                    "AccountBasedExpenseLineDetail": {"AccountRef": account_ref}}),
        )
    };
    let item_expense_line = |rng: &mut Rng| -> Value {
        let (id, name, price, _) = &items[rng.below(items.len())];
        let qty = (2 + rng.below(20)) as f64;
        let cost = round2(price * 0.6);
        json!({"DetailType": "ItemBasedExpenseLineDetail", "Amount": round2(qty * cost), "Description": name,
               "ItemBasedExpenseLineDetail": {"ItemRef": {"value": id}, "Qty": qty, "UnitPrice": cost}})
    };

    // Sales forms.
    if !customers.is_empty() && !items.is_empty() {
        for i in 0..size.estimates {
            let t = tick();
            let mut body = json!({"CustomerRef": {"value": customers[rng.below(customers.len())]},
                "Line": sales_lines(&mut rng, 3), "ExpirationDate": local_date(t + 30 * 86_400)});
            if i % 3 == 1 {
                body["TxnStatus"] = json!("Accepted");
                body["AcceptedBy"] = json!("Customer");
                body["AcceptedDate"] = json!(local_date(t + 2 * 86_400));
            }
            make(store, "Estimate", body, t);
        }
        for _ in 0..size.credit_memos {
            let body = json!({"CustomerRef": {"value": customers[rng.below(customers.len())]},
                "Line": sales_lines(&mut rng, 1), "PrivateNote": "Returned goods"});
            make(store, "CreditMemo", body, tick());
        }
        for _ in 0..size.refund_receipts {
            let mut body = json!({"CustomerRef": {"value": customers[rng.below(customers.len())]},
                "Line": sales_lines(&mut rng, 1), "PrivateNote": "Refund by cheque"});
            if let Some(acc) = &checking {
                body["DepositToAccountRef"] = acc.clone();
            }
            make(store, "RefundReceipt", body, tick());
        }
    }

    // Bills and their (partial) payments.
    let mut bills: Vec<(String, String, f64)> = Vec::new();
    if !vendors.is_empty() {
        for i in 0..size.bills {
            let vendor = &vendors[i % vendors.len()];
            let mut lines: Vec<Value> = (0..1 + rng.below(2))
                .filter_map(|j| expense_line(&mut rng, EXPENSE_ACCOUNTS[(i + j) % 3]))
                .collect();
            if i % 4 == 3 && !items.is_empty() {
                lines.push(item_expense_line(&mut rng));
            }
            let mut body = json!({"VendorRef": {"value": vendor}, "DocNumber": format!("{}", 40_017 + i * 37), "Line": lines});
            if let Some(term) = &net30 {
                body["SalesTermRef"] = term.clone();
            }
            if let Some(b) = make(store, "Bill", body, tick()) {
                let id = b["Id"].as_str().unwrap_or("").to_string();
                bills.push((id, vendor.clone(), b["TotalAmt"].as_f64().unwrap_or(0.0)));
            }
        }
    }
    for (j, (bill, vendor, total)) in bills.iter().take(size.bill_payments).enumerate() {
        let paid = round2((total / 2.0).max(0.01));
        let mut body = json!({"VendorRef": {"value": vendor}, "TotalAmt": paid,
            "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": bill, "TxnType": "Bill"}]}]});
        if j % 2 == 1 && card.is_some() {
            body["PayType"] = json!("CreditCard");
            body["CreditCardPayment"] = json!({"CCAccountRef": card});
        } else {
            body["PayType"] = json!("Check");
            body["DocNumber"] = json!(format!("{}", 3_001 + j));
            if let Some(acc) = &checking {
                body["CheckPayment"] =
                    json!({"BankAccountRef": acc, "PrintStatus": "PrintComplete"});
            }
        }
        make(store, "BillPayment", body, tick());
    }

    if !vendors.is_empty() {
        for i in 0..size.vendor_credits {
            let vendor = &vendors[(i + 1) % vendors.len()];
            let lines: Vec<Value> = expense_line(&mut rng, "Cost of Goods Sold")
                .into_iter()
                .collect();
            let body = json!({"VendorRef": {"value": vendor}, "DocNumber": format!("CR-{}", 501 + i),
                "Line": lines, "PrivateNote": "Damaged delivery"});
            make(store, "VendorCredit", body, tick());
        }
    }

    // Purchases: cash, cheque, card by turns.
    for i in 0..size.purchases {
        let t = tick();
        let (ty, account) = match i % 3 {
            2 if card.is_some() => ("CreditCard", card.clone()),
            1 => ("Check", checking.clone()),
            _ => ("Cash", checking.clone()),
        };
        let Some(account) = account else { continue };
        let lines: Vec<Value> = expense_line(&mut rng, EXPENSE_ACCOUNTS[i % 2])
            .into_iter()
            .collect();
        let mut body = json!({"PaymentType": ty, "AccountRef": account, "Line": lines});
        if !vendors.is_empty() {
            body["EntityRef"] =
                json!({"value": vendors[(i + 2) % vendors.len()], "type": "Vendor"});
        }
        if ty == "Check" {
            body["DocNumber"] = json!(format!("{}", 2_001 + i));
        }
        make(store, "Purchase", body, t);
    }

    if !vendors.is_empty() && !items.is_empty() {
        for i in 0..size.purchase_orders {
            let lines: Vec<Value> = (0..1 + rng.below(2))
                .map(|_| item_expense_line(&mut rng))
                .collect();
            let mut body =
                json!({"VendorRef": {"value": vendors[(i + 3) % vendors.len()]}, "Line": lines});
            if i % 2 == 1 {
                body["POStatus"] = json!("Closed");
            }
            make(store, "PurchaseOrder", body, tick());
        }
    }

    // Balanced journal entries.
    for i in 0..size.journal_entries {
        let t = tick();
        let line = |amount: f64, posting: &str, account: &str| -> Option<Value> {
            Some(
                json!({"DetailType": "JournalEntryLineDetail", "Amount": amount, "Description": format!("{posting} {account}"),
                        "JournalEntryLineDetail": {"PostingType": posting, "AccountRef": acc(account)?}}),
            )
        };
        let lines: Option<Vec<Value>> = if i % 2 == 0 {
            let a = amount(&mut rng, 50, 900);
            [
                line(a, "Debit", "Office Expenses"),
                line(a, "Credit", "Checking"),
            ]
            .into_iter()
            .collect()
        } else {
            let (a, b) = (amount(&mut rng, 50, 400), amount(&mut rng, 50, 400));
            [
                line(a, "Debit", "Advertising"),
                line(b, "Debit", "Office Expenses"),
                line(round2(a + b), "Credit", "Savings"),
            ]
            .into_iter()
            .collect()
        };
        let Some(lines) = lines else { continue };
        let body = json!({"DocNumber": format!("ADJ-{}", 101 + i), "Line": lines, "PrivateNote": "Month-end accrual"});
        make(store, "JournalEntry", body, t);
    }

    // Deposits: a payment out of Undeposited Funds plus a cash sale.
    for i in 0..size.deposits {
        let t = tick();
        let (Some(bank), Some(income)) = (&checking, &services) else {
            continue;
        };
        let mut lines = Vec::new();
        if let Some((pid, amt)) = payments.get(i) {
            lines.push(json!({"Amount": amt, "LinkedTxn": [{"TxnId": pid, "TxnType": "Payment", "TxnLineId": "0"}]}));
        }
        lines.push(json!({"DetailType": "DepositLineDetail", "Amount": amount(&mut rng, 40, 300), "Description": "Cash sale",
                          "DepositLineDetail": {"AccountRef": income}}));
        make(
            store,
            "Deposit",
            json!({"DepositToAccountRef": bank, "Line": lines}),
            t,
        );
    }

    for i in 0..size.transfers {
        let t = tick();
        let (Some(from), Some(to)) = (&checking, &savings) else {
            continue;
        };
        let body = json!({"FromAccountRef": from, "ToAccountRef": to, "Amount": 500 * (i + 1), "PrivateNote": "To savings"});
        make(store, "Transfer", body, t);
    }

    // Time: employees' (every third one a vendor's), billable to customers.
    let service = items.iter().find(|it| it.3).or(items.first());
    for i in 0..size.time_activities {
        let t = tick();
        let mut body = if (i % 3 == 2 || employees.is_empty()) && !vendors.is_empty() {
            json!({"NameOf": "Vendor", "VendorRef": {"value": vendors[i % vendors.len()]}})
        } else if !employees.is_empty() {
            json!({"NameOf": "Employee", "EmployeeRef": {"value": employees[i % employees.len()]}})
        } else {
            continue;
        };
        body["Hours"] = json!(1 + rng.below(8));
        body["Minutes"] = json!([0, 15, 30, 45][rng.below(4)]);
        body["Description"] = json!("Garden maintenance");
        if !customers.is_empty() {
            body["CustomerRef"] = json!({"value": customers[rng.below(customers.len())]});
            body["BillableStatus"] = json!("Billable");
        }
        if let Some((id, _, price, _)) = service {
            body["ItemRef"] = json!({"value": id});
            body["HourlyRate"] = json!(price);
        }
        make(store, "TimeActivity", body, t);
    }
}

#[cfg(test)]
mod tests {
    use super::super::seed;
    use crate::config::SeedSize;
    use crate::store::Store;
    use serde_json::{Map, Value};

    fn all(s: &Store, entity: &str) -> Vec<Map<String, Value>> {
        let ti = s.table_index(entity).expect(entity);
        s.tables[ti]
            .rows
            .values()
            .filter(|r| !r.deleted)
            .map(|r| r.obj.clone())
            .collect()
    }

    const COUNTS: [(&str, usize); 12] = [
        ("Estimate", 3),
        ("CreditMemo", 2),
        ("RefundReceipt", 1),
        ("Bill", 4),
        ("BillPayment", 2),
        ("VendorCredit", 1),
        ("Purchase", 3),
        ("PurchaseOrder", 2),
        ("JournalEntry", 2),
        ("Deposit", 1),
        ("Transfer", 1),
        ("TimeActivity", 3),
    ];

    #[test]
    fn small_company_transactions() {
        let mut s = Store::new();
        seed(&mut s, &SeedSize::small(), "1", 1_700_000_000);
        for (entity, n) in COUNTS {
            assert_eq!(all(&s, entity).len(), n, "{entity}");
        }
        // Two bills partly paid; vendor balances = open bill balances.
        let bills = all(&s, "Bill");
        let partly: Vec<&Map<String, Value>> = bills
            .iter()
            .filter(|b| b["Balance"].as_f64() < b["TotalAmt"].as_f64())
            .collect();
        assert_eq!(partly.len(), 2);
        assert!(partly.iter().all(|b| b["Balance"].as_f64() > Some(0.0)
            && b["LinkedTxn"].as_array().map(Vec::len) == Some(1)));
        for v in all(&s, "Vendor") {
            let open: f64 = bills
                .iter()
                .filter(|b| b["VendorRef"]["value"] == v["Id"])
                .filter_map(|b| b["Balance"].as_f64())
                .sum();
            let bal = v["Balance"].as_f64().unwrap_or(0.0);
            assert!((bal - open).abs() < 0.01, "vendor {}", v["Id"]);
        }
        // Journal entries balance; one purchase of each payment type.
        for je in all(&s, "JournalEntry") {
            let sum = |p: &str| -> f64 {
                je["Line"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|l| l["JournalEntryLineDetail"]["PostingType"] == p)
                    .filter_map(|l| l["Amount"].as_f64())
                    .sum()
            };
            assert!((sum("Debit") - sum("Credit")).abs() < 0.001);
            assert_eq!(je["TotalAmt"].as_f64(), Some(sum("Debit")));
        }
        let types: Vec<Value> = all(&s, "Purchase")
            .iter()
            .map(|p| p["PaymentType"].clone())
            .collect();
        assert_eq!(types, ["Cash", "Check", "CreditCard"].map(Value::from));
        let kinds: Vec<Value> = all(&s, "TimeActivity")
            .iter()
            .map(|t| t["NameOf"].clone())
            .collect();
        assert_eq!(kinds, ["Employee", "Employee", "Vendor"].map(Value::from));
        let statuses: Vec<Value> = all(&s, "Estimate")
            .iter()
            .map(|e| e["TxnStatus"].clone())
            .collect();
        assert_eq!(
            statuses,
            ["Pending", "Accepted", "Pending"].map(Value::from)
        );
        // After everything else: the older Ids stay put; all times before now.
        let emp = s.table_index("Employee").expect("e");
        let last_emp = s.tables[emp].rows.keys().max().copied().unwrap_or(0);
        assert_eq!(last_emp, 146);
        for (entity, _) in COUNTS {
            let ti = s.table_index(entity).expect(entity);
            assert!(
                s.tables[ti].rows.keys().all(|id| *id > last_emp),
                "{entity}"
            );
        }
        assert!(s
            .tables
            .iter()
            .all(|t| t.rows.values().all(|r| r.lut < 1_700_000_000)));
        // Deterministic.
        let mut again = Store::new();
        seed(&mut again, &SeedSize::small(), "1", 1_700_000_000);
        for (entity, _) in COUNTS {
            assert_eq!(all(&s, entity), all(&again, entity), "{entity}");
        }
    }

    #[test]
    fn scaled_and_empty() {
        let mut s = Store::new();
        let size = SeedSize::scaled(250);
        seed(&mut s, &size, "1", 1_700_000_000);
        assert_eq!(all(&s, "Bill").len(), size.bills);
        assert_eq!(all(&s, "BillPayment").len(), size.bill_payments);
        assert_eq!(all(&s, "JournalEntry").len(), size.journal_entries);
        assert_eq!(all(&s, "TimeActivity").len(), size.time_activities);
        assert_eq!(all(&s, "Deposit").len(), size.deposits);
        let mut empty = Store::new();
        seed(&mut empty, &SeedSize::empty(), "1", 1_700_000_000);
        for (entity, _) in COUNTS {
            assert!(all(&empty, entity).is_empty(), "{entity}");
        }
        assert_eq!(
            all(&empty, "Account").len(),
            11,
            "no card account without purchases"
        );
    }
}
