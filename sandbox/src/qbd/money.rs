//! Money and quantities without floating point: `AMTTYPE` as integer cents, `PRICETYPE` /
//! `QUANTYPE` / `PERCENTTYPE` as integers scaled by 10^5 (their XSD allows five decimals).

/// Scale of [`Dec`] values: five decimals.
pub(crate) const DEC_SCALE: i128 = 100_000;

/// A `PRICETYPE`/`QUANTYPE` value times 10^5.
pub(crate) type Dec = i128;

fn parse_scaled(s: &str, decimals: u32) -> Option<i128> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (neg, digits) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 20
    {
        return None;
    }
    let scale = 10i128.pow(decimals);
    let mut v: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    v = v.checked_mul(scale)?;
    let mut f: i128 = 0;
    let mut place = scale / 10;
    let mut round_up = false;
    for (i, b) in frac.bytes().enumerate() {
        let d = i128::from(b - b'0');
        if (i as u32) < decimals {
            f += d * place;
            place /= 10;
        } else {
            if i as u32 == decimals {
                round_up = d >= 5;
            }
            break;
        }
    }
    v += f + i128::from(round_up);
    Some(if neg { -v } else { v })
}

/// Parses an amount (`12`, `12.5`, `-3.45`) to cents, rounding half away from zero.
pub(crate) fn parse_amount(s: &str) -> Option<i64> {
    parse_scaled(s, 2).and_then(|v| i64::try_from(v).ok())
}

/// Cents as `AMTTYPE` with exactly two decimals: `1234` → `12.34`, `-5` → `-0.05`.
pub(crate) fn fmt_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Parses a `PRICETYPE`/`QUANTYPE`/`PERCENTTYPE` value.
pub(crate) fn parse_dec(s: &str) -> Option<Dec> {
    parse_scaled(s, 5)
}

/// A [`Dec`] with trailing zeros trimmed (at least one integer digit): `150000` → `1.5`.
pub(crate) fn fmt_dec(v: Dec) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let int = a / DEC_SCALE as u128;
    let frac = a % DEC_SCALE as u128;
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let f = format!("{frac:05}");
    format!("{sign}{int}.{}", f.trim_end_matches('0'))
}

/// A price with two decimals at least (`25` → `25.00`, `1.23456` kept).
pub(crate) fn fmt_price(v: Dec) -> String {
    let s = fmt_dec(v);
    match s.split_once('.') {
        None => format!("{s}.00"),
        Some((_, f)) if f.len() == 1 => format!("{s}0"),
        Some(_) => s,
    }
}

/// `quantity × rate` in cents, rounded half away from zero.
pub(crate) fn times(quantity: Dec, rate: Dec) -> i64 {
    // Both scaled by 1e5: the product is scaled by 1e10; cents are 1e2.
    let p = quantity * rate;
    let div = DEC_SCALE * DEC_SCALE / 100;
    let q = (p.abs() + div / 2) / div;
    let q = if p < 0 { -q } else { q };
    i64::try_from(q).unwrap_or(0)
}

/// `cents / quantity` as a rate.
pub(crate) fn rate_of(cents: i64, quantity: Dec) -> Dec {
    if quantity == 0 {
        return 0;
    }
    // cents * 1e3 = amount scaled 1e5; divided by quantity/1e5.
    let num = i128::from(cents) * 1000 * DEC_SCALE;
    let q = (num.abs() + quantity.abs() / 2) / quantity.abs();
    if (num < 0) ^ (quantity < 0) {
        -q
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_with_two_decimals() {
        assert_eq!(parse_amount("12"), Some(1200));
        assert_eq!(parse_amount("12.5"), Some(1250));
        assert_eq!(parse_amount("-0.05"), Some(-5));
        assert_eq!(parse_amount("1.005"), Some(101));
        assert_eq!(parse_amount("abc"), None);
        assert_eq!(parse_amount(""), None);
        assert_eq!(fmt_amount(1250), "12.50");
        assert_eq!(fmt_amount(-5), "-0.05");
        assert_eq!(fmt_amount(0), "0.00");
    }

    #[test]
    fn quantities_and_rates() {
        let q = parse_dec("3").unwrap_or(0);
        let r = parse_dec("19.99").unwrap_or(0);
        assert_eq!(times(q, r), 5997);
        assert_eq!(fmt_dec(parse_dec("1.50000").unwrap_or(0)), "1.5");
        assert_eq!(fmt_price(parse_dec("25").unwrap_or(0)), "25.00");
        assert_eq!(fmt_price(rate_of(5997, q)), "19.99");
        assert_eq!(
            times(
                parse_dec("0.5").unwrap_or(0),
                parse_dec("0.01").unwrap_or(0)
            ),
            1
        );
    }
}
