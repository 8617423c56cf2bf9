//! Multicurrency (fields per Finance.xsd: `CurrencyRef`, `ExchangeRate`, `HomeTotalAmt`,
//! `HomeBalance`; the `ExchangeRate` entity). Off by default (Preferences
//! `CurrencyPrefs.MultiCurrencyEnabled`); once on it stays on. With it off every amount is in
//! the home currency and transactions carry no exchange rate; with it on, customers, vendors
//! and some accounts may be in a currency of the CompanyCurrency list, every transaction gets an
//! `ExchangeRate` (home units per foreign unit; 1 for the home currency) and the home-currency
//! amounts the XSD gives it.

use super::lists::{currency_name, home_currency, is_iso_currency};
use super::{money, num, old_id, opt_money, str_field, Obj};
use crate::clock::{local_date, meta_time};
use crate::fault::Fault;
use crate::store::{RateEntry, Store};
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Who fixes a transaction's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Customer,
    Vendor,
    /// Purchase: its `EntityRef` (a vendor or customer; an employee has no currency).
    Payee,
    /// Deposit, JournalEntry, Transfer: nobody (home currency unless sent).
    Nobody,
}

/// The transactions with `CurrencyRef` and `ExchangeRate` (XSD `Transaction`), by party.
fn party_of(entity: &str) -> Option<Party> {
    Some(match entity {
        "Invoice" | "Estimate" | "SalesReceipt" | "CreditMemo" | "RefundReceipt" | "Payment" => {
            Party::Customer
        }
        "Bill" | "BillPayment" | "VendorCredit" | "PurchaseOrder" => Party::Vendor,
        "Purchase" => Party::Payee,
        "Deposit" | "JournalEntry" | "Transfer" => Party::Nobody,
        _ => return None,
    })
}

/// XSD: `HomeTotalAmt` is on SalesTransaction (Invoice, SalesReceipt, Estimate, CreditMemo,
/// RefundReceipt), Deposit and JournalEntry.
fn has_home_total(entity: &str) -> bool {
    matches!(
        entity,
        "Invoice"
            | "SalesReceipt"
            | "Estimate"
            | "CreditMemo"
            | "RefundReceipt"
            | "Deposit"
            | "JournalEntry"
    )
}

/// XSD: `HomeBalance` is on SalesTransaction and Bill (kept where the object has a Balance).
fn has_home_balance(entity: &str) -> bool {
    matches!(
        entity,
        "Invoice" | "SalesReceipt" | "CreditMemo" | "RefundReceipt" | "Bill"
    )
}

/// Fields QuickBooks computes from the exchange rate (never taken from a body).
pub(super) const HOME_FIELDS: &[&str] = &["HomeTotalAmt", "HomeBalance"];

pub(super) fn multicurrency_enabled(store: &Store) -> bool {
    store
        .singleton("Preferences")
        .and_then(|p| p.get("CurrencyPrefs"))
        .and_then(|c| c.get("MultiCurrencyEnabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The currency code of a `CurrencyRef` (`{"value":"EUR"}` or `"EUR"`), upper-cased.
fn code_of(v: &Value) -> Option<String> {
    let raw = match v {
        Value::Object(m) => m.get("value")?.as_str()?,
        Value::String(s) => s.as_str(),
        _ => return None,
    };
    let c = raw.trim().to_ascii_uppercase();
    (!c.is_empty()).then_some(c)
}

/// The currency of a stored object (the home currency when it has none).
fn currency_of(obj: &Obj, home: &str) -> String {
    obj.get("CurrencyRef")
        .and_then(code_of)
        .unwrap_or_else(|| home.to_string())
}

fn currency_ref(code: &str) -> Value {
    json!({"value": code, "name": currency_name(code)})
}

fn rate_value(rate: f64) -> Value {
    serde_json::Number::from_f64(rate)
        .map(Value::Number)
        .unwrap_or(Value::from(1))
}

/// The code a body's `CurrencyRef` names (None when absent; 2500 when it names nothing).
fn sent_code(w: &Obj) -> Result<Option<String>, Fault> {
    match w.get("CurrencyRef") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => code_of(v)
            .map(Some)
            .ok_or_else(|| Fault::invalid_reference("CurrencyRef")),
    }
}

/// A currency an object may use: the home currency always; another one only with
/// multicurrency on (6000 otherwise) and when it is an active CompanyCurrency (2500 when not
/// in the list, 610 when inactive).
fn check_currency(store: &Store, code: &str) -> Result<(), Fault> {
    let home = home_currency(store);
    if code == home {
        return Ok(());
    }
    if !multicurrency_enabled(store) {
        return Err(Fault::business(format!(
            "Multicurrency is not turned on for this company: amounts can only be in the home currency {home}, not {code}."
        )));
    }
    let listed = store.table_index("CompanyCurrency").and_then(|ti| {
        store.tables[ti]
            .rows
            .values()
            .find(|r| !r.deleted && r.obj.get("Code").and_then(Value::as_str) == Some(code))
    });
    match listed {
        None => Err(Fault::invalid_reference("CurrencyRef")),
        Some(r) if !r.active => Err(Fault::inactive_reference()),
        Some(_) => Ok(()),
    }
}

/// Whether a customer or vendor is named by a live transaction.
fn has_transactions(store: &Store, entity: &str, id: u64) -> bool {
    let (tables, field): (&[&str], &str) = match entity {
        "Customer" => (
            &[
                "Invoice",
                "SalesReceipt",
                "Estimate",
                "CreditMemo",
                "RefundReceipt",
                "Payment",
            ],
            "CustomerRef",
        ),
        "Vendor" => (
            &["Bill", "BillPayment", "VendorCredit", "PurchaseOrder"],
            "VendorRef",
        ),
        _ => return false,
    };
    let id_s = id.to_string();
    let names = |obj: &Obj, f: &str| {
        obj.get(f)
            .and_then(|r| r.get("value"))
            .and_then(Value::as_str)
            == Some(id_s.as_str())
    };
    let in_table = |name: &str, check: &dyn Fn(&Obj) -> bool| {
        store.table_index(name).is_some_and(|ti| {
            store.tables[ti]
                .rows
                .values()
                .any(|r| !r.deleted && check(&r.obj))
        })
    };
    tables.iter().any(|t| in_table(t, &|o| names(o, field)))
        || in_table("Purchase", &|o| {
            names(o, "EntityRef")
                && o.get("EntityRef")
                    .and_then(|r| r.get("type"))
                    .and_then(Value::as_str)
                    == Some(entity)
        })
}

/// Customer and Vendor: `CurrencyRef` defaults to the home currency ([sim] a full update
/// without it keeps the stored one), must be a usable currency, and cannot change once the
/// name has transactions (6000).
pub(super) fn name_currency(
    store: &Store,
    ti: usize,
    w: &mut Obj,
    old: Option<&Obj>,
) -> Result<(), Fault> {
    let home = home_currency(store);
    let old_code = old.and_then(|o| o.get("CurrencyRef")).and_then(code_of);
    let code = sent_code(w)?.or_else(|| old_code.clone()).unwrap_or(home);
    check_currency(store, &code)?;
    let entity = store.entity(ti).name;
    if let (Some(prev), Some(id)) = (old_code.as_deref(), old_id(old)) {
        if prev != code && has_transactions(store, entity, id) {
            return Err(Fault::business(format!(
                "The currency of a {} with transactions cannot be changed ({prev} to {code}).",
                entity.to_lowercase()
            )));
        }
    }
    w.insert("CurrencyRef".into(), currency_ref(&code));
    Ok(())
}

/// Account: `CurrencyRef` defaults to the home currency (kept on a full update without it);
/// only bank, credit card, A/R and A/P accounts may be in a foreign currency (6000).
pub(super) fn account_currency(store: &Store, w: &mut Obj, old: Option<&Obj>) -> Result<(), Fault> {
    let home = home_currency(store);
    let old_code = old.and_then(|o| o.get("CurrencyRef")).and_then(code_of);
    let code = sent_code(w)?.or(old_code).unwrap_or(home.clone());
    check_currency(store, &code)?;
    let ty = str_field(w, "AccountType").unwrap_or("");
    if code != home
        && !matches!(
            ty,
            "Bank" | "Credit Card" | "Accounts Receivable" | "Accounts Payable"
        )
    {
        return Err(Fault::business(format!(
            "Only bank, credit card, accounts receivable and accounts payable accounts can be in a foreign currency; a {ty} account is in {home}."
        )));
    }
    w.insert("CurrencyRef".into(), currency_ref(&code));
    Ok(())
}

fn ref_id(obj: &Obj, field: &str) -> Option<u64> {
    obj.get(field)
        .and_then(|r| r.get("value"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// The currency of the customer/vendor a transaction names, with the noun for messages.
fn party_currency(store: &Store, party: Party, w: &Obj, home: &str) -> Option<(String, String)> {
    let (entity, id) = match party {
        Party::Customer => ("Customer", ref_id(w, "CustomerRef")?),
        Party::Vendor => ("Vendor", ref_id(w, "VendorRef")?),
        Party::Payee => {
            let ty = w
                .get("EntityRef")
                .and_then(|r| r.get("type"))
                .and_then(Value::as_str)?;
            if ty != "Customer" && ty != "Vendor" {
                return None;
            }
            (
                if ty == "Customer" {
                    "Customer"
                } else {
                    "Vendor"
                },
                ref_id(w, "EntityRef")?,
            )
        }
        Party::Nobody => return None,
    };
    let ti = store.table_index(entity)?;
    let rec = store.live(ti, id)?;
    Some((currency_of(&rec.obj, home), entity.to_lowercase()))
}

fn txn_date(w: &Obj, now: i64) -> NaiveDate {
    str_field(w, "TxnDate")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .or_else(|| NaiveDate::parse_from_str(&local_date(now), "%Y-%m-%d").ok())
        .unwrap_or_default()
}

/// A transaction's currency and exchange rate, after its own rules ran (TotalAmt, Balance,
/// TxnDate set): `CurrencyRef` defaults to the customer's/vendor's currency (home if none),
/// must be that currency (6000) and a usable one; the main account (`DepositToAccountRef`,
/// Purchase `AccountRef`) must be in the home or the transaction currency (6000); payments
/// apply only to transactions in their own currency (6000). With multicurrency on,
/// `ExchangeRate` is 1 for the home currency, else the one sent (> 0) or the rate table's for
/// TxnDate, and `HomeTotalAmt`/`HomeBalance` follow; with it off those fields are dropped.
pub(super) fn txn_currency(
    store: &Store,
    entity: &str,
    w: &mut Obj,
    now: i64,
) -> Result<(), Fault> {
    let Some(party) = party_of(entity) else {
        return Ok(());
    };
    let home = home_currency(store);
    let fixed = party_currency(store, party, w, &home);
    let code = sent_code(w)?
        .or_else(|| fixed.as_ref().map(|(c, _)| c.clone()))
        .unwrap_or_else(|| home.clone());
    check_currency(store, &code)?;
    if let Some((theirs, noun)) = &fixed {
        if *theirs != code {
            return Err(Fault::business(format!(
                "The transaction currency {code} does not match the {noun}'s currency {theirs}."
            )));
        }
    }
    for field in ["DepositToAccountRef", "AccountRef"] {
        let account = ref_id(w, field).and_then(|id| store.live(store.table_index("Account")?, id));
        if let Some(acc) = account {
            let c = currency_of(&acc.obj, &home);
            if c != home && c != code {
                return Err(Fault::business(
                    "The currency of the account must be either in home currency or the transaction currency.",
                ));
            }
        }
    }
    w.insert("CurrencyRef".into(), currency_ref(&code));
    check_linked_currencies(store, w, &code, &home)?;
    if !multicurrency_enabled(store) {
        w.remove("ExchangeRate");
        for f in HOME_FIELDS {
            w.remove(*f);
        }
        return Ok(());
    }
    let rate = if code == home {
        1.0
    } else {
        match opt_money(w, "ExchangeRate", "ExchangeRate")? {
            Some(r) if r > 0.0 => r,
            Some(_) => {
                return Err(Fault::business(
                    "The exchange rate must be greater than zero.",
                ))
            }
            None => {
                let day = txn_date(w, now);
                match store.exchange_rate_on(&code, day) {
                    Some((_, e)) => e.rate,
                    None => {
                        return Err(Fault::business(format!(
                            "There is no exchange rate for {code} on {day}: send ExchangeRate."
                        )))
                    }
                }
            }
        }
    };
    w.insert("ExchangeRate".into(), rate_value(rate));
    set_home_amounts(entity, w, rate);
    Ok(())
}

/// `HomeTotalAmt` = TotalAmt × rate and `HomeBalance` = Balance × rate, rounded to cents,
/// where the XSD has them.
fn set_home_amounts(entity: &str, w: &mut Obj, rate: f64) {
    let f = |w: &Obj, k: &str| w.get(k).and_then(Value::as_f64);
    if has_home_total(entity) {
        let total = f(w, "TotalAmt").unwrap_or(0.0);
        w.insert("HomeTotalAmt".into(), num(total * rate));
    }
    if has_home_balance(entity) {
        if let Some(b) = f(w, "Balance") {
            w.insert("HomeBalance".into(), num(b * rate));
        }
    }
}

/// Recomputes the home amounts an object already carries (after its TotalAmt or Balance moved:
/// a payment applied, a void).
pub(super) fn refresh_home_amounts(obj: &mut Obj) {
    let Some(rate) = obj.get("ExchangeRate").and_then(Value::as_f64) else {
        return;
    };
    for (home, base) in [("HomeTotalAmt", "TotalAmt"), ("HomeBalance", "Balance")] {
        if obj.contains_key(home) {
            let v = obj.get(base).and_then(Value::as_f64).unwrap_or(0.0);
            obj.insert(home.into(), num(v * rate));
        }
    }
}

/// A payment (bill payment) line may only link an invoice or credit memo (bill) in the
/// payment's currency (6000).
fn check_linked_currencies(store: &Store, w: &Obj, code: &str, home: &str) -> Result<(), Fault> {
    let Some(Value::Array(lines)) = w.get("Line") else {
        return Ok(());
    };
    for l in lines {
        let Some(Value::Array(links)) = l.get("LinkedTxn") else {
            continue;
        };
        for lt in links {
            let ty = lt.get("TxnType").and_then(Value::as_str).unwrap_or("");
            if !matches!(ty, "Invoice" | "CreditMemo" | "Bill") {
                continue;
            }
            let id = lt
                .get("TxnId")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u64>().ok());
            let Some(rec) = id.and_then(|id| store.live(store.table_index(ty)?, id)) else {
                continue;
            };
            let theirs = currency_of(&rec.obj, home);
            if theirs != code {
                let noun = match ty {
                    "CreditMemo" => "Credit memo",
                    other => other,
                };
                return Err(Fault::business(format!(
                    "{noun} {} is in {theirs}: a payment applied to it must be in {theirs} too, not {code}.",
                    id.unwrap_or(0)
                )));
            }
        }
    }
    Ok(())
}

/// Multicurrency was just turned on: every live transaction gets `ExchangeRate` 1 (they are
/// all in the home currency) and its home amounts, in place ([sim] derived fields: no new
/// SyncToken or LastUpdatedTime).
pub(super) fn backfill_exchange_rates(store: &mut Store) {
    let names: Vec<usize> = (0..store.tables.len())
        .filter(|ti| party_of(store.entity(*ti).name).is_some())
        .collect();
    for ti in names {
        let entity = store.entity(ti).name;
        let todo: Vec<(u64, Obj)> = store.tables[ti]
            .rows
            .iter()
            .filter(|(_, r)| !r.deleted && !r.obj.contains_key("ExchangeRate"))
            .map(|(id, r)| (*id, r.obj.clone()))
            .collect();
        for (id, mut obj) in todo {
            obj.insert("ExchangeRate".into(), rate_value(1.0));
            set_home_amounts(entity, &mut obj, 1.0);
            store.put_in_place(ti, id, obj);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The ExchangeRate entity: `GET /exchangerate?sourcecurrencycode=EUR&asofdate=YYYY-MM-DD` and
// `POST /exchangerate`.

/// [sim] The rates the sample company starts with (USD per unit), from the company's start
/// date on.
const SEED_RATES: &[(&str, f64)] = &[
    ("AED", 0.2723),
    ("ARS", 0.0011),
    ("AUD", 0.66),
    ("BRL", 0.19),
    ("CAD", 0.73),
    ("CHF", 1.12),
    ("CLP", 0.0011),
    ("CNY", 0.138),
    ("COP", 0.00025),
    ("CZK", 0.043),
    ("DKK", 0.145),
    ("EUR", 1.08),
    ("GBP", 1.27),
    ("HKD", 0.128),
    ("HUF", 0.0027),
    ("IDR", 0.000063),
    ("ILS", 0.27),
    ("INR", 0.012),
    ("JPY", 0.0067),
    ("KRW", 0.00073),
    ("MXN", 0.058),
    ("MYR", 0.21),
    ("NOK", 0.094),
    ("NZD", 0.61),
    ("PHP", 0.018),
    ("PLN", 0.25),
    ("SAR", 0.2667),
    ("SEK", 0.095),
    ("SGD", 0.74),
    ("THB", 0.028),
    ("TRY", 0.031),
    ("TWD", 0.031),
    ("ZAR", 0.054),
];

/// Seeds the rate table: one rate per common currency from `at` (the company's start) on.
pub fn seed_exchange_rates(store: &mut Store, at: i64) {
    let Ok(day) = NaiveDate::parse_from_str(&local_date(at), "%Y-%m-%d") else {
        return;
    };
    for (code, rate) in SEED_RATES {
        store.set_exchange_rate(code, day, *rate, at);
    }
}

fn rate_json(
    code: &str,
    home: &str,
    day: NaiveDate,
    rate: f64,
    e: Option<&RateEntry>,
    now: i64,
) -> Value {
    let (st, updated) = e.map(|e| (e.sync_token, e.updated)).unwrap_or((0, now));
    json!({
        "SourceCurrencyCode": code,
        "TargetCurrencyCode": home,
        "Rate": rate_value(rate),
        "AsOfDate": day.format("%Y-%m-%d").to_string(),
        "domain": "QBO",
        "sparse": false,
        "SyncToken": st.to_string(),
        "MetaData": {"LastUpdatedTime": meta_time(updated)},
    })
}

fn require_multicurrency(store: &Store) -> Result<(), Fault> {
    if multicurrency_enabled(store) {
        Ok(())
    } else {
        Err(Fault::business(
            "Multicurrency is not turned on for this company, so it has no exchange rates.",
        ))
    }
}

/// A source currency code: required (2020 naming `field`), ISO 4217 (2170).
fn source_code(raw: Option<&str>, field: &str) -> Result<String, Fault> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(Fault::required_param(field));
    };
    let code = raw.to_ascii_uppercase();
    if !is_iso_currency(&code) {
        return Err(Fault::invalid_enum(field, raw));
    }
    Ok(code)
}

/// A `YYYY-MM-DD` date (today when absent; 2010 when not a date).
fn as_of(raw: Option<&str>, field: &str, now: i64) -> Result<NaiveDate, Fault> {
    let s = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => local_date(now),
    };
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| Fault::unsupported_property(field))
}

/// The rate of `code` as of `day`: the latest set on or before it ([sim] else the earliest
/// after it); the home currency's is always 1. `AsOfDate` is the date asked for.
pub fn read_exchange_rate(
    store: &Store,
    code: &str,
    day: NaiveDate,
    now: i64,
) -> Result<Value, Fault> {
    let home = home_currency(store);
    if code == home {
        return Ok(rate_json(code, &home, day, 1.0, None, now));
    }
    match store.exchange_rate_on(code, day) {
        Some((_, e)) => Ok(rate_json(code, &home, day, e.rate, Some(e), now)),
        None => Err(Fault::business(format!(
            "There is no exchange rate for {code} on {day}."
        ))),
    }
}

/// Sets a rate from a body (`SourceCurrencyCode`, `Rate`, optional `AsOfDate` (today),
/// `TargetCurrencyCode` (the home currency), `SyncToken` (checked against that date's rate:
/// 5010)). The home currency's rate cannot be set (6000), a rate must be > 0 (6000).
pub fn write_exchange_rate(store: &mut Store, body: &Obj, now: i64) -> Result<Value, Fault> {
    let home = home_currency(store);
    let code = source_code(
        body.get("SourceCurrencyCode").and_then(Value::as_str),
        "SourceCurrencyCode",
    )?;
    if code == home {
        return Err(Fault::business(format!(
            "The exchange rate of the home currency {home} is always 1."
        )));
    }
    if let Some(t) = str_field(body, "TargetCurrencyCode") {
        if !t.eq_ignore_ascii_case(&home) {
            return Err(Fault::business(format!(
                "The target currency of an exchange rate must be the home currency {home}."
            )));
        }
    }
    let Some(rate) = body.get("Rate").filter(|v| !v.is_null()) else {
        return Err(Fault::required_param("Rate"));
    };
    let rate = money(rate, "Rate")?;
    if rate <= 0.0 {
        return Err(Fault::business(
            "The exchange rate must be greater than zero.",
        ));
    }
    let day = as_of(
        body.get("AsOfDate").and_then(Value::as_str),
        "AsOfDate",
        now,
    )?;
    if let Some(st) = body.get("SyncToken").filter(|v| !v.is_null()) {
        let sent = match st {
            Value::String(s) => s.trim().parse::<u64>().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        };
        let current = store
            .exchange_rates
            .get(&code)
            .and_then(|d| d.get(&day))
            .map(|e| e.sync_token)
            .unwrap_or(0);
        if sent != Some(current) {
            return Err(Fault::stale_object());
        }
    }
    let e = store.set_exchange_rate(&code, day, rate, now);
    Ok(rate_json(&code, &home, day, e.rate, Some(&e), now))
}

/// The `/exchangerate` route: GET reads (`sourcecurrencycode`, `asofdate`, names
/// case-insensitive), POST sets; both need multicurrency on (6000). Returns the object JSON.
pub fn exchange_rate_request(
    store: &mut Store,
    post: bool,
    params: &HashMap<String, String>,
    body: &[u8],
    now: i64,
) -> Result<String, Fault> {
    require_multicurrency(store)?;
    let v = if post {
        let obj = crate::ops::parse_body(body)?;
        let obj = match obj.get("ExchangeRate") {
            Some(Value::Object(inner)) if obj.len() == 1 => inner.clone(),
            _ => obj,
        };
        write_exchange_rate(store, &obj, now)?
    } else {
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let code = source_code(param("sourcecurrencycode"), "sourcecurrencycode")?;
        let day = as_of(param("asofdate"), "asofdate", now)?;
        read_exchange_rate(store, &code, day, now)?
    };
    Ok(serde_json::to_string(&v).unwrap_or_default())
}

/// For the admin surface: the rate of `code` as of `as_of` (today when empty).
pub fn admin_read_exchange_rate(
    store: &Store,
    code: &str,
    as_of_date: &str,
    now: i64,
) -> Result<Value, Fault> {
    let code = source_code(Some(code), "SourceCurrencyCode")?;
    let day = as_of(Some(as_of_date), "AsOfDate", now)?;
    read_exchange_rate(store, &code, day, now)
}

#[cfg(test)]
mod tests {
    use super::super::{create, seed_singleton, update, void};
    use crate::store::Store;
    use chrono::NaiveDate;
    use qbsync_catalog::VoidStyle;
    use serde_json::{json, Map, Value};

    fn o(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn mk(s: &mut Store, entity: &str, body: Value) -> Map<String, Value> {
        let ti = s.table_index(entity).expect(entity);
        create(s, ti, o(body), 100).expect(entity)
    }

    fn try_mk(s: &mut Store, entity: &str, body: Value) -> String {
        let ti = s.table_index(entity).expect(entity);
        create(s, ti, o(body), 100)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.code().to_string())
    }

    /// A company with multicurrency on, EUR and CAD in the list, and the accounts the
    /// transactions below use.
    fn company() -> Store {
        let mut s = Store::new();
        let pr = s.table_index("Preferences").expect("prefs");
        seed_singleton(
            &mut s,
            pr,
            o(
                json!({"CurrencyPrefs":{"MultiCurrencyEnabled":false,"HomeCurrency":{"value":"USD"}}}),
            ),
            10,
        );
        for code in ["EUR", "CAD"] {
            mk(&mut s, "CompanyCurrency", json!({ "Code": code }));
        }
        s.set_exchange_rate("EUR", day("2030-01-01"), 1.1, 10);
        s.set_exchange_rate("CAD", day("2030-01-01"), 0.75, 10);
        s
    }

    fn turn_on(s: &mut Store) {
        let pr = s.table_index("Preferences").expect("prefs");
        update(
            s,
            pr,
            o(json!({"Id":"1","SyncToken":"0","sparse":true,"CurrencyPrefs":{"MultiCurrencyEnabled":true}})),
            20,
        )
        .expect("on");
    }

    #[test]
    fn rate_table_latest_on_or_before_else_earliest_after() {
        let mut s = Store::new();
        s.set_exchange_rate("EUR", day("2030-01-01"), 1.1, 1);
        s.set_exchange_rate("EUR", day("2030-03-01"), 1.2, 1);
        let at = |s: &Store, d: &str| s.exchange_rate_on("EUR", day(d)).map(|(_, e)| e.rate);
        assert_eq!(at(&s, "2029-06-01"), Some(1.1), "[sim] earliest after");
        assert_eq!(at(&s, "2030-02-28"), Some(1.1));
        assert_eq!(at(&s, "2030-03-01"), Some(1.2));
        assert_eq!(s.exchange_rate_on("CAD", day("2030-03-01")), None);
        // Same rate again: no new SyncToken; a different one: +1.
        assert_eq!(
            s.set_exchange_rate("EUR", day("2030-03-01"), 1.2, 2)
                .sync_token,
            0
        );
        let e = s.set_exchange_rate("EUR", day("2030-03-01"), 1.3, 3);
        assert_eq!((e.sync_token, e.updated), (1, 3));
    }

    #[test]
    fn turning_on_backfills_home_amounts_in_place() {
        let mut s = company();
        let acc = mk(
            &mut s,
            "Account",
            json!({"Name":"Undeposited Funds","AccountType":"Other Current Asset"}),
        );
        let inc = mk(
            &mut s,
            "Account",
            json!({"Name":"Sales","AccountType":"Income"}),
        );
        let c = mk(&mut s, "Customer", json!({"DisplayName":"Ann"}));
        let sr = mk(
            &mut s,
            "SalesReceipt",
            json!({"CustomerRef":{"value":c["Id"]},"Line":[{"DetailType":"SalesItemLineDetail","Amount":20,"SalesItemLineDetail":{}}]}),
        );
        let je = mk(
            &mut s,
            "JournalEntry",
            json!({"Line":[
                {"DetailType":"JournalEntryLineDetail","Amount":5,"JournalEntryLineDetail":{"PostingType":"Debit","AccountRef":{"value":acc["Id"]}}},
                {"DetailType":"JournalEntryLineDetail","Amount":5,"JournalEntryLineDetail":{"PostingType":"Credit","AccountRef":{"value":inc["Id"]}}}]}),
        );
        assert!(sr.get("ExchangeRate").is_none());
        turn_on(&mut s);
        let now = |s: &Store, e: &str, obj: &Map<String, Value>| {
            let ti = s.table_index(e).expect(e);
            let id = obj["Id"].as_str().and_then(|i| i.parse().ok()).expect("id");
            s.live(ti, id).expect("live").obj.clone()
        };
        let sr2 = now(&s, "SalesReceipt", &sr);
        assert_eq!(
            (
                sr2["ExchangeRate"].clone(),
                sr2["HomeTotalAmt"].clone(),
                sr2["HomeBalance"].clone()
            ),
            (json!(1.0), json!(20.0), json!(0.0))
        );
        assert_eq!(sr2["SyncToken"], "0");
        let je2 = now(&s, "JournalEntry", &je);
        assert_eq!(je2["HomeTotalAmt"], json!(5.0));
        assert!(je2.get("HomeBalance").is_none());
    }

    #[test]
    fn names_accounts_and_payees_follow_their_currency() {
        let mut s = company();
        // Off: only the home currency.
        assert_eq!(
            try_mk(
                &mut s,
                "Vendor",
                json!({"DisplayName":"V","CurrencyRef":{"value":"EUR"}})
            ),
            "6000"
        );
        turn_on(&mut s);
        let exp = mk(
            &mut s,
            "Account",
            json!({"Name":"Rent","AccountType":"Expense"}),
        );
        // Only bank, credit card, A/R and A/P accounts may be foreign.
        assert_eq!(
            try_mk(
                &mut s,
                "Account",
                json!({"Name":"Euro Sales","AccountType":"Income","CurrencyRef":{"value":"EUR"}})
            ),
            "6000"
        );
        let cad_bank = mk(
            &mut s,
            "Account",
            json!({"Name":"CAD Bank","AccountType":"Bank","CurrencyRef":{"value":"CAD"}}),
        );
        assert_eq!(cad_bank["CurrencyRef"]["name"], "Canadian Dollar");
        let v = mk(
            &mut s,
            "Vendor",
            json!({"DisplayName":"Euro Vendor","CurrencyRef":{"value":"eur"}}),
        );
        let bill = mk(
            &mut s,
            "Bill",
            json!({"VendorRef":{"value":v["Id"]},"TxnDate":"2030-02-01","Line":[
                {"DetailType":"AccountBasedExpenseLineDetail","Amount":100,"AccountBasedExpenseLineDetail":{"AccountRef":{"value":exp["Id"]}}}]}),
        );
        assert_eq!(
            (bill["ExchangeRate"].clone(), bill["HomeBalance"].clone()),
            (json!(1.1), json!(110.0))
        );
        // The vendor has a bill: its currency stays.
        let vti = s.table_index("Vendor").expect("v");
        let e = update(
            &mut s,
            vti,
            o(json!({"Id":v["Id"],"SyncToken":"0","sparse":true,"CurrencyRef":{"value":"CAD"}})),
            200,
        )
        .unwrap_err();
        assert_eq!(e.code(), "6000");
        // A full update without CurrencyRef keeps it.
        let kept = update(
            &mut s,
            vti,
            o(json!({"Id":v["Id"],"SyncToken":"0","DisplayName":"Euro Vendor"})),
            200,
        )
        .expect("full update");
        assert_eq!(kept["CurrencyRef"]["value"], "EUR");
        // A purchase paid from the CAD bank to the EUR vendor: neither home nor its currency.
        assert_eq!(
            try_mk(
                &mut s,
                "Purchase",
                json!({"AccountRef":{"value":cad_bank["Id"]},"PaymentType":"Cash","EntityRef":{"value":v["Id"],"type":"Vendor"},
                    "Line":[{"DetailType":"AccountBasedExpenseLineDetail","Amount":10,"AccountBasedExpenseLineDetail":{"AccountRef":{"value":exp["Id"]}}}]})
            ),
            "6000"
        );
        // A CAD deposit into the CAD bank is fine; a EUR one is not.
        let dep = |code: &str| {
            json!({"DepositToAccountRef":{"value":cad_bank["Id"]},"CurrencyRef":{"value":code},"TxnDate":"2030-02-01",
                "Line":[{"Amount":40,"DepositLineDetail":{"AccountRef":{"value":exp["Id"]}}}]})
        };
        let d = mk(&mut s, "Deposit", dep("CAD"));
        assert_eq!(
            (d["ExchangeRate"].clone(), d["HomeTotalAmt"].clone()),
            (json!(0.75), json!(30.0))
        );
        assert_eq!(try_mk(&mut s, "Deposit", dep("EUR")), "6000");
        // A switched-off company currency: 610; one not in the list: 2500.
        let cur = s.table_index("CompanyCurrency").expect("cur");
        let cad_id = s.tables[cur]
            .rows
            .iter()
            .find(|(_, r)| r.obj["Code"] == "CAD")
            .map(|(id, _)| id.to_string())
            .expect("cad");
        update(
            &mut s,
            cur,
            o(json!({"Id":cad_id,"SyncToken":"0","sparse":true,"Active":false})),
            300,
        )
        .expect("off");
        assert_eq!(try_mk(&mut s, "Deposit", dep("CAD")), "610");
        assert_eq!(try_mk(&mut s, "Deposit", dep("JPY")), "2500");
        // A customer in a currency outside the list: 2500.
        assert_eq!(
            try_mk(
                &mut s,
                "Customer",
                json!({"DisplayName":"Yen","CurrencyRef":{"value":"JPY"}})
            ),
            "2500"
        );
    }

    #[test]
    fn voiding_a_foreign_invoice_zeroes_its_home_amounts() {
        let mut s = company();
        turn_on(&mut s);
        let c = mk(
            &mut s,
            "Customer",
            json!({"DisplayName":"Eve","CurrencyRef":{"value":"EUR"}}),
        );
        let inv = mk(
            &mut s,
            "Invoice",
            json!({"CustomerRef":{"value":c["Id"]},"TxnDate":"2030-05-01","Line":[{"DetailType":"SalesItemLineDetail","Amount":50,"SalesItemLineDetail":{}}]}),
        );
        assert_eq!(inv["HomeTotalAmt"], json!(55.0));
        let ti = s.table_index("Invoice").expect("inv");
        let v = void(
            &mut s,
            ti,
            o(json!({"Id":inv["Id"],"SyncToken":"0"})),
            VoidStyle::OperationVoid,
            200,
        )
        .expect("void");
        assert_eq!(
            (
                v["HomeTotalAmt"].clone(),
                v["HomeBalance"].clone(),
                v["ExchangeRate"].clone()
            ),
            (json!(0.0), json!(0.0), json!(1.1))
        );
        // A TxnDate before every rate: [sim] the earliest one; no rate at all: 6000.
        let early = mk(
            &mut s,
            "Invoice",
            json!({"CustomerRef":{"value":c["Id"]},"TxnDate":"2001-01-01","Line":[{"DetailType":"SalesItemLineDetail","Amount":10,"SalesItemLineDetail":{}}]}),
        );
        assert_eq!(early["ExchangeRate"], json!(1.1));
        s.exchange_rates.clear();
        assert_eq!(
            try_mk(
                &mut s,
                "Invoice",
                json!({"CustomerRef":{"value":c["Id"]},"Line":[{"DetailType":"SalesItemLineDetail","Amount":10,"SalesItemLineDetail":{}}]})
            ),
            "6000"
        );
        let sent = mk(
            &mut s,
            "Invoice",
            json!({"CustomerRef":{"value":c["Id"]},"ExchangeRate":"1.05","Line":[{"DetailType":"SalesItemLineDetail","Amount":10,"SalesItemLineDetail":{}}]}),
        );
        assert_eq!(sent["HomeTotalAmt"], json!(10.5));
    }
}
