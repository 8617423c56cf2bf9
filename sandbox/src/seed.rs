//! The deterministic sample company: chart of accounts, items, customers (a few inactive),
//! vendors, invoices with 1–4 lines, payments (full and partial) and sales receipts, with
//! timestamps spread over the three weeks before "now"; then the smaller name lists
//! (`lists`: terms, payment methods, tax, classes, departments, employees) and the other
//! transactions (`txns`: estimates, bills, journal entries, ...). The company's singletons
//! (`company`: CompanyInfo and Preferences, Id "1") come first, company currencies, budgets and
//! attachables last.

use crate::clock::{local_date, meta_time};
use crate::config::SeedSize;
use crate::entities::{round2, seed_insert};
use crate::store::Store;
use serde_json::{json, Map, Value};

mod company;
mod lists;
mod txns;

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

const FIRST: [&str; 40] = [
    "Amy", "Bill", "Carla", "Dylan", "Emily", "Frank", "Grace", "Hector", "Irene", "Jack", "Kate",
    "Liam", "Maria", "Nathan", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tina", "Umar", "Vera",
    "Walter", "Xena", "Yusuf", "Zoe", "Adam", "Bella", "Chris", "Diana", "Ethan", "Fiona",
    "George", "Hannah", "Ivan", "Julia", "Kevin", "Laura", "Mike", "Nina",
];
const LAST: [&str; 40] = [
    "Smith",
    "Johnson",
    "Lee",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Platt",
];
const CITIES: [(&str, &str, &str); 6] = [
    ("Bayshore", "CA", "94326"),
    ("Middlefield", "CA", "94303"),
    ("Sunnyvale", "CA", "94086"),
    ("Palo Alto", "CA", "94301"),
    ("Mountain View", "CA", "94043"),
    ("San Jose", "CA", "95113"),
];
const STREETS: [&str; 6] = [
    "Main St",
    "Oak Ave",
    "Elm St",
    "Park Blvd",
    "Cedar Ln",
    "Hillside Dr",
];
const VENDOR_SUFFIX: [&str; 8] = [
    "Supply",
    "Office Supplies",
    "Hardware",
    "Utilities",
    "Insurance",
    "Books",
    "Lumber",
    "Consulting",
];
/// (name, type, unit price, service?)
const ITEMS: [(&str, f64, bool); 10] = [
    ("Design", 75.0, true),
    ("Installation", 50.0, true),
    ("Gardening", 30.0, true),
    ("Pest Control", 35.0, true),
    ("Trimming", 35.0, true),
    ("Lighting", 120.0, false),
    ("Pump", 15.0, false),
    ("Rocks", 22.5, false),
    ("Sprinklers", 4.0, false),
    ("Soil", 10.0, false),
];
/// (name, AccountType, AccountSubType)
const ACCOUNTS: [(&str, &str, &str); 11] = [
    (
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
    ),
    (
        "Undeposited Funds",
        "Other Current Asset",
        "UndepositedFunds",
    ),
    ("Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    (
        "Cost of Goods Sold",
        "Cost of Goods Sold",
        "SuppliesMaterialsCogs",
    ),
    (
        "Accounts Payable (A/P)",
        "Accounts Payable",
        "AccountsPayable",
    ),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    (
        "Office Expenses",
        "Expense",
        "OfficeGeneralAdministrativeExpenses",
    ),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
];

fn classification(ty: &str) -> &'static str {
    match ty {
        "Bank" | "Other Current Asset" | "Accounts Receivable" => "Asset",
        "Equity" => "Equity",
        "Income" => "Revenue",
        "Accounts Payable" => "Liability",
        _ => "Expense",
    }
}

fn o(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn money(x: f64) -> Value {
    serde_json::Number::from_f64(round2(x))
        .map(Value::Number)
        .unwrap_or(Value::from(0))
}

fn person_name(i: usize) -> (String, String, String) {
    let first = FIRST[i % 40];
    let last = LAST[(i / 40 + i) % 40];
    let round = i / 1600;
    let display = if round == 0 {
        format!("{first} {last}")
    } else {
        format!("{first} {last} {}", round + 1)
    };
    (first.to_string(), last.to_string(), display)
}

/// Seeds `store`; `now` is the sandbox time in seconds.
pub fn seed(store: &mut Store, size: &SeedSize, _realm: &str, now: i64) {
    let mut rng = Rng::new(0x5EED_0000_0000_0001);
    let total = 2
        + ACCOUNTS.len()
        + size.items
        + size.customers
        + size.vendors
        + size.invoices
        + size.payments
        + size.sales_receipts;
    let start = now - 21 * 86_400;
    let span = (21 * 86_400 - 3_600) as f64;
    let mut k = 0usize;
    let mut tick = || {
        k += 1;
        start + (span * k as f64 / total as f64) as i64
    };

    let company_time = start - 86_400 * 30;
    company::seed_singletons(store, company_time);
    // QuickBooks' exchange rates (not company data, no Ids): one per common currency.
    crate::entities::seed_exchange_rates(store, company_time);

    let (
        Some(acc_ti),
        Some(item_ti),
        Some(cust_ti),
        Some(vend_ti),
        Some(inv_ti),
        Some(pay_ti),
        Some(sr_ti),
    ) = (
        store.table_index("Account"),
        store.table_index("Item"),
        store.table_index("Customer"),
        store.table_index("Vendor"),
        store.table_index("Invoice"),
        store.table_index("Payment"),
        store.table_index("SalesReceipt"),
    )
    else {
        return;
    };
    let usd = json!({"value": "USD", "name": "United States Dollar"});

    let mut accounts = std::collections::HashMap::new();
    for (name, ty, sub) in ACCOUNTS {
        let t = tick();
        let id = seed_insert(
            store,
            acc_ti,
            o(
                json!({"Name": name, "FullyQualifiedName": name, "SubAccount": false, "Active": true, "AccountType": ty, "AccountSubType": sub,
                "Classification": classification(ty), "CurrentBalance": 0, "CurrentBalanceWithSubAccounts": 0, "CurrencyRef": usd}),
            ),
            t,
        );
        accounts.insert(name, id);
    }
    let acct_ref = |name: &str| json!({"value": accounts.get(name).copied().unwrap_or(0).to_string(), "name": name});

    // Items.
    let mut items: Vec<(u64, String, f64)> = Vec::with_capacity(size.items);
    for i in 0..size.items {
        let (base, price, service) = ITEMS[i % ITEMS.len()];
        let name = if i < ITEMS.len() {
            base.to_string()
        } else {
            format!("{base} {}", i / ITEMS.len() + 1)
        };
        let income = if service {
            "Services"
        } else {
            "Sales of Product Income"
        };
        let t = tick();
        let id = seed_insert(
            store,
            item_ti,
            o(
                json!({"Name": name, "FullyQualifiedName": name, "Description": format!("{name} ({})", if service {"service"} else {"product"}),
                "Active": true, "Type": if service {"Service"} else {"NonInventory"}, "UnitPrice": price, "Taxable": false, "TrackQtyOnHand": false,
                "Sku": format!("SKU-{:05}", i + 1), "IncomeAccountRef": acct_ref(income)}),
            ),
            t,
        );
        items.push((id, name, price));
    }

    // Customers: the last ~8% are inactive (they get no invoices, so no balance).
    let inactive_from = size.customers - (size.customers * 2).div_ceil(25).min(size.customers);
    let mut customers: Vec<(u64, String)> = Vec::with_capacity(size.customers);
    for i in 0..size.customers {
        let (first, last, display) = person_name(i);
        let active = i < inactive_from;
        let shown = if active {
            display.clone()
        } else {
            format!("{display} (deleted)")
        };
        let (city, state, zip) = CITIES[i % CITIES.len()];
        let t = tick();
        let mut c = o(json!({
            "GivenName": first, "FamilyName": last, "DisplayName": shown, "FullyQualifiedName": shown, "PrintOnCheckName": display,
            "PrimaryEmailAddr": {"Address": format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), i + 1)},
            "PrimaryPhone": {"FreeFormNumber": format!("(650) 555-{:04}", i % 10_000)},
            "BillAddr": {"Line1": format!("{} {}", 100 + i % 900, STREETS[i % STREETS.len()]), "City": city, "CountrySubDivisionCode": state, "PostalCode": zip},
            "Active": active, "Job": false, "BillWithParent": false, "Taxable": false, "Balance": 0, "BalanceWithJobs": 0,
            "PreferredDeliveryMethod": "Print", "CurrencyRef": usd,
        }));
        if i % 3 == 0 {
            c.insert(
                "CompanyName".into(),
                Value::from(format!(
                    "{last} {}",
                    ["Landscaping", "Design", "Builders"][i % 3 / 3 + (i / 3) % 3]
                )),
            );
        }
        let id = seed_insert(store, cust_ti, c, t);
        customers.push((id, display));
    }
    let active_customers = inactive_from;

    for i in 0..size.vendors {
        let base = format!(
            "{} {}",
            LAST[(i * 7 + 3) % 40],
            VENDOR_SUFFIX[(i / 40 + i) % VENDOR_SUFFIX.len()]
        );
        let round = i / 320;
        let name = if round == 0 {
            base
        } else {
            format!("{base} {}", round + 1)
        };
        let t = tick();
        seed_insert(
            store,
            vend_ti,
            o(
                json!({"DisplayName": name, "FullyQualifiedName": name, "CompanyName": name, "PrintOnCheckName": name, "Active": true,
                "PrimaryEmailAddr": {"Address": format!("billing{}@vendor{}.example.com", i + 1, i % 50)},
                "PrimaryPhone": {"FreeFormNumber": format!("(415) 555-{:04}", i % 10_000)},
                "AcctNum": format!("V-{:05}", i + 1), "Balance": 0, "Vendor1099": false, "CurrencyRef": usd}),
            ),
            t,
        );
    }

    let sales_lines = |rng: &mut Rng| -> (Vec<Value>, f64) {
        let n = match size.invoice_lines {
            0 => 1 + rng.below(4),
            fixed => fixed,
        };
        let mut lines = Vec::with_capacity(n + 1);
        let mut total = 0.0;
        for j in 0..n {
            let (iid, name, price) = &items[rng.below(items.len())];
            let qty = (1 + rng.below(10)) as f64;
            let amount = round2(qty * price);
            total += amount;
            lines.push(json!({"Id": (j + 1).to_string(), "LineNum": j + 1, "Description": name, "Amount": amount, "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": iid.to_string(), "name": name}, "Qty": qty, "UnitPrice": price}}));
        }
        lines.push(json!({"Amount": money(total), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}));
        (lines, round2(total))
    };

    // Invoices (only for active customers).
    let mut balances = vec![0.0f64; customers.len()];
    let mut invoices: Vec<(u64, usize, f64)> = Vec::with_capacity(size.invoices);
    if active_customers > 0 && !items.is_empty() {
        for _ in 0..size.invoices {
            let ci = rng.below(active_customers);
            let (cid, cname) = &customers[ci];
            let (lines, total) = sales_lines(&mut rng);
            let t = tick();
            let doc = store.next_doc_number(inv_ti);
            let id = seed_insert(
                store,
                inv_ti,
                o(
                    json!({"DocNumber": doc.to_string(), "TxnDate": local_date(t), "DueDate": local_date(t + 30 * 86_400),
                    "CustomerRef": {"value": cid.to_string(), "name": cname}, "Line": lines, "TotalAmt": money(total), "Balance": money(total),
                    "LinkedTxn": [], "CurrencyRef": usd, "EmailStatus": "NotSet", "PrintStatus": "NeedToPrint",
                    "BillEmail": {"Address": format!("customer{cid}@example.com")}}),
                ),
                t,
            );
            balances[ci] += total;
            invoices.push((id, ci, total));
        }
    }

    // Payments: every other one pays its invoice in full, the rest partially.
    let mut paid = vec![false; invoices.len()];
    for p in 0..size.payments.min(invoices.len()) {
        let mut idx = rng.below(invoices.len());
        let mut guard = 0;
        while paid[idx] && guard < invoices.len() {
            idx = (idx + 1) % invoices.len();
            guard += 1;
        }
        if paid[idx] {
            break;
        }
        paid[idx] = true;
        let (inv_id, ci, total) = invoices[idx];
        let (cid, cname) = &customers[ci];
        let amount = if p % 2 == 0 {
            total
        } else {
            round2((total / 2.0).max(0.01))
        };
        let t = tick();
        let pid = seed_insert(
            store,
            pay_ti,
            o(
                json!({"CustomerRef": {"value": cid.to_string(), "name": cname}, "TotalAmt": amount, "UnappliedAmt": 0, "TxnDate": local_date(t),
                "PaymentRefNum": format!("{}", 5000 + p), "DepositToAccountRef": acct_ref("Undeposited Funds"), "ProcessPayment": false,
                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": inv_id.to_string(), "TxnType": "Invoice"}]}], "CurrencyRef": usd}),
            ),
            t,
        );
        if let Some(rec) = store.live(inv_ti, inv_id) {
            let mut inv = rec.obj.clone();
            inv.insert("Balance".into(), money(total - amount));
            inv.insert(
                "LinkedTxn".into(),
                json!([{"TxnId": pid.to_string(), "TxnType": "Payment"}]),
            );
            inv.insert("SyncToken".into(), Value::from("1"));
            let create = inv
                .get("MetaData")
                .and_then(|m| m.get("CreateTime"))
                .cloned()
                .unwrap_or(Value::Null);
            inv.insert(
                "MetaData".into(),
                json!({"CreateTime": create, "LastUpdatedTime": meta_time(t)}),
            );
            store.put(inv_ti, inv_id, inv, t);
        }
        balances[ci] -= amount;
    }

    for _ in 0..size.sales_receipts {
        if items.is_empty() {
            break;
        }
        let (lines, total) = sales_lines(&mut rng);
        let t = tick();
        let doc = store.next_doc_number(sr_ti);
        let mut sr = o(
            json!({"DocNumber": format!("SR-{doc}"), "TxnDate": local_date(t), "Line": lines, "TotalAmt": money(total), "Balance": 0,
            "DepositToAccountRef": acct_ref("Undeposited Funds"), "CurrencyRef": usd, "PaymentRefNum": format!("{}", 9000 + doc)}),
        );
        if active_customers > 0 {
            let (cid, cname) = &customers[rng.below(active_customers)];
            sr.insert(
                "CustomerRef".into(),
                json!({"value": cid.to_string(), "name": cname}),
            );
        }
        seed_insert(store, sr_ti, sr, t);
    }

    // Customer balances = open invoice balances (a derived field: LastUpdatedTime unchanged).
    for (ci, bal) in balances.iter().enumerate() {
        if bal.abs() < 0.001 {
            continue;
        }
        let cid = customers[ci].0;
        if let Some(rec) = store.live(cust_ti, cid) {
            let mut c = rec.obj.clone();
            c.insert("Balance".into(), money(*bal));
            c.insert("BalanceWithJobs".into(), money(*bal));
            store.put_in_place(cust_ti, cid, c);
        }
    }

    lists::seed_lists(store, size, start);
    txns::seed_transactions(store, size, start, start + 21 * 86_400 - 3_600);
    // After everything else (no older Id moves), in the week before the smaller lists' week.
    company::seed_company_extras(store, size, start - 14 * 86_400, start - 7 * 86_400, now);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query;
    use crate::store::QueryOutput;

    #[test]
    fn small_company_is_coherent_and_deterministic() {
        let mut a = Store::new();
        seed(&mut a, &SeedSize::small(), "1", 1_700_000_000);
        let mut b = Store::new();
        seed(&mut b, &SeedSize::small(), "1", 1_700_000_000);
        let cust = a.table_index("Customer").expect("c");
        let inv = a.table_index("Invoice").expect("i");
        assert_eq!(a.count(cust), 25);
        assert_eq!(a.count(inv), 40);
        assert_eq!(a.count(a.table_index("Payment").expect("p")), 15);
        let q = query::parse("select count(*) from Customer").expect("q");
        assert!(
            matches!(a.query(cust, &q, true), QueryOutput::Count(23)),
            "two inactive customers are hidden"
        );
        let first_a = a.tables[inv].rows.values().next().map(|r| r.obj.clone());
        let first_b = b.tables[inv].rows.values().next().map(|r| r.obj.clone());
        assert_eq!(first_a, first_b);
        // Customer balance = sum of that customer's invoice balances.
        for (cid, c) in &a.tables[cust].rows {
            let sum: f64 = a.tables[inv]
                .rows
                .values()
                .filter(|r| {
                    r.obj["CustomerRef"]["value"]
                        .as_str()
                        .and_then(|s| s.parse::<u64>().ok())
                        == Some(*cid)
                })
                .map(|r| r.obj["Balance"].as_f64().unwrap_or(0.0))
                .sum();
            assert!(
                (c.obj["Balance"].as_f64().unwrap_or(0.0) - sum).abs() < 0.01,
                "customer {cid}"
            );
        }
        // Everything happened before now.
        assert!(a
            .tables
            .iter()
            .all(|t| t.rows.values().all(|r| r.lut < 1_700_000_000)));
    }
}
