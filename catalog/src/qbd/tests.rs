use super::*;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

#[test]
fn every_entity_has_a_unique_table_and_name() {
    let mut tables = HashSet::new();
    let mut names = HashSet::new();
    for e in QBD_ENTITIES {
        assert!(!e.table.is_empty(), "{}", e.name);
        assert!(names.insert(e.name), "duplicate entity {}", e.name);
        assert!(tables.insert(e.table), "duplicate table {}", e.table);
        for l in e.lines {
            assert!(tables.insert(l.table), "duplicate table {}", l.table);
        }
        assert_eq!(qbd_entity(e.name).map(|f| f.table), Some(e.table));
        assert_eq!(qbd_entity(e.table).map(|f| f.name), Some(e.name));
        assert_eq!(e.del_type, Some(e.name), "{}", e.name);
        match e.kind {
            QbdKind::List => assert_eq!(e.delete, QbdDelete::ListDel),
            QbdKind::Txn => assert_eq!(e.delete, QbdDelete::TxnDel),
        }
    }
    assert!(qbd_entity("receive_payment").is_some());
    assert!(qbd_entity("nope").is_none());
    for wanted in [
        "Customer",
        "Vendor",
        "Employee",
        "Account",
        "ItemService",
        "ItemNonInventory",
        "ItemInventory",
        "ItemOtherCharge",
        "Invoice",
        "SalesReceipt",
        "ReceivePayment",
        "CreditMemo",
        "Estimate",
        "SalesOrder",
        "Bill",
        "BillPaymentCheck",
        "Check",
        "PurchaseOrder",
        "JournalEntry",
        "Deposit",
    ] {
        assert!(qbd_entity(wanted).is_some(), "{wanted} missing");
    }
}

/// Columns every mirror table has besides the typed ones.
const SYNC_COLUMNS: &[&str] = &[
    "local_id",
    "company_id",
    "data",
    "operation",
    "sync_status",
    "sync_message",
    "synced_at",
    "request_id",
    "linked",
];

#[test]
fn column_names_are_unique_and_paths_are_set() {
    for e in QBD_ENTITIES {
        let mut seen: HashSet<&str> = SYNC_COLUMNS.iter().copied().collect();
        for c in e.key_columns().iter().chain(e.columns) {
            assert!(seen.insert(c.name), "{}.{} twice", e.table, c.name);
            assert!(!c.path.is_empty() && c.path.iter().all(|s| !s.is_empty()));
            assert!(!c.doc.is_empty(), "{}.{}", e.table, c.name);
            assert_eq!(c.sql, c.ty.sql());
            assert!(!c.choice.is_empty() || c.choice_group().is_none());
        }
        for l in e.lines {
            let parent = format!("{}_local_id", e.table);
            let mut seen: HashSet<&str> = ["company_id", "line_num", "data", parent.as_str()]
                .into_iter()
                .collect();
            for c in l.key_columns().iter().chain(l.columns) {
                assert!(seen.insert(c.name), "{}.{} twice", l.table, c.name);
                assert!(!c.path.is_empty() && c.path.iter().all(|s| !s.is_empty()));
            }
        }
    }
}

#[test]
fn mod_columns_follow_mod_order() {
    let e = qbd_entity("BillPaymentCheck").expect("entity");
    let firsts: Vec<&str> = e.mod_columns().iter().map(|c| c.xml_path()[0]).collect();
    let pos = |s: &str| firsts.iter().position(|f| *f == s);
    assert!(pos("ExchangeRate") < pos("RefNumber"));
    assert!(pos("Amount") < pos("ExchangeRate"));
    let item = qbd_entity("ItemService").expect("entity");
    let price = item.column("price").expect("price");
    assert_eq!(price.mod_path(), vec!["SalesOrPurchaseMod", "Price"]);
    assert_eq!(price.choice_group(), Some(("sales_purchase", "one")));
}

#[test]
fn ddl_is_generated_for_every_table() {
    let ddl = qbd_mirror_tables_ddl(QBD_SCHEMA, QBD_ENTITIES);
    for e in QBD_ENTITIES {
        assert!(
            ddl.contains(&format!("CREATE TABLE qbd.{} (", e.table)),
            "{}",
            e.name
        );
        assert!(ddl.contains(&format!("UNIQUE (company_id, {}),", e.key_column())));
        for c in e.key_columns().iter().chain(e.columns) {
            assert!(
                ddl.contains(&format!("COMMENT ON COLUMN qbd.{}.{} IS", e.table, c.name)),
                "{}.{}",
                e.table,
                c.name
            );
        }
        for l in e.lines {
            assert!(ddl.contains(&format!("CREATE TABLE qbd.{} (", l.table)));
            assert!(ddl.contains(&format!(
                "FOREIGN KEY ({}_local_id, company_id) REFERENCES qbd.{}(local_id, company_id) ON DELETE CASCADE",
                e.table, e.table
            )));
        }
    }
    assert!(ddl.contains(
        "mirror_operation_trigger('qbd:Invoice', 'txn', 'void', 'create', 'update', 'txn_id')"
    ));
    assert!(ddl.contains(
        "mirror_operation_trigger('qbd:Customer', 'list', 'none', 'create', 'update', 'list_id')"
    ));
    assert!(ddl.contains(
        "mirror_operation_trigger('qbd:ReceivePayment', 'txn', 'none', 'create', 'update', 'txn_id')"
    ));
    assert!(ddl.contains("    txn_line_id text,\n"));
    assert!(ddl.contains("CREATE TABLE qbd.receive_payment_applied_to (\n    receive_payment_local_id bigint NOT NULL,\n    company_id bigint NOT NULL,\n    line_num integer NOT NULL,\n    txn_id text,\n"));
    assert!(ddl.contains("    list_id text,\n    full_name text,\n    edit_sequence text,\n    time_created timestamptz,\n    time_modified timestamptz,\n"));
    assert!(ddl.contains("QuickBooks'' version"));
}

// ---------------------------------------------------------------------------------------------
// A minimal reading of Intuit's qbXML XSD, enough to locate an element path inside an aggregate
// and tell in which order the sequences want them.

#[derive(Debug, Default)]
struct Node {
    /// Local name: `element`, `sequence`, `choice`, `group`, ...
    tag: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn child(&self, tag: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.tag == tag)
    }
}

fn parse_xsd(text: &str) -> Node {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![Node::default()];
    let node = |e: &quick_xml::events::BytesStart<'_>| {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let attrs = e
            .attributes()
            .filter_map(Result::ok)
            .map(|a| {
                (
                    String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
                    String::from_utf8_lossy(&a.value).into_owned(),
                )
            })
            .collect();
        Node {
            tag: name,
            attrs,
            children: Vec::new(),
        }
    };
    loop {
        match reader.read_event().expect("XSD is well-formed") {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => {
                let n = node(&e);
                if let Some(top) = stack.last_mut() {
                    top.children.push(n);
                }
            }
            Event::End(_) => {
                let done = stack.pop().expect("balanced");
                if let Some(top) = stack.last_mut() {
                    top.children.push(done);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // The document node holds the schema element.
    stack
        .pop()
        .and_then(|mut doc| doc.children.pop())
        .expect("root element")
}

/// One position inside a content model: an index in a sequence, or the alternative of a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Index(usize),
    Alt(usize),
}

/// The position of an element: one list of parts per level of the path.
type Key = Vec<Vec<Part>>;

enum Item<'a> {
    El {
        name: &'a str,
        decl: &'a Node,
        min: u32,
    },
    Choice {
        min: u32,
        alts: Vec<Vec<Item<'a>>>,
    },
}

struct Xsd<'a> {
    elements: HashMap<&'a str, &'a Node>,
    groups: HashMap<&'a str, &'a Node>,
    types: HashMap<&'a str, &'a Node>,
    simple_types: HashMap<&'a str, &'a Node>,
}

fn min_occurs(n: &Node) -> u32 {
    n.attr("minOccurs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

impl<'a> Xsd<'a> {
    fn new(roots: &'a [Node]) -> Self {
        let mut x = Xsd {
            elements: HashMap::new(),
            groups: HashMap::new(),
            types: HashMap::new(),
            simple_types: HashMap::new(),
        };
        for root in roots {
            for c in &root.children {
                let Some(name) = c.attr("name") else { continue };
                match c.tag.as_str() {
                    "element" => x.elements.insert(name, c),
                    "group" => x.groups.insert(name, c),
                    "complexType" => x.types.insert(name, c),
                    "simpleType" => x.simple_types.insert(name, c),
                    _ => None,
                };
            }
        }
        x
    }

    fn items(&self, node: &'a Node) -> Vec<Item<'a>> {
        let mut out = Vec::new();
        for c in &node.children {
            match c.tag.as_str() {
                "element" => {
                    let (name, decl) = match c.attr("ref") {
                        Some(r) => (r, self.elements.get(r).copied().unwrap_or(c)),
                        None => (c.attr("name").unwrap_or_default(), c),
                    };
                    out.push(Item::El {
                        name,
                        decl,
                        min: min_occurs(c),
                    });
                }
                "group" => {
                    if let Some(g) = c.attr("ref").and_then(|r| self.groups.get(r)) {
                        out.extend(self.items(g));
                    }
                }
                "sequence" | "complexType" | "complexContent" | "extension" => {
                    out.extend(self.items(c))
                }
                "choice" => out.push(Item::Choice {
                    min: min_occurs(c),
                    alts: self.alternatives(c),
                }),
                _ => {}
            }
        }
        out
    }

    /// The alternatives of a choice: an element, a nested choice, a sequence or a group each.
    fn alternatives(&self, choice: &'a Node) -> Vec<Vec<Item<'a>>> {
        let mut alts = Vec::new();
        for a in &choice.children {
            match a.tag.as_str() {
                "element" => {
                    let (name, decl) = match a.attr("ref") {
                        Some(r) => (r, self.elements.get(r).copied().unwrap_or(a)),
                        None => (a.attr("name").unwrap_or_default(), a),
                    };
                    alts.push(vec![Item::El {
                        name,
                        decl,
                        min: min_occurs(a),
                    }]);
                }
                "choice" => alts.push(vec![Item::Choice {
                    min: min_occurs(a),
                    alts: self.alternatives(a),
                }]),
                "sequence" => alts.push(self.items(a)),
                "group" => {
                    if let Some(g) = a.attr("ref").and_then(|r| self.groups.get(r)) {
                        alts.push(self.items(g));
                    }
                }
                _ => {}
            }
        }
        alts
    }

    fn content(&self, decl: &'a Node) -> Option<&'a Node> {
        decl.child("complexType")
            .or_else(|| decl.attr("type").and_then(|t| self.types.get(t).copied()))
    }

    fn aggregate(&self, name: &str) -> Option<Vec<Item<'a>>> {
        let decl = self.elements.get(name)?;
        Some(self.items(self.content(decl)?))
    }

    fn search<'b>(items: &'b [Item<'a>], name: &str) -> Option<(Vec<Part>, &'b Item<'a>)> {
        for (i, it) in items.iter().enumerate() {
            match it {
                Item::El { name: n, .. } if *n == name => return Some((vec![Part::Index(i)], it)),
                Item::El { .. } => {}
                Item::Choice { alts, .. } => {
                    for (a, alt) in alts.iter().enumerate() {
                        if let Some((mut k, found)) = Self::search(alt, name) {
                            let mut key = vec![Part::Index(i), Part::Alt(a)];
                            key.append(&mut k);
                            return Some((key, found));
                        }
                    }
                }
            }
        }
        None
    }

    /// The key of `path` inside aggregate `agg`, and the declaration of its last element.
    fn find(&self, agg: &str, path: &[&str]) -> Option<(Key, &'a Node)> {
        let mut items = self.aggregate(agg)?;
        let mut key = Vec::new();
        let mut decl = None;
        for (i, seg) in path.iter().enumerate() {
            let (k, d) = match Self::search(&items, seg)? {
                (k, Item::El { decl, .. }) => (k, *decl),
                _ => return None,
            };
            key.push(k);
            decl = Some(d);
            if i + 1 < path.len() {
                items = self.items(self.content(d)?);
            }
        }
        Some((key, decl?))
    }

    /// (base type, maxLength, enumeration) of a leaf declaration.
    fn leaf(&self, decl: &'a Node) -> (String, usize, Vec<String>) {
        if let Some(t) = decl.attr("type") {
            return (t.to_string(), 0, Vec::new());
        }
        if let Some(r) = decl
            .child("simpleType")
            .and_then(|s| s.child("restriction"))
        {
            let max = r
                .child("maxLength")
                .and_then(|m| m.attr("value"))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let en = r
                .children
                .iter()
                .filter(|c| c.tag == "enumeration")
                .filter_map(|c| c.attr("value").map(str::to_string))
                .collect();
            return (r.attr("base").unwrap_or_default().to_string(), max, en);
        }
        if let Some(ext) = decl
            .child("complexType")
            .and_then(|c| c.child("simpleContent"))
            .and_then(|s| s.child("extension"))
        {
            return (
                ext.attr("base").unwrap_or_default().to_string(),
                0,
                Vec::new(),
            );
        }
        ("complex".into(), 0, Vec::new())
    }

    /// What the top level of `agg` requires: element names, `A|B` for a required choice.
    fn required(&self, agg: &str) -> Vec<String> {
        let mut out = Vec::new();
        for it in self.aggregate(agg).unwrap_or_default() {
            match it {
                Item::El { name, min, .. } if min >= 1 => out.push(name.to_string()),
                Item::Choice { min, alts } if min >= 1 => {
                    let firsts: Vec<&str> = alts
                        .iter()
                        .filter_map(|alt| {
                            alt.iter().find_map(|i| match i {
                                Item::El { name, min, .. } if *min >= 1 => Some(*name),
                                _ => None,
                            })
                        })
                        .collect();
                    if firsts.len() == alts.len() {
                        out.push(firsts.join("|"));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Whether the element `name` (or one of `A|B`) can appear at the top level of `agg`.
    fn has_top(&self, agg: &str, name: &str) -> bool {
        self.aggregate(agg)
            .is_some_and(|items| Self::search(&items, name).is_some())
    }
}

/// Order of two keys: `None` when they are alternatives of one choice.
fn cmp_keys(a: &Key, b: &Key) -> Option<Ordering> {
    for (la, lb) in a.iter().zip(b) {
        for (pa, pb) in la.iter().zip(lb) {
            match (pa, pb) {
                (Part::Index(x), Part::Index(y)) if x != y => return Some(x.cmp(y)),
                (Part::Alt(x), Part::Alt(y)) if x != y => return None,
                _ => {}
            }
        }
        if la.len() != lb.len() {
            return Some(la.len().cmp(&lb.len()));
        }
    }
    Some(a.len().cmp(&b.len()))
}

fn load_xsd() -> Option<Vec<Node>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/quickbooks/qbxml-13.0");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    match (
        read("qbxml130.xsd"),
        read("qbxmltypes130.xsd"),
        read("qbxmlops130.xsd"),
    ) {
        (Some(m), Some(t), Some(o)) => Some(vec![parse_xsd(&m), parse_xsd(&t), parse_xsd(&o)]),
        _ => {
            eprintln!(
                "SKIPPED: the qbXML 13.0 XSD is not at {} (needed to check the catalogue against it)",
                dir.display()
            );
            None
        }
    }
}

/// Checks `cols` (already in request order) against aggregate `agg`: every path exists, the
/// order follows the XSD sequences, and types and lengths match.
fn check_order(
    xsd: &Xsd<'_>,
    what: &str,
    agg: &str,
    cols: &[(&QbdColumn, Vec<&str>)],
    errors: &mut Vec<String>,
) {
    let mut prev: Option<(Key, &str)> = None;
    for (c, path) in cols {
        let Some((key, decl)) = xsd.find(agg, path) else {
            errors.push(format!(
                "{what}: {} ({}) not found in {agg}",
                c.name,
                path.join("/")
            ));
            continue;
        };
        if let Some((pk, pname)) = &prev {
            if cmp_keys(pk, &key) == Some(Ordering::Greater) {
                errors.push(format!(
                    "{what}: {} ({}) comes before {pname} in {agg}",
                    c.name,
                    path.join("/")
                ));
            }
        }
        check_type(xsd, what, agg, c, decl, errors);
        prev = Some((key, c.name));
    }
}

fn check_type(
    xsd: &Xsd<'_>,
    what: &str,
    agg: &str,
    c: &QbdColumn,
    decl: &Node,
    errors: &mut Vec<String>,
) {
    let (base, max, en) = xsd.leaf(decl);
    if base != c.ty.xsd_name() {
        errors.push(format!(
            "{what}: {} is {} in the catalogue, {base} in {agg}",
            c.name,
            c.ty.xsd_name()
        ));
    }
    // Where the request XSD sets no limit, the catalogue may take the *Ret one.
    if c.max_len != max && c.add && max != 0 {
        errors.push(format!(
            "{what}: {} has max_len {}, {agg} says {max}",
            c.name, c.max_len
        ));
    }
    if let QbdType::Enum(values) = c.ty {
        if values.iter().map(|v| v.to_string()).collect::<Vec<_>>() != en {
            errors.push(format!("{what}: {} enumeration differs from {agg}", c.name));
        }
    }
}

/// Columns sent to QuickBooks that it never returns in the `*Ret`.
const INPUT_ONLY: &[&str] = &[
    "open_balance",
    "open_balance_date",
    "total_value",
    "inventory_date",
    "is_auto_apply",
];

#[test]
fn catalogue_follows_the_qbxml_xsd() {
    let Some(roots) = load_xsd() else { return };
    let xsd = Xsd::new(&roots);
    let mut errors = Vec::new();
    for e in QBD_ENTITIES {
        let (ret, add, modify) = (e.ret_element(), e.add_element(), e.mod_element());
        // Every column (and key column) is in the *Ret, except inputs QuickBooks never returns.
        for c in e.key_columns().iter().chain(e.columns) {
            let found = xsd.find(&ret, c.path);
            if found.is_none() && !INPUT_ONLY.contains(&c.name) && c.name != "full_name" {
                errors.push(format!(
                    "{}: {} ({}) not in {ret}",
                    e.name,
                    c.name,
                    c.path.join("/")
                ));
            }
            if let (Some((_, decl)), false) = (found, c.writable()) {
                check_type(&xsd, e.name, &ret, c, decl, &mut errors);
            }
        }
        // What the query accepts.
        let query = xsd
            .types
            .get(format!("{}QueryRqType", e.name).as_str())
            .copied()
            .expect("query type");
        let iterator = query
            .children
            .iter()
            .any(|a| a.tag == "attribute" && a.attr("name") == Some("iterator"));
        if iterator != e.query_iterator {
            errors.push(format!("{}: query_iterator should be {iterator}", e.name));
        }
        let linked = Xsd::search(&xsd.items(query), "IncludeLinkedTxns").is_some();
        if linked != e.query_linked_txns {
            errors.push(format!("{}: query_linked_txns should be {linked}", e.name));
        }
        assert!(xsd.find(&modify, &[e.key_element()]).is_some());
        assert!(xsd.find(&modify, &["EditSequence"]).is_some());
        let adds: Vec<(&QbdColumn, Vec<&str>)> = e
            .add_columns()
            .into_iter()
            .map(|c| (c, c.xml_path().to_vec()))
            .collect();
        check_order(&xsd, e.name, &add, &adds, &mut errors);
        let mods: Vec<(&QbdColumn, Vec<&str>)> = e
            .mod_columns()
            .into_iter()
            .map(|c| (c, c.mod_path()))
            .collect();
        check_order(&xsd, e.name, &modify, &mods, &mut errors);
        // Columns not sent in *Mod really are absent from it.
        for c in e.columns.iter().filter(|c| !c.modify) {
            if xsd.find(&modify, &c.mod_path()).is_some() {
                errors.push(format!(
                    "{}: {} is in {modify} but modify = false",
                    e.name, c.name
                ));
            }
        }
        for c in e.columns.iter().filter(|c| !c.add) {
            if xsd.find(&add, c.xml_path()).is_some() {
                errors.push(format!(
                    "{}: {} is in {add} but add = false",
                    e.name, c.name
                ));
            }
        }
        for r in xsd.required(&add) {
            if !e.add_required.contains(&r.as_str()) {
                errors.push(format!(
                    "{}: {add} requires {r}, add_required does not say so",
                    e.name
                ));
            }
        }
        for r in e.add_required {
            for alt in r.split('|') {
                if !xsd.has_top(&add, alt) {
                    errors.push(format!("{}: required {alt} not in {add}", e.name));
                }
            }
        }
        for l in e.lines {
            let what = format!("{}/{}", e.name, l.table);
            if !xsd.has_top(&add, l.add)
                || !xsd.has_top(&ret, l.ret)
                || !xsd.has_top(&modify, l.modify)
            {
                errors.push(format!(
                    "{what}: {}/{}/{} not all in the parent",
                    l.ret, l.add, l.modify
                ));
            }
            // Lines come after every header column in *Add, except the alternatives of the lines.
            let line_group = l.choice.split(':').next().filter(|g| !g.is_empty());
            if let Some((lk, _)) = xsd.find(&add, &[l.add]) {
                for (c, p) in &adds {
                    let Some((ck, _)) = xsd.find(&add, p) else {
                        continue;
                    };
                    let order = cmp_keys(&ck, &lk);
                    let alternative = line_group.is_some()
                        && c.choice_group().map(|(g, _)| g) == line_group
                        && order.is_none();
                    if order != Some(Ordering::Less) && !alternative {
                        errors.push(format!("{what}: {} does not precede {}", c.name, l.add));
                    }
                }
            } else {
                errors.push(format!("{what}: {} not in {add}", l.add));
            }
            if l.line_id {
                assert!(xsd.find(l.modify, &["TxnLineID"]).is_some(), "{what}");
                assert!(xsd.find(l.ret, &["TxnLineID"]).is_some(), "{what}");
            }
            for (k, _) in l.mod_fixed {
                assert!(xsd.find(l.modify, &[k]).is_some(), "{what}: {k}");
            }
            for c in l.columns {
                let found = xsd.find(l.ret, c.path);
                if found.is_none() {
                    errors.push(format!("{what}: {} not in {}", c.name, l.ret));
                }
                if let (Some((_, decl)), false) = (found, c.writable()) {
                    check_type(&xsd, &what, l.ret, c, decl, &mut errors);
                }
                if !c.modify && xsd.find(l.modify, &c.mod_path()).is_some() {
                    errors.push(format!(
                        "{what}: {} is in {} but modify = false",
                        c.name, l.modify
                    ));
                }
                if !c.add && xsd.find(l.add, c.xml_path()).is_some() {
                    errors.push(format!(
                        "{what}: {} is in {} but add = false",
                        c.name, l.add
                    ));
                }
            }
            let adds: Vec<(&QbdColumn, Vec<&str>)> = l
                .columns
                .iter()
                .filter(|c| c.add)
                .map(|c| (c, c.xml_path().to_vec()))
                .collect();
            check_order(&xsd, &what, l.add, &adds, &mut errors);
            let mods: Vec<(&QbdColumn, Vec<&str>)> = l
                .columns
                .iter()
                .filter(|c| c.modify)
                .map(|c| (c, c.mod_path()))
                .collect();
            check_order(&xsd, &what, l.modify, &mods, &mut errors);
            for r in l.add_required {
                for alt in r.split('|') {
                    if xsd.find(l.add, &[alt]).is_none() {
                        errors.push(format!("{what}: required {alt} not in {}", l.add));
                    }
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn the_xsd_reader_sees_choices_and_order() {
    let Some(roots) = load_xsd() else { return };
    let xsd = Xsd::new(&roots);
    let (a, _) = xsd
        .find("ItemServiceAdd", &["SalesOrPurchase", "Price"])
        .expect("found");
    let (b, _) = xsd
        .find("ItemServiceAdd", &["SalesAndPurchase", "SalesPrice"])
        .expect("found");
    assert_eq!(cmp_keys(&a, &b), None);
    let (n, _) = xsd.find("ItemServiceAdd", &["Name"]).expect("found");
    assert_eq!(cmp_keys(&n, &a), Some(Ordering::Less));
    let (p, _) = xsd
        .find("ItemNonInventoryAdd", &["ParentRef"])
        .expect("found");
    let (c, _) = xsd
        .find("ItemNonInventoryAdd", &["ClassRef"])
        .expect("found");
    assert_eq!(cmp_keys(&p, &c), Some(Ordering::Less));
    let (p, _) = xsd
        .find("ItemNonInventoryMod", &["ParentRef"])
        .expect("found");
    let (c, _) = xsd
        .find("ItemNonInventoryMod", &["ClassRef"])
        .expect("found");
    assert_eq!(cmp_keys(&p, &c), Some(Ordering::Greater));
    assert!(xsd.find("CustomerAdd", &["Balance"]).is_none());
    let (_, decl) = xsd
        .find("CustomerAdd", &["BillAddress", "Addr1"])
        .expect("found");
    assert_eq!(xsd.leaf(decl).1, 41);
}

#[test]
fn the_order_check_catches_a_misordered_request() {
    let Some(roots) = load_xsd() else { return };
    let xsd = Xsd::new(&roots);
    let e = qbd_entity("ItemNonInventory").expect("entity");
    // The *Add order (ParentRef before ClassRef) is wrong for *Mod.
    let in_add_order: Vec<(&QbdColumn, Vec<&str>)> = e
        .columns
        .iter()
        .filter(|c| c.modify)
        .map(|c| (c, c.mod_path()))
        .collect();
    let mut errors = Vec::new();
    check_order(
        &xsd,
        e.name,
        "ItemNonInventoryMod",
        &in_add_order,
        &mut errors,
    );
    assert!(
        errors.iter().any(|m| m.contains("class_list_id")),
        "{errors:?}"
    );
    let mut errors = Vec::new();
    let wrong_type = QbdColumn {
        ty: QbdType::Amt,
        ..*e.column("name").expect("name")
    };
    check_order(
        &xsd,
        e.name,
        "ItemNonInventoryAdd",
        &[(&wrong_type, vec!["Name"])],
        &mut errors,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
}
