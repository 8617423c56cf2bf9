//! The sample company file: a chart of accounts, standard lists, items of every supported type,
//! vendors, employees and customers (some with jobs, some inactive), then about six months of
//! transactions in date order — invoices with lines, payments (full and partial) applied to
//! them, deposits of those payments, sales receipts, credit memos, estimates, sales orders,
//! bills with expense and item lines, bill payments, checks, purchase orders and journal
//! entries — and finally a few user edits, voids and deletions. Everything goes through the
//! same write rules as qbXML requests. Deterministic for a given seed (SplitMix64); times are
//! relative to "now".

use super::ids::format_date;
use super::kinds::Kind;
use super::money::fmt_amount;
use super::write::{self, WriteCtx};
use super::State;
use chrono::{Duration, NaiveDate};
use qbsync_qbxml::Element;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
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
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
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
];
const EMP_LAST: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Nakamura",
    "Petrov",
    "Haddad",
    "Kowalski",
    "Moreau",
    "Oyelaran",
];
const COMPANY_A: &[&str] = &[
    "Acme",
    "Summit",
    "Harbor",
    "Pioneer",
    "Redwood",
    "Granite",
    "Bluebird",
    "Cedar",
    "Atlas",
    "Keystone",
    "Northwind",
    "Silverline",
    "Oakridge",
    "Riverbend",
];
const COMPANY_B: &[&str] = &[
    "Supply",
    "Hardware",
    "Lumber",
    "Electric",
    "Plumbing",
    "Builders",
    "Tile",
    "Paint",
    "Glass",
    "Roofing",
    "Logistics",
    "Rentals",
];
const STREETS: &[&str] = &[
    "Main St", "Oak Ave", "Pine Rd", "Elm St", "Cedar Ln", "Lake Dr",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Middlefield", "CA", "94482"),
    ("Bayshore", "CA", "94326"),
    ("Sunnyvale", "CA", "94086"),
    ("Portland", "OR", "97201"),
    ("Reno", "NV", "89501"),
];

fn r(name: &str, id: &str) -> Element {
    Element::new(name).leaf("ListID", id)
}

fn address(rng: &mut Rng, name: &str) -> Element {
    let (city, state, zip) = *rng.pick(CITIES);
    Element::new(name)
        .leaf(
            "Addr1",
            format!("{} {}", 100 + rng.below(9800), rng.pick(STREETS)),
        )
        .leaf("City", city)
        .leaf("State", state)
        .leaf("PostalCode", zip)
}

struct Seeder<'a> {
    st: &'a mut State,
    rng: Rng,
    last_t: i64,
    failures: usize,
}

impl Seeder<'_> {
    fn at(&mut self, t: i64) -> WriteCtx {
        let t = t.max(self.last_t + 1);
        self.last_t = t;
        WriteCtx {
            now: t,
            today: self.st.zone().date(t),
        }
    }

    fn add(&mut self, kind: Kind, t: i64, e: Element) -> Option<String> {
        let ctx = self.at(t);
        match write::add(&mut self.st.store, kind, &e, &ctx) {
            Ok(id) => Some(id),
            Err(s) => {
                self.failures += 1;
                tracing::debug!(kind = kind.name(), status = s.code, msg = %s.message, "seed add refused");
                None
            }
        }
    }

    /// Adds a named list record, retrying with a numeric suffix when the name is taken.
    fn add_named(&mut self, kind: Kind, t: i64, e: Element, name: &str) -> Option<String> {
        for n in 0..20 {
            let candidate = if n == 0 {
                name.to_string()
            } else {
                format!("{name} {}", n + 1)
            };
            let mut e2 = e.clone();
            e2.children
                .insert(0, Element::new("Name").with_text(candidate));
            let ctx = self.at(t);
            match write::add(&mut self.st.store, kind, &e2, &ctx) {
                Ok(id) => return Some(id),
                Err(s) if s.code == 3100 => continue,
                Err(s) => {
                    self.failures += 1;
                    tracing::debug!(kind = kind.name(), status = s.code, msg = %s.message, "seed add refused");
                    return None;
                }
            }
        }
        None
    }

    fn modify(&mut self, kind: Kind, id: &str, t: i64, fields: Element) {
        let ctx = self.at(t);
        if write::apply_mod(&mut self.st.store, kind, id, &fields, &ctx, false).is_err() {
            self.failures += 1;
        }
    }
}

struct Accounts {
    checking: String,
    ar: String,
    undeposited: String,
    inventory: String,
    ap: String,
    equity: String,
    sales: String,
    services: String,
    cogs: String,
    expenses: Vec<String>,
}

struct Items {
    sales: Vec<String>,
    inventory: Vec<String>,
}

fn accounts(s: &mut Seeder<'_>, t0: i64) -> Accounts {
    let mut ids: Vec<(String, String)> = Vec::new();
    let chart: &[(&str, &str, Option<&str>, &str)] = &[
        ("Checking", "Bank", None, "1000"),
        ("Savings", "Bank", None, "1010"),
        ("Accounts Receivable", "AccountsReceivable", None, "1200"),
        ("Undeposited Funds", "OtherCurrentAsset", None, "1499"),
        ("Inventory Asset", "OtherCurrentAsset", None, "1120"),
        ("Furniture and Equipment", "FixedAsset", None, "1500"),
        ("Accounts Payable", "AccountsPayable", None, "2000"),
        ("Payroll Liabilities", "OtherCurrentLiability", None, "2100"),
        ("Loan Payable", "LongTermLiability", None, "2700"),
        ("Opening Balance Equity", "Equity", None, "3000"),
        ("Owner's Equity", "Equity", None, "3100"),
        ("Sales", "Income", None, "4000"),
        ("Services", "Income", None, "4100"),
        ("Installation", "Income", Some("Services"), "4110"),
        ("Cost of Goods Sold", "CostOfGoodsSold", None, "5000"),
        ("Advertising", "Expense", None, "6000"),
        ("Bank Service Charges", "Expense", None, "6100"),
        ("Insurance", "Expense", None, "6200"),
        ("Office Supplies", "Expense", None, "6300"),
        ("Rent", "Expense", None, "6400"),
        ("Repairs and Maintenance", "Expense", None, "6500"),
        ("Utilities", "Expense", None, "6600"),
        ("Electric", "Expense", Some("Utilities"), "6610"),
        ("Water", "Expense", Some("Utilities"), "6620"),
        ("Interest Income", "OtherIncome", None, "7000"),
    ];
    for (i, (name, ty, parent, number)) in chart.iter().enumerate() {
        let mut e = Element::new("AccountAdd")
            .leaf("Name", *name)
            .leaf("IsActive", "true");
        if let Some(p) = parent {
            if let Some((_, pid)) = ids.iter().find(|(n, _)| n == p) {
                e = e.child(r("ParentRef", pid));
            }
        }
        e = e.leaf("AccountType", *ty).leaf("AccountNumber", *number);
        if let Some(id) = s.add(Kind::Account, t0 + i as i64 * 60, e) {
            ids.push((name.to_string(), id));
        }
    }
    let get = |n: &str| {
        ids.iter()
            .find(|(x, _)| x == n)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };
    Accounts {
        checking: get("Checking"),
        ar: get("Accounts Receivable"),
        undeposited: get("Undeposited Funds"),
        inventory: get("Inventory Asset"),
        ap: get("Accounts Payable"),
        equity: get("Opening Balance Equity"),
        sales: get("Sales"),
        services: get("Services"),
        cogs: get("Cost of Goods Sold"),
        expenses: [
            "Advertising",
            "Office Supplies",
            "Rent",
            "Repairs and Maintenance",
            "Electric",
            "Water",
            "Insurance",
            "Bank Service Charges",
        ]
        .iter()
        .map(|n| get(n))
        .collect(),
    }
}

struct Lists {
    terms: Vec<String>,
    methods: Vec<String>,
    customer_types: Vec<String>,
    classes: Vec<String>,
}

fn lists(s: &mut Seeder<'_>, t0: i64) -> Lists {
    let mut t = t0;
    let mut next = || {
        t += 60;
        t
    };
    let mut terms = Vec::new();
    for (name, days) in [
        ("Due on receipt", 0),
        ("Net 15", 15),
        ("Net 30", 30),
        ("Net 60", 60),
    ] {
        let e = Element::new("StandardTermsAdd")
            .leaf("Name", name)
            .leaf("IsActive", "true")
            .leaf("StdDueDays", days.to_string());
        terms.extend(s.add(Kind::StandardTerms, next(), e));
    }
    let mut methods = Vec::new();
    for (name, ty) in [
        ("Cash", "Cash"),
        ("Check", "Check"),
        ("Visa", "Visa"),
        ("MasterCard", "MasterCard"),
        ("American Express", "AmericanExpress"),
    ] {
        let e = Element::new("PaymentMethodAdd")
            .leaf("Name", name)
            .leaf("IsActive", "true")
            .leaf("PaymentMethodType", ty);
        methods.extend(s.add(Kind::PaymentMethod, next(), e));
    }
    for name in ["UPS", "FedEx", "USPS"] {
        let e = Element::new("ShipMethodAdd").leaf("Name", name);
        s.add(Kind::ShipMethod, next(), e);
    }
    for (name, taxable) in [("Tax", "true"), ("Non", "false")] {
        let e = Element::new("SalesTaxCodeAdd")
            .leaf("Name", name)
            .leaf("IsActive", "true")
            .leaf("IsTaxable", taxable);
        s.add(Kind::SalesTaxCode, next(), e);
    }
    let mut customer_types = Vec::new();
    for name in ["Residential", "Commercial"] {
        customer_types.extend(s.add(
            Kind::CustomerType,
            next(),
            Element::new("CustomerTypeAdd").leaf("Name", name),
        ));
    }
    for name in ["Suppliers", "Subcontractors"] {
        s.add(
            Kind::VendorType,
            next(),
            Element::new("VendorTypeAdd").leaf("Name", name),
        );
    }
    let mut classes = Vec::new();
    for name in ["East", "West"] {
        classes.extend(s.add(
            Kind::Class,
            next(),
            Element::new("ClassAdd").leaf("Name", name),
        ));
    }
    if let Some(west) = classes.get(1).cloned() {
        let e = Element::new("ClassAdd")
            .leaf("Name", "Coastal")
            .child(r("ParentRef", &west));
        classes.extend(s.add(Kind::Class, next(), e));
    }
    Lists {
        terms,
        methods,
        customer_types,
        classes,
    }
}

fn items(s: &mut Seeder<'_>, t0: i64, a: &Accounts) -> Items {
    let mut t = t0;
    let mut sales = Vec::new();
    let mut inventory = Vec::new();
    let services = [
        ("Design", "Custom design work", "75.00", &a.services),
        ("Installation", "Installation labor", "55.00", &a.services),
        (
            "Consulting",
            "Consulting by the hour",
            "120.00",
            &a.services,
        ),
        ("Repairs", "Repair work", "65.00", &a.services),
        ("Hauling", "Debris hauling", "40.00", &a.services),
    ];
    let mut installation = None;
    for (name, desc, price, acct) in services {
        t += 60;
        let e = Element::new("ItemServiceAdd").leaf("Name", name).child(
            Element::new("SalesOrPurchase")
                .leaf("Desc", desc)
                .leaf("Price", price)
                .child(r("AccountRef", acct)),
        );
        if let Some(id) = s.add(Kind::ItemService, t, e) {
            if name == "Installation" {
                installation = Some(id.clone());
            }
            sales.push(id);
        }
    }
    if let Some(parent) = installation {
        t += 60;
        let e = Element::new("ItemServiceAdd")
            .leaf("Name", "Tile")
            .child(r("ParentRef", &parent))
            .child(
                Element::new("SalesOrPurchase")
                    .leaf("Desc", "Tile installation")
                    .leaf("Price", "62.50")
                    .child(r("AccountRef", &a.services)),
            );
        sales.extend(s.add(Kind::ItemService, t, e));
    }
    for (name, desc, price, cost) in [
        ("Lumber", "Framing lumber, per board", "6.75", "4.10"),
        ("Drywall", "Drywall sheet", "14.00", "9.25"),
        ("Paint", "Interior paint, gallon", "38.00", "24.00"),
    ] {
        t += 60;
        let e = Element::new("ItemNonInventoryAdd")
            .leaf("Name", name)
            .child(
                Element::new("SalesAndPurchase")
                    .leaf("SalesDesc", desc)
                    .leaf("SalesPrice", price)
                    .child(r("IncomeAccountRef", &a.sales))
                    .leaf("PurchaseDesc", desc)
                    .leaf("PurchaseCost", cost)
                    .child(r("ExpenseAccountRef", &a.cogs)),
            );
        sales.extend(s.add(Kind::ItemNonInventory, t, e));
    }
    for (name, desc, price, cost, qty) in [
        (
            "Cabinets",
            "Kitchen cabinet set",
            "1450.00",
            "900.00",
            "400",
        ),
        (
            "Door Hardware",
            "Door handle and lock set",
            "45.00",
            "27.50",
            "1500",
        ),
        (
            "Light Fixtures",
            "Ceiling light fixture",
            "120.00",
            "70.00",
            "800",
        ),
        ("Sump Pump", "Basement sump pump", "389.99", "240.00", "300"),
    ] {
        t += 60;
        let e = Element::new("ItemInventoryAdd")
            .leaf("Name", name)
            .leaf("SalesDesc", desc)
            .leaf("SalesPrice", price)
            .child(r("IncomeAccountRef", &a.sales))
            .leaf("PurchaseDesc", desc)
            .leaf("PurchaseCost", cost)
            .child(r("COGSAccountRef", &a.cogs))
            .child(r("AssetAccountRef", &a.inventory))
            .leaf("ReorderPoint", "5")
            .leaf("QuantityOnHand", qty);
        if let Some(id) = s.add(Kind::ItemInventory, t, e) {
            inventory.push(id.clone());
            sales.push(id);
        }
    }
    for (name, desc, price) in [
        ("Delivery", "Delivery charge", "35.00"),
        ("Rush Fee", "Rush order fee", "50.00"),
    ] {
        t += 60;
        let e = Element::new("ItemOtherChargeAdd").leaf("Name", name).child(
            Element::new("SalesOrPurchase")
                .leaf("Desc", desc)
                .leaf("Price", price)
                .child(r("AccountRef", &a.sales)),
        );
        sales.extend(s.add(Kind::ItemOtherCharge, t, e));
    }
    t += 60;
    let e = Element::new("ItemDiscountAdd")
        .leaf("Name", "Loyalty Discount")
        .leaf("ItemDesc", "10% loyalty discount")
        .leaf("DiscountRatePercent", "10.0")
        .child(r("AccountRef", &a.sales));
    s.add(Kind::ItemDiscount, t, e);
    t += 60;
    let e = Element::new("ItemSubtotalAdd")
        .leaf("Name", "Subtotal")
        .leaf("ItemDesc", "Subtotal");
    s.add(Kind::ItemSubtotal, t, e);
    Items { sales, inventory }
}

/// One dated transaction to create.
enum Event {
    Invoice(usize),
    SalesReceipt,
    CreditMemo,
    Estimate,
    SalesOrder,
    Bill(usize),
    Check,
    PurchaseOrder,
    /// Opening cash (0), opening inventory (1) or monthly rent (2), with the amount.
    Journal(u8, i64),
    Deposit,
}

/// Seeds `st` (see the module docs).
pub(crate) fn seed(st: &mut State) {
    let now = st.now();
    let zone = st.zone();
    let n_customers = st.cfg.customers;
    let mut s = Seeder {
        rng: Rng(st.cfg.seed),
        st,
        last_t: 0,
        failures: 0,
    };
    let t0 = now - 400 * 86_400;
    let a = accounts(&mut s, t0);
    let l = lists(&mut s, t0 + 3_600);
    let it = items(&mut s, t0 + 7_200, &a);

    // Vendors, employees, customers (with jobs), spread over the company's first months.
    let n_vendors = (n_customers / 6).max(8);
    let n_employees = (n_customers / 20).max(5);
    let mut t = t0 + 86_400;
    let mut vendors = Vec::new();
    for i in 0..n_vendors {
        t += 1_800;
        let name = format!("{} {}", s.rng.pick(COMPANY_A), s.rng.pick(COMPANY_B));
        let mut e = Element::new("VendorAdd");
        if i % 9 == 8 {
            e = e.leaf("IsActive", "false");
        }
        let addr = address(&mut s.rng, "VendorAddress");
        e = e
            .leaf("CompanyName", name.clone())
            .child(addr)
            .leaf("Phone", format!("555-{:04}", s.rng.below(10_000)))
            .leaf("Email", format!("ap{i}@vendor.example.com"));
        if let Some(net30) = l.terms.get(2) {
            e = e.child(r("TermsRef", net30));
        }
        if let Some(id) = s.add_named(Kind::Vendor, t, e, &name) {
            if i % 9 != 8 {
                vendors.push(id);
            }
        }
    }
    for i in 0..n_employees {
        t += 1_800;
        let first = *s.rng.pick(FIRST);
        let last = EMP_LAST[i % EMP_LAST.len()];
        let mut e = Element::new("EmployeeAdd");
        if i % 6 == 5 {
            e = e.leaf("IsActive", "false");
        }
        e = e
            .leaf("FirstName", first)
            .leaf("LastName", last)
            .leaf("Phone", format!("555-{:04}", s.rng.below(10_000)))
            .leaf(
                "Email",
                format!(
                    "{}.{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
            );
        let suffix = if i >= EMP_LAST.len() {
            format!(" {}", i / EMP_LAST.len() + 1)
        } else {
            String::new()
        };
        s.add_named(Kind::Employee, t, e, &format!("{first} {last}{suffix}"));
    }
    let mut customers: Vec<(String, Option<String>)> = Vec::new();
    for i in 0..n_customers {
        t += 600;
        let first = *s.rng.pick(FIRST);
        let last = *s.rng.pick(LAST);
        let company = i % 3 == 0;
        let name = if company {
            format!("{} {} Co", s.rng.pick(COMPANY_A), last)
        } else {
            format!("{last}, {first}")
        };
        let mut e = Element::new("CustomerAdd");
        let inactive = i % 10 == 9;
        if inactive {
            e = e.leaf("IsActive", "false");
        }
        if company {
            e = e.leaf("CompanyName", name.clone());
        }
        let bill = address(&mut s.rng, "BillAddress");
        e = e
            .leaf("FirstName", first)
            .leaf("LastName", last)
            .child(bill)
            .leaf("Phone", format!("555-{:04}", s.rng.below(10_000)))
            .leaf(
                "Email",
                format!(
                    "{}.{}{i}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
            );
        if let Some(ct) = l.customer_types.get(usize::from(company)) {
            e = e.child(r("CustomerTypeRef", ct));
        }
        let terms = s.rng.pick(&l.terms).clone();
        if !terms.is_empty() {
            e = e.child(r("TermsRef", &terms));
        }
        let Some(id) = s.add_named(Kind::Customer, t, e, &name) else {
            continue;
        };
        if !inactive {
            customers.push((id.clone(), Some(terms.clone())));
        }
        if i % 7 == 3 {
            t += 60;
            let job = Element::new("CustomerAdd")
                .child(r("ParentRef", &id))
                .leaf("JobDesc", "Kitchen remodel")
                .leaf("JobStatus", "InProgress");
            if let Some(jid) = s.add_named(Kind::Customer, t, job, "Kitchen Remodel") {
                if !inactive {
                    customers.push((jid, Some(terms)));
                }
            }
        }
    }

    // Transactions over the last ~180 days.
    let start = zone.date(now) - Duration::days(180);
    let days = 178i64;
    let mut events: Vec<(NaiveDate, u32, Event)> = Vec::new();
    let mut order = 0u32;
    let mut push = |events: &mut Vec<(NaiveDate, u32, Event)>, d: NaiveDate, e: Event| {
        order += 1;
        events.push((d, order, e));
    };
    let day = |rng: &mut Rng| start + Duration::days(rng.below(days as usize) as i64);
    push(&mut events, start, Event::Journal(0, 5_000_000));
    push(&mut events, start, Event::Journal(1, 52_925_000));
    if !customers.is_empty() {
        for i in 0..n_customers * 2 {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::Invoice(i));
        }
        for _ in 0..n_customers / 4 {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::SalesReceipt);
        }
        for _ in 0..(n_customers / 15).max(1) {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::CreditMemo);
        }
        for _ in 0..(n_customers / 8).max(1) {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::Estimate);
        }
        for _ in 0..(n_customers / 12).max(1) {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::SalesOrder);
        }
    }
    if !vendors.is_empty() {
        for i in 0..(n_customers / 3).max(4) {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::Bill(i));
        }
        for _ in 0..(n_customers / 6).max(2) {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::Check);
        }
        for _ in 0..(n_customers / 15).max(1) {
            let d = day(&mut s.rng);
            push(&mut events, d, Event::PurchaseOrder);
        }
    }
    for m in 1..6 {
        push(
            &mut events,
            start + Duration::days(30 * m),
            Event::Journal(2, 250_000),
        );
    }
    let mut d = start + Duration::days(14);
    while d < start + Duration::days(days) {
        push(&mut events, d, Event::Deposit);
        d += Duration::days(14);
    }
    events.sort_by_key(|(d, o, _)| (*d, *o));

    let mut invoice_no = 1000u64;
    let mut receipt_no = 5000u64;
    let mut other_no = 100u64;
    let mut check_no = 2000u64;
    let mut payments: Vec<(NaiveDate, String, String, i64)> = Vec::new(); // (date, invoice, customer, amount)
    let mut bill_payments: Vec<(NaiveDate, String, String)> = Vec::new();
    let mut undeposited: Vec<String> = Vec::new();
    let mut voidable: Vec<String> = Vec::new();
    let mut deletable: Vec<(Kind, String)> = Vec::new();
    let mut ev_index = 0usize;
    // Payments are scheduled as they come due and interleaved by date.
    let mut k = 0;
    while k < events.len() || !payments.is_empty() || !bill_payments.is_empty() {
        let next_event_date = events.get(k).map(|e| e.0);
        let next_payment = payments.iter().map(|p| p.0).min();
        let next_bp = bill_payments.iter().map(|p| p.0).min();
        let due = [next_payment, next_bp].into_iter().flatten().min();
        let take_payment = match (due, next_event_date) {
            (Some(p), Some(e)) => p < e,
            (Some(_), None) => true,
            _ => false,
        };
        if take_payment {
            let date = due.unwrap_or(start);
            let when = zone.start_of(date) + 15 * 3600;
            if zone.date(when) > zone.date(now) - Duration::days(1) {
                payments.clear();
                bill_payments.clear();
                continue;
            }
            if next_payment == Some(date) {
                if let Some(pos) = payments.iter().position(|p| p.0 == date) {
                    let (_, inv, cust, amount) = payments.remove(pos);
                    let e = Element::new("ReceivePaymentAdd")
                        .child(r("CustomerRef", &cust))
                        .leaf("TxnDate", format_date(date))
                        .leaf("RefNumber", format!("{}", 7000 + ev_index))
                        .leaf("TotalAmount", fmt_amount(amount))
                        .child(r(
                            "PaymentMethodRef",
                            s.rng.pick(l.methods.as_slice()).as_str(),
                        ))
                        .child(
                            Element::new("AppliedToTxnAdd")
                                .leaf("TxnID", inv)
                                .leaf("PaymentAmount", fmt_amount(amount)),
                        );
                    ev_index += 1;
                    if let Some(id) = s.add(Kind::ReceivePayment, when, e) {
                        undeposited.push(id);
                    }
                    continue;
                }
            }
            if let Some(pos) = bill_payments.iter().position(|p| p.0 == date) {
                let (_, bill, vendor) = bill_payments.remove(pos);
                check_no += 1;
                let e = Element::new("BillPaymentCheckAdd")
                    .child(r("PayeeEntityRef", &vendor))
                    .child(r("APAccountRef", &a.ap))
                    .leaf("TxnDate", format_date(date))
                    .child(r("BankAccountRef", &a.checking))
                    .leaf("RefNumber", check_no.to_string())
                    .child(Element::new("AppliedToTxnAdd").leaf("TxnID", bill));
                s.add(Kind::BillPaymentCheck, when, e);
            }
            continue;
        }
        let (date, _, ev) = &events[k];
        let date = *date;
        k += 1;
        let when = zone.start_of(date) + 9 * 3600 + s.rng.below(7 * 3600) as i64;
        match ev {
            Event::Invoice(i) => {
                let (cust, terms) = s.rng.pick(&customers).clone();
                invoice_no += 1;
                let mut e = Element::new("InvoiceAdd")
                    .child(r("CustomerRef", &cust))
                    .child(r("ARAccountRef", &a.ar));
                if let Some(c) = l.classes.get(s.rng.below(l.classes.len())) {
                    if i % 4 == 0 {
                        e = e.child(r("ClassRef", c));
                    }
                }
                e = e
                    .leaf("TxnDate", format_date(date))
                    .leaf("RefNumber", invoice_no.to_string());
                if let Some(tm) = terms {
                    e = e.child(r("TermsRef", &tm));
                }
                e = e.leaf("Memo", format!("Thank you for your business ({i})"));
                for _ in 0..1 + s.rng.below(4) {
                    let item = s.rng.pick(&it.sales).clone();
                    e = e.child(
                        Element::new("InvoiceLineAdd")
                            .child(r("ItemRef", &item))
                            .leaf("Quantity", (1 + s.rng.below(8)).to_string()),
                    );
                }
                let Some(id) = s.add(Kind::Invoice, when, e) else {
                    continue;
                };
                let total = s.st.store.get(&id).map_or(0, |r| r.amount("Subtotal"));
                let age = (zone.date(now) - date).num_days();
                if i % 10 < 6 && age > 10 && total > 0 {
                    let amount = if i % 4 == 1 { total / 2 } else { total };
                    let pay_date = date + Duration::days(5 + s.rng.below(35) as i64);
                    payments.push((pay_date, id.clone(), cust.clone(), amount));
                } else if i % 29 == 7 {
                    deletable.push((Kind::Invoice, id.clone()));
                } else if i % 31 == 11 {
                    voidable.push(id.clone());
                }
            }
            Event::SalesReceipt => {
                let (cust, _) = s.rng.pick(&customers).clone();
                receipt_no += 1;
                let item = s.rng.pick(&it.sales).clone();
                let e = Element::new("SalesReceiptAdd")
                    .child(r("CustomerRef", &cust))
                    .leaf("TxnDate", format_date(date))
                    .leaf("RefNumber", receipt_no.to_string())
                    .child(r(
                        "PaymentMethodRef",
                        s.rng.pick(l.methods.as_slice()).as_str(),
                    ))
                    .child(r("DepositToAccountRef", &a.undeposited))
                    .child(
                        Element::new("SalesReceiptLineAdd")
                            .child(r("ItemRef", &item))
                            .leaf("Quantity", (1 + s.rng.below(3)).to_string()),
                    );
                s.add(Kind::SalesReceipt, when, e);
            }
            Event::CreditMemo | Event::Estimate | Event::SalesOrder => {
                let (cust, _) = s.rng.pick(&customers).clone();
                other_no += 1;
                let (kind, agg, line) = match ev {
                    Event::CreditMemo => (Kind::CreditMemo, "CreditMemoAdd", "CreditMemoLineAdd"),
                    Event::Estimate => (Kind::Estimate, "EstimateAdd", "EstimateLineAdd"),
                    _ => (Kind::SalesOrder, "SalesOrderAdd", "SalesOrderLineAdd"),
                };
                let item = s.rng.pick(&it.sales).clone();
                let e = Element::new(agg)
                    .child(r("CustomerRef", &cust))
                    .leaf("TxnDate", format_date(date))
                    .leaf("RefNumber", format!("{}{other_no}", &kind.name()[..1]))
                    .child(
                        Element::new(line)
                            .child(r("ItemRef", &item))
                            .leaf("Quantity", (1 + s.rng.below(5)).to_string()),
                    );
                if let Some(id) = s.add(kind, when, e) {
                    if kind == Kind::Estimate && other_no.is_multiple_of(5) {
                        deletable.push((kind, id));
                    }
                }
            }
            Event::Bill(i) => {
                let vendor = s.rng.pick(&vendors).clone();
                let mut e = Element::new("BillAdd")
                    .child(r("VendorRef", &vendor))
                    .child(r("APAccountRef", &a.ap))
                    .leaf("TxnDate", format_date(date))
                    .leaf("DueDate", format_date(date + Duration::days(30)))
                    .leaf("RefNumber", format!("V-{}", 300 + i))
                    .child(
                        Element::new("ExpenseLineAdd")
                            .child(r("AccountRef", s.rng.pick(a.expenses.as_slice()).as_str()))
                            .leaf("Amount", fmt_amount(5_000 + s.rng.below(80_000) as i64))
                            .leaf("Memo", "Monthly service"),
                    );
                if i % 3 == 0 && !it.inventory.is_empty() {
                    let item = s.rng.pick(&it.inventory).clone();
                    e = e.child(
                        Element::new("ItemLineAdd")
                            .child(r("ItemRef", &item))
                            .leaf("Quantity", (10 + s.rng.below(30)).to_string()),
                    );
                }
                let Some(id) = s.add(Kind::Bill, when, e) else {
                    continue;
                };
                let age = (zone.date(now) - date).num_days();
                if i % 5 < 3 && age > 20 {
                    bill_payments.push((
                        date + Duration::days(10 + s.rng.below(20) as i64),
                        id,
                        vendor,
                    ));
                }
            }
            Event::Check => {
                let vendor = s.rng.pick(&vendors).clone();
                check_no += 1;
                let e = Element::new("CheckAdd")
                    .child(r("AccountRef", &a.checking))
                    .child(r("PayeeEntityRef", &vendor))
                    .leaf("RefNumber", check_no.to_string())
                    .leaf("TxnDate", format_date(date))
                    .leaf("Memo", "Supplies")
                    .child(
                        Element::new("ExpenseLineAdd")
                            .child(r("AccountRef", s.rng.pick(a.expenses.as_slice()).as_str()))
                            .leaf("Amount", fmt_amount(1_000 + s.rng.below(40_000) as i64)),
                    );
                if let Some(id) = s.add(Kind::Check, when, e) {
                    if check_no.is_multiple_of(7) {
                        voidable.push(id);
                    }
                }
            }
            Event::PurchaseOrder => {
                let vendor = s.rng.pick(&vendors).clone();
                other_no += 1;
                let Some(item) = it.inventory.first().cloned() else {
                    continue;
                };
                let e = Element::new("PurchaseOrderAdd")
                    .child(r("VendorRef", &vendor))
                    .leaf("TxnDate", format_date(date))
                    .leaf("RefNumber", format!("PO{other_no}"))
                    .child(
                        Element::new("PurchaseOrderLineAdd")
                            .child(r("ItemRef", &item))
                            .leaf("Quantity", (5 + s.rng.below(20)).to_string()),
                    );
                s.add(Kind::PurchaseOrder, when, e);
            }
            Event::Journal(what, amount) => {
                other_no += 1;
                let rent = a.expenses.get(2).cloned().unwrap_or_default();
                let (debit, credit, memo) = match what {
                    0 => (&a.checking, &a.equity, "Opening balance"),
                    1 => (&a.inventory, &a.equity, "Opening inventory"),
                    _ => (&rent, &a.checking, "Monthly rent"),
                };
                let e = Element::new("JournalEntryAdd")
                    .leaf("TxnDate", format_date(date))
                    .leaf("RefNumber", format!("GJ{other_no}"))
                    .leaf("Memo", memo)
                    .child(
                        Element::new("JournalDebitLine")
                            .child(r("AccountRef", debit))
                            .leaf("Amount", fmt_amount(*amount))
                            .leaf("Memo", memo),
                    )
                    .child(
                        Element::new("JournalCreditLine")
                            .child(r("AccountRef", credit))
                            .leaf("Amount", fmt_amount(*amount))
                            .leaf("Memo", memo),
                    );
                s.add(Kind::JournalEntry, when, e);
            }
            Event::Deposit => {
                if undeposited.is_empty() {
                    continue;
                }
                let mut e = Element::new("DepositAdd")
                    .leaf("TxnDate", format_date(date))
                    .child(r("DepositToAccountRef", &a.checking))
                    .leaf("Memo", "Deposit");
                for p in undeposited.drain(..) {
                    e = e.child(Element::new("DepositLineAdd").leaf("PaymentTxnID", p));
                }
                s.add(Kind::Deposit, when, e);
            }
        }
    }

    // A user at work in the last days: edits, a void, deletions.
    let recent = now - 3 * 86_400;
    let edit_ids: Vec<String> = customers
        .iter()
        .step_by(17)
        .map(|(id, _)| id.clone())
        .take(5)
        .collect();
    for (i, id) in edit_ids.iter().enumerate() {
        let f = Element::new("CustomerMod").leaf("Phone", format!("555-{:04}", 9000 + i));
        s.modify(Kind::Customer, id, recent + i as i64 * 60, f);
    }
    let mut tt = recent + 3_600;
    for id in voidable.iter().take(2) {
        tt += 60;
        let ctx = s.at(tt);
        let kind = s.st.store.get(id).map(|r| r.kind).unwrap_or(Kind::Check);
        let _ = write::void(&mut s.st.store, kind, id, &ctx);
    }
    for (kind, id) in deletable.iter().take(4) {
        tt += 60;
        let ctx = s.at(tt);
        let _ = write::delete_txn(&mut s.st.store, *kind, id, &ctx);
    }
    for i in 0..2 {
        tt += 60;
        if let Some(id) = s.add_named(
            Kind::Customer,
            tt,
            Element::new("CustomerAdd"),
            &format!("Walk-in Prospect {}", i + 1),
        ) {
            tt += 60;
            let ctx = s.at(tt);
            let _ = write::delete_list(&mut s.st.store, Kind::Customer, &id, &ctx);
        }
    }
    let _ = (&a.sales, &a.cogs);
    if s.failures > 0 {
        tracing::warn!(
            failures = s.failures,
            "QuickBooks Desktop seed: some records were refused"
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::qbd::{QbdCompany, QbdConfig};

    #[test]
    fn tiny_and_empty_companies_seed() {
        for customers in [0, 1, 3] {
            let qb = QbdCompany::seeded(QbdConfig {
                customers,
                ..QbdConfig::default()
            });
            let stats = qb.admin().stats();
            assert_eq!(stats.records.get("Account"), Some(&25));
            assert!(stats.records.get("Vendor").copied().unwrap_or(0) >= 8);
        }
    }

    #[test]
    fn seeding_is_deterministic_apart_from_times() {
        let a = QbdCompany::seeded(QbdConfig {
            customers: 15,
            ..QbdConfig::default()
        });
        let b = QbdCompany::seeded(QbdConfig {
            customers: 15,
            ..QbdConfig::default()
        });
        assert_eq!(a.admin().stats().records, b.admin().stats().records);
    }
}
