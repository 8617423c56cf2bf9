//! The QuickBooks query language (reference sheet §4): tokenizer, parser and row matching.
//!
//! `SELECT * | count(*) FROM <Entity> [WHERE c [AND c]...] [ORDERBY|ORDER BY f [ASC|DESC]]
//!  [STARTPOSITION n] [MAXRESULTS n]` — keywords, entity and field names case-insensitive.

use crate::clock::parse_datetime_ms;
use serde_json::{Map, Value};
use std::cmp::Ordering;

pub const DEFAULT_MAX_RESULTS: usize = 100;
pub const MAX_MAX_RESULTS: i64 = 1000;

/// A parse (4000) or validation (4001) failure; `detail` is the text after the prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// 4000 `Error parsing query`; the detail is the full text.
    #[error("QueryParserError: {0}")]
    Parse(String),
    /// 4001 `Invalid query`; detail without the `QueryValidationError: ` prefix.
    #[error("QueryValidationError: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    All,
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Like,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Field path as written, split on dots: `["MetaData", "LastUpdatedTime"]`.
    pub field: Vec<String>,
    pub op: Op,
    /// One value, or several for `IN`.
    pub values: Vec<Literal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub field: Vec<String>,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub selection: Selection,
    /// Entity name as written (resolution is the caller's job).
    pub entity: String,
    pub conditions: Vec<Condition>,
    pub order_by: Option<OrderBy>,
    /// 1-based.
    pub start_position: usize,
    pub max_results: usize,
}

impl Query {
    /// Whether any condition names the `Active` field (which disables the implicit active-only filter).
    pub fn mentions_active(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| c.field.len() == 1 && c.field[0].eq_ignore_ascii_case("Active"))
    }

    /// Whether every condition holds for `obj` (the store filters with the conditions itself).
    #[cfg(test)]
    pub fn matches(&self, obj: &Map<String, Value>) -> bool {
        self.conditions.iter().all(|c| c.matches(obj))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

impl Tok {
    fn show(&self) -> String {
        match self {
            Tok::Word(w) | Tok::Num(w) => w.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Sym(s) => (*s).to_string(),
        }
    }
}

fn tokenize(q: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(QueryError::Parse(format!(
                        "Lexical error at line 1, column {}.  Encountered: <EOF> after : \"'{s}\"",
                        chars.len() + 1
                    )))
                    }
                    Some('\\') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\\') if chars.get(i + 1) == Some(&'\\') => {
                        s.push('\\');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((Tok::Str(s), col));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push((Tok::Num(chars[start..i].iter().collect()), col));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push((Tok::Word(chars[start..i].iter().collect()), col));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "!=" => Some("!="),
                "<>" => Some("<>"),
                _ => None,
            };
            if let Some(s) = sym {
                out.push((Tok::Sym(s), col));
                i += 2;
                continue;
            }
            let s = match c {
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '*' => "*",
                _ => {
                    return Err(QueryError::Parse(format!(
                        "Lexical error at line 1, column {col}.  Encountered: \"{c}\""
                    )));
                }
            };
            out.push((Tok::Sym(s), col));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end_col: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn err_here(&self) -> QueryError {
        match self.toks.get(self.pos) {
            Some((t, col)) => QueryError::Parse(format!(
                "Encountered \" {} \" at line 1, column {col}.",
                t.show()
            )),
            None => QueryError::Parse(format!(
                "Encountered \"<EOF>\" at line 1, column {}.",
                self.end_col
            )),
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone());
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), QueryError> {
        if self.is_kw(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err_here())
        }
    }

    fn expect_sym(&mut self, sym: &str) -> Result<(), QueryError> {
        if matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err_here())
        }
    }

    fn word(&mut self) -> Result<String, QueryError> {
        match self.peek() {
            Some(Tok::Word(w)) if !is_reserved(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.err_here()),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let lit = match self.peek() {
            Some(Tok::Str(s)) => Literal::Str(s.clone()),
            Some(Tok::Num(n)) => Literal::Num(n.parse::<f64>().map_err(|_| self.err_here())?),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            _ => return Err(self.err_here()),
        };
        self.pos += 1;
        Ok(lit)
    }

    fn integer(&mut self, what: &str) -> Result<i64, QueryError> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let v = n.parse::<i64>().map_err(|_| {
                    QueryError::Invalid(format!("{what} value {n} is not a valid integer"))
                })?;
                self.pos += 1;
                Ok(v)
            }
            Some(Tok::Str(s)) => {
                let v = s.trim().parse::<i64>().map_err(|_| {
                    QueryError::Invalid(format!("{what} value {s} is not a valid integer"))
                })?;
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.err_here()),
        }
    }
}

fn is_reserved(w: &str) -> bool {
    [
        "select",
        "from",
        "where",
        "and",
        "or",
        "orderby",
        "order",
        "by",
        "startposition",
        "maxresults",
        "in",
        "like",
        "asc",
        "desc",
    ]
    .iter()
    .any(|k| w.eq_ignore_ascii_case(k))
}

/// Parses a query. Errors carry 4000 (syntax) or 4001 (validation, e.g. MAXRESULTS bounds).
pub fn parse(q: &str) -> Result<Query, QueryError> {
    let toks = tokenize(q)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end_col: q.chars().count() + 1,
    };
    p.expect_kw("select")?;
    let selection = match p.peek() {
        Some(Tok::Sym("*")) => {
            p.pos += 1;
            Selection::All
        }
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("count") => {
            p.pos += 1;
            p.expect_sym("(")?;
            p.expect_sym("*")?;
            p.expect_sym(")")?;
            Selection::Count
        }
        _ => return Err(p.err_here()),
    };
    p.expect_kw("from")?;
    let entity = p.word()?;
    if entity.contains('.') {
        return Err(QueryError::Invalid(format!(
            "invalid context declaration: {entity}"
        )));
    }
    let mut conditions = Vec::new();
    if p.is_kw("where") {
        p.pos += 1;
        loop {
            conditions.push(parse_condition(&mut p)?);
            if p.is_kw("and") {
                p.pos += 1;
                continue;
            }
            break;
        }
    }
    let mut order_by = None;
    let mut start: Option<i64> = None;
    let mut max: Option<i64> = None;
    loop {
        if p.is_kw("orderby") || p.is_kw("order") {
            if order_by.is_some() {
                return Err(p.err_here());
            }
            if p.is_kw("order") {
                p.pos += 1;
                p.expect_kw("by")?;
            } else {
                p.pos += 1;
            }
            let field = p.word()?;
            let mut descending = false;
            if p.is_kw("asc") {
                p.pos += 1;
            } else if p.is_kw("desc") {
                p.pos += 1;
                descending = true;
            }
            order_by = Some(OrderBy {
                field: split_field(&field),
                descending,
            });
        } else if p.is_kw("startposition") && start.is_none() {
            p.pos += 1;
            start = Some(p.integer("STARTPOSITION")?);
        } else if p.is_kw("maxresults") && max.is_none() {
            p.pos += 1;
            max = Some(p.integer("MAXRESULTS")?);
        } else {
            break;
        }
    }
    if p.peek().is_some() {
        return Err(p.err_here());
    }
    let max_results = match max {
        None => DEFAULT_MAX_RESULTS,
        Some(n) if n > MAX_MAX_RESULTS => {
            return Err(QueryError::Invalid(format!(
                "value {n} is too large. Max allowed value is {MAX_MAX_RESULTS}"
            )))
        }
        Some(n) if n < 1 => {
            return Err(QueryError::Invalid(format!(
                "value {n} is too small. Min allowed value is 1"
            )))
        }
        Some(n) => n as usize,
    };
    // [sim] STARTPOSITION below 1 reads from the first row.
    let start_position = start.unwrap_or(1).max(1) as usize;
    Ok(Query {
        selection,
        entity,
        conditions,
        order_by,
        start_position,
        max_results,
    })
}

fn split_field(f: &str) -> Vec<String> {
    f.split('.').map(str::to_string).collect()
}

fn parse_condition(p: &mut Parser) -> Result<Condition, QueryError> {
    let field = p.word()?;
    let op = match p.next() {
        Some(Tok::Sym("=")) => Op::Eq,
        Some(Tok::Sym("<")) => Op::Lt,
        Some(Tok::Sym(">")) => Op::Gt,
        Some(Tok::Sym("<=")) => Op::Le,
        Some(Tok::Sym(">=")) => Op::Ge,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => Op::In,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("like") => Op::Like,
        _ => {
            p.pos = p.pos.saturating_sub(1);
            return Err(p.err_here());
        }
    };
    let values = if op == Op::In {
        p.expect_sym("(")?;
        let mut vals = vec![p.literal()?];
        while matches!(p.peek(), Some(Tok::Sym(","))) {
            p.pos += 1;
            vals.push(p.literal()?);
        }
        p.expect_sym(")")?;
        vals
    } else {
        vec![p.literal()?]
    };
    if p.is_kw("or") {
        return Err(p.err_here());
    }
    Ok(Condition {
        field: split_field(&field),
        op,
        values,
    })
}

/// Looks a (dotted, case-insensitive) field up in an object.
pub fn lookup<'a>(obj: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let mut cur: Option<&Value> = None;
    let mut map = obj;
    for (i, seg) in path.iter().enumerate() {
        let v = map.get(seg.as_str()).or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                .map(|(_, v)| v)
        })?;
        cur = Some(v);
        if i + 1 < path.len() {
            map = v.as_object()?;
        }
    }
    // A reference (`CustomerRef`) compares by its `value`.
    match cur {
        Some(Value::Object(m)) => m.get("value"),
        other => other,
    }
}

fn is_id_field(path: &[String]) -> bool {
    path.last().is_some_and(|f| f.eq_ignore_ascii_case("Id"))
}

/// Compares a field value with a literal; `None` when they cannot be compared.
fn compare(field: &Value, lit: &Literal, id_field: bool) -> Option<Ordering> {
    match (field, lit) {
        (Value::Number(n), _) => {
            let a = n.as_f64()?;
            let b = match lit {
                Literal::Num(b) => *b,
                Literal::Str(s) => s.trim().parse::<f64>().ok()?,
                Literal::Bool(_) => return None,
            };
            a.partial_cmp(&b)
        }
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Literal::Str(s)) => Some(a.cmp(&s.trim().eq_ignore_ascii_case("true"))),
        (Value::String(a), _) => {
            let b: String = match lit {
                Literal::Str(s) => s.clone(),
                Literal::Num(n) => format_num(*n),
                Literal::Bool(b) => b.to_string(),
            };
            if id_field {
                if let (Ok(x), Ok(y)) = (a.parse::<u64>(), b.trim().parse::<u64>()) {
                    return Some(x.cmp(&y));
                }
            }
            if looks_like_datetime(a) {
                if let (Some(x), Some(y)) = (parse_datetime_ms(a), parse_datetime_ms(&b)) {
                    return Some(x.cmp(&y));
                }
            }
            Some(a.to_lowercase().cmp(&b.to_lowercase()))
        }
        _ => None,
    }
}

fn format_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T'
}

/// `%` matches any run of characters; matching is case-insensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    let text = text.to_lowercase();
    let pattern = pattern.to_lowercase();
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return text == pattern;
    }
    let mut rest = text.as_str();
    let first = parts[0];
    if !rest.starts_with(first) {
        return false;
    }
    rest = &rest[first.len()..];
    let last = parts[parts.len() - 1];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last) && rest.len() >= last.len()
}

impl Condition {
    pub fn matches(&self, obj: &Map<String, Value>) -> bool {
        let Some(v) = lookup(obj, &self.field) else {
            return false;
        };
        let id = is_id_field(&self.field);
        match self.op {
            Op::Like => match (v, self.values.first()) {
                (Value::String(s), Some(Literal::Str(p))) => like(s, p),
                _ => false,
            },
            Op::In => self
                .values
                .iter()
                .any(|l| compare(v, l, id) == Some(Ordering::Equal)),
            op => {
                let Some(l) = self.values.first() else {
                    return false;
                };
                match compare(v, l, id) {
                    Some(o) => match op {
                        Op::Eq => o == Ordering::Equal,
                        Op::Lt => o == Ordering::Less,
                        Op::Gt => o == Ordering::Greater,
                        Op::Le => o != Ordering::Greater,
                        Op::Ge => o != Ordering::Less,
                        Op::In | Op::Like => false,
                    },
                    None => false,
                }
            }
        }
    }
}

/// Orders two objects by a field for ORDERBY; missing values sort last.
pub fn order_values(a: &Map<String, Value>, b: &Map<String, Value>, field: &[String]) -> Ordering {
    let id = is_id_field(field);
    match (lookup(a, field), lookup(b, field)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let lit = match y {
                Value::String(s) => Literal::Str(s.clone()),
                Value::Number(n) => Literal::Num(n.as_f64().unwrap_or(0.0)),
                Value::Bool(b) => Literal::Bool(*b),
                _ => return Ordering::Equal,
            };
            compare(x, &lit, id).unwrap_or(Ordering::Equal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn minimal_select_defaults() {
        let q = parse("select * from Customer").expect("parse");
        assert_eq!(q.selection, Selection::All);
        assert_eq!(q.entity, "Customer");
        assert_eq!(q.start_position, 1);
        assert_eq!(q.max_results, 100);
        assert!(q.conditions.is_empty());
        assert!(q.order_by.is_none());
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let q = parse("SeLeCt * FrOm customer wHeRe displayname = 'A' AnD Active = true OrderBy Id DeSc MaxResults 5").expect("parse");
        assert_eq!(q.entity, "customer");
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(
            q.order_by,
            Some(OrderBy {
                field: vec!["Id".into()],
                descending: true
            })
        );
        assert_eq!(q.max_results, 5);
    }

    #[test]
    fn order_by_with_a_space_and_without() {
        let a = parse("select * from Invoice ORDER BY TxnDate").expect("order by");
        let b = parse("select * from Invoice ORDERBY TxnDate ASC").expect("orderby");
        assert_eq!(a.order_by, b.order_by);
        assert!(!a.order_by.as_ref().is_some_and(|o| o.descending));
    }

    #[test]
    fn paging_clauses_in_either_order() {
        let a = parse("select * from Item STARTPOSITION 11 MAXRESULTS 5").expect("a");
        let b = parse("select * from Item MAXRESULTS 5 STARTPOSITION 11").expect("b");
        assert_eq!((a.start_position, a.max_results), (11, 5));
        assert_eq!((b.start_position, b.max_results), (11, 5));
        assert!(parse("select * from Item MAXRESULTS 5 MAXRESULTS 6").is_err());
    }

    #[test]
    fn maxresults_bounds_have_the_exact_details() {
        assert_eq!(
            parse("select * from Customer maxresults 1500"),
            Err(QueryError::Invalid(
                "value 1500 is too large. Max allowed value is 1000".into()
            ))
        );
        assert_eq!(
            parse("select * from Customer maxresults 0"),
            Err(QueryError::Invalid(
                "value 0 is too small. Min allowed value is 1".into()
            ))
        );
        assert_eq!(
            parse("select * from Customer maxresults 1000").map(|q| q.max_results),
            Ok(1000)
        );
        assert_eq!(
            parse("select * from Customer maxresults 1").map(|q| q.max_results),
            Ok(1)
        );
    }

    #[test]
    fn or_is_a_parse_error() {
        let e = parse("select * from Customer where DisplayName = 'a' or DisplayName = 'b'")
            .unwrap_err();
        assert!(
            matches!(e, QueryError::Parse(ref d) if d.contains("or")),
            "{e:?}"
        );
    }

    #[test]
    fn syntax_errors() {
        assert!(matches!(
            parse("select from Customer"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(
            parse("select * Customer"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(
            parse("select * from Customer where"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(
            parse("select * from Customer where Name = 'x"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(
            parse("select * from Customer where Name ~ 'x'"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(
            parse("select * from Customer group by Name"),
            Err(QueryError::Parse(_))
        ));
        assert!(matches!(
            parse("select Id, Name from Customer"),
            Err(QueryError::Parse(_))
        ));
    }

    #[test]
    fn count_star() {
        let q = parse("select count(*) from Vendor where Active IN (true,false)").expect("count");
        assert_eq!(q.selection, Selection::Count);
        assert!(q.mentions_active());
        assert!(!parse("select count(*) from Vendor")
            .expect("c")
            .mentions_active());
    }

    #[test]
    fn in_list_and_escape() {
        let q = parse(r"select * from Customer where DisplayName IN ('O\'Brien', 'Smith') ")
            .expect("in");
        assert_eq!(q.conditions[0].op, Op::In);
        assert_eq!(
            q.conditions[0].values,
            vec![Literal::Str("O'Brien".into()), Literal::Str("Smith".into())]
        );
        let row = obj(json!({"DisplayName":"o'brien"}));
        assert!(q.matches(&row));
        assert!(!q.matches(&obj(json!({"DisplayName":"Jones"}))));
    }

    #[test]
    fn like_with_percent() {
        assert!(like("Amy's Bird Sanctuary", "amy%"));
        assert!(like("Amy's Bird Sanctuary", "%bird%"));
        assert!(like("Amy's Bird Sanctuary", "%sanctuary"));
        assert!(!like("Amy's Bird Sanctuary", "%zoo%"));
        assert!(like("abc", "abc"));
        assert!(!like("abcd", "abc"));
        assert!(like("abab", "a%b"));
        assert!(!like("ab", "ab%b"));
        let q = parse("select * from Customer where DisplayName LIKE '%bird%'").expect("like");
        assert!(q.matches(&obj(json!({"DisplayName":"Amy's Bird Sanctuary"}))));
    }

    #[test]
    fn dotted_metadata_either_case() {
        let row = obj(json!({"MetaData":{"LastUpdatedTime":"2024-01-02T10:00:00-08:00"}}));
        for f in [
            "MetaData.LastUpdatedTime",
            "Metadata.LastUpdatedTime",
            "metadata.lastupdatedtime",
        ] {
            let q = parse(&format!(
                "select * from Customer where {f} >= '2024-01-01T00:00:00-08:00'"
            ))
            .expect("parse");
            assert!(q.matches(&row), "{f}");
            let q = parse(&format!(
                "select * from Customer where {f} > '2024-01-02T18:00:00Z'"
            ))
            .expect("parse");
            assert!(!q.matches(&row), "{f} strictly later");
        }
        let q = parse("select * from Customer where MetaData.LastUpdatedTime >= '2024-01-02'")
            .expect("date");
        assert!(q.matches(&row));
    }

    #[test]
    fn numbers_ids_refs_and_booleans() {
        let row = obj(
            json!({"Id":"12","TotalAmt":350.5,"Active":false,"CustomerRef":{"value":"7","name":"X"}}),
        );
        assert!(parse("select * from Invoice where TotalAmt > '300.00'")
            .expect("p")
            .matches(&row));
        assert!(parse("select * from Invoice where TotalAmt > 300")
            .expect("p")
            .matches(&row));
        assert!(!parse("select * from Invoice where TotalAmt < 300")
            .expect("p")
            .matches(&row));
        assert!(
            parse("select * from Invoice where Id > '9'")
                .expect("p")
                .matches(&row),
            "ids compare as numbers"
        );
        assert!(parse("select * from Invoice where Id IN ('3','12')")
            .expect("p")
            .matches(&row));
        assert!(parse("select * from Invoice where CustomerRef = '7'")
            .expect("p")
            .matches(&row));
        assert!(parse("select * from Invoice where Active = false")
            .expect("p")
            .matches(&row));
        assert!(parse("select * from Invoice where Active IN (true,false)")
            .expect("p")
            .matches(&row));
        assert!(!parse("select * from Invoice where Missing = 'x'")
            .expect("p")
            .matches(&row));
    }

    #[test]
    fn production_incremental_query_parses() {
        let q = parse("SELECT * FROM Customer WHERE Metadata.LastUpdatedTime >= '2024-01-01T00:00:00-08:00' AND Active IN (true,false) ORDERBY Metadata.LastUpdatedTime ASC STARTPOSITION 1 MAXRESULTS 1000").expect("parse");
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(q.max_results, 1000);
        assert_eq!(
            q.order_by.map(|o| o.field),
            Some(vec!["Metadata".to_string(), "LastUpdatedTime".to_string()])
        );
    }

    #[test]
    fn start_position_is_one_based_and_floors_at_one() {
        assert_eq!(
            parse("select * from Item startposition 0").map(|q| q.start_position),
            Ok(1)
        );
        assert_eq!(
            parse("select * from Item startposition 6 maxresults 5").map(|q| q.start_position),
            Ok(6)
        );
    }

    #[test]
    fn ordering_helper() {
        let a = obj(json!({"Id":"9","Name":"b"}));
        let b = obj(json!({"Id":"10","Name":"A"}));
        assert_eq!(order_values(&a, &b, &["Id".into()]), Ordering::Less);
        assert_eq!(order_values(&a, &b, &["Name".into()]), Ordering::Greater);
        assert_eq!(
            order_values(&a, &obj(json!({})), &["Name".into()]),
            Ordering::Less
        );
    }
}
