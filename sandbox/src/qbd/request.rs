//! One qbXML message set (§7): the checks that make QuickBooks reject the whole document
//! (version PI, XSD validity, `rollbackOnError`, oversized message-set IDs → HRESULT
//! `0x80040400`), then each request in turn (`continueOnError`/`stopOnError`, `requestID`
//! echoed only when sent, `responseData="includeNone"`), error recovery, and the response text
//! as QuickBooks writes it (`<?xml version="1.0" ?>`, no qbXML PI, `\n` line ends).

use super::kinds::{Kind, ENTITIES, ITEMS};
use super::query::Outcome;
use super::recovery::{checksum, Plan};
use super::ret::{render, RenderOpts};
use super::schema::{self, Schema};
use super::status::Status;
use super::write::{self, WriteCtx};
use super::{deleted, hcp, query, report, validate, QbdCompany, State};
use crate::qbwc::host::Hresult;
use qbsync_qbxml::Element;

/// What every request of one message set shares.
pub(crate) struct Ctx<'a> {
    pub schema: &'a Schema,
    /// `newMessageSetID` was sent: write responses carry `ErrorRecovery`.
    pub recovery: bool,
}

fn parse_error(company: &QbdCompany, why: &str) -> Hresult {
    tracing::debug!(why, "qbXML request rejected");
    company.lock().counters.parse_errors += 1;
    Hresult::parse_error()
}

/// Processes one request document.
pub(crate) fn process(company: &QbdCompany, text: &str) -> Result<String, Hresult> {
    let (root, versions) = {
        let st = company.lock();
        (st.schema_root.clone(), st.cfg.supported_versions.clone())
    };
    let Some(version) = validate::version_pi(text) else {
        return Err(parse_error(company, "no qbxml version PI"));
    };
    if !versions.iter().any(|v| v == &version) {
        return Err(parse_error(
            company,
            "qbXML version not supported by this host",
        ));
    }
    let schema = schema::load(&root, schema::schema_version_for(&version)).map_err(|e| {
        tracing::error!(error = %e, "qbXML schemas unavailable");
        Hresult {
            code: "0x80040402".into(),
            message: "Unexpected error.".into(),
        }
    })?;
    if let Err(e) = validate::xmllint(&schema.ops_path, text) {
        tracing::debug!(error = %e, "xmllint");
        return Err(parse_error(company, "XSD validation failed"));
    }
    let doc = Element::parse(text).map_err(|_| parse_error(company, "malformed XML"))?;
    let Some(msgs) = doc.find("QBXMLMsgsRq").filter(|_| doc.name == "QBXML") else {
        return Err(parse_error(company, "no QBXMLMsgsRq"));
    };
    if msgs.get_attr("onError") == Some("rollbackOnError") {
        return Err(parse_error(company, "rollbackOnError"));
    }
    let old = msgs.get_attr("oldMessageSetID");
    let new = msgs.get_attr("newMessageSetID");
    if old.is_some_and(|o| o.len() > 23 && o != "ClearAllMessageSets")
        || new.is_some_and(|n| n.len() > 23)
    {
        return Err(parse_error(
            company,
            "message set ID longer than 23 characters",
        ));
    }
    let stop = msgs.get_attr("onError") == Some("stopOnError");
    let include_none = msgs.get_attr("responseData") == Some("includeNone");
    let has_requests = !msgs.children.is_empty();
    let sum = checksum(msgs);
    let has_write = msgs.children.iter().any(|c| is_write(&c.name));

    let mut st = company.lock();
    st.counters.message_sets += 1;
    let plan = st.recovery.plan(old, new, sum, has_requests);
    let ctx = Ctx {
        schema: &schema,
        recovery: new.is_some(),
    };
    let (responses, code) = match plan {
        Plan::Plain => (run(&mut st, &ctx, msgs, stop), None),
        Plan::Replay(rs) => (rs, Some("0".to_string())),
        Plan::Refuse(code) => (Vec::new(), Some(code)),
        Plan::Process { code, remember } => {
            let rs = run(&mut st, &ctx, msgs, stop);
            if let Some(id) = remember {
                st.recovery.remember(id, sum, rs.clone());
            }
            (rs, Some(code))
        }
    };
    let mut responses = responses;
    if include_none {
        for r in &mut responses {
            r.children.clear();
        }
    }
    let mut attrs = Vec::new();
    if let Some(n) = new {
        attrs.push(("newMessageSetID".to_string(), n.to_string()));
    }
    if let Some(c) = code {
        attrs.push(("messageSetStatusCode".to_string(), c));
    }
    if has_write && st.faults.lose_next_response {
        st.faults.lose_next_response = false;
        st.drop_response = true;
    }
    Ok(write_document(&attrs, &responses))
}

fn is_write(name: &str) -> bool {
    name.ends_with("AddRq")
        || name.ends_with("ModRq")
        || matches!(name, "TxnVoidRq" | "TxnDelRq" | "ListDelRq")
}

fn run(st: &mut State, ctx: &Ctx<'_>, msgs: &Element, stop: bool) -> Vec<Element> {
    let mut out = Vec::new();
    for rq in &msgs.children {
        let rs = handle(st, ctx, rq);
        let failed = rs.get_attr("statusSeverity") == Some("Error");
        out.push(rs);
        if failed && stop {
            break;
        }
    }
    out
}

/// One request → its response element.
fn handle(st: &mut State, ctx: &Ctx<'_>, rq: &Element) -> Element {
    *st.counters.requests.entry(rq.name.clone()).or_default() += 1;
    let rs_name = match rq.name.strip_suffix("Rq") {
        Some(b) => format!("{b}Rs"),
        None => format!("{}Rs", rq.name),
    };
    let mut rs = Element::new(rs_name);
    let request_id = rq.get_attr("requestID");
    if let Some(id) = request_id {
        rs.set_attr("requestID", id);
    }
    let outcome = match request_id {
        Some(id) if id.chars().count() > 50 => Outcome::status(Status::bad_request_id(id)),
        _ => dispatch(st, ctx, rq),
    };
    outcome.status.apply(&mut rs);
    *st.counters.statuses.entry(outcome.status.code).or_default() += 1;
    if outcome.status.is_error() {
        return rs;
    }
    for (k, v) in outcome.attrs {
        rs.set_attr(&k, v);
    }
    rs.children = outcome.rets;
    for c in &mut rs.children {
        if !c.children.is_empty() && ctx.schema.global(&c.name).is_some() {
            ctx.schema.conform_global(c);
        }
    }
    if !rs.name.ends_with("QueryRs") {
        ctx.schema.conform_response(&mut rs);
    }
    rs
}

fn dispatch(st: &mut State, ctx: &Ctx<'_>, rq: &Element) -> Outcome {
    let name = rq.name.as_str();
    match name {
        "HostQueryRq" | "CompanyQueryRq" | "PreferencesQueryRq" => hcp::answer(st, rq),
        "ListDeletedQueryRq" => deleted::query(st, rq, false),
        "TxnDeletedQueryRq" => deleted::query(st, rq, true),
        "ItemQueryRq" => query::query(st, rq, &ITEMS),
        "EntityQueryRq" => query::query(st, rq, &ENTITIES),
        "TermsQueryRq" => query::query(st, rq, &[Kind::StandardTerms]),
        "TxnVoidRq" => void(st, ctx, rq),
        "TxnDelRq" => txn_del(st, ctx, rq),
        "ListDelRq" => list_del(st, rq),
        n if n.ends_with("ReportQueryRq") => report::run(st, rq),
        n => {
            let base = n.strip_suffix("Rq").unwrap_or(n);
            for op in ["Query", "Add", "Mod"] {
                let Some(k) = base.strip_suffix(op) else {
                    continue;
                };
                return match (Kind::from_name(k), op) {
                    (Some(kind), "Query") => query::query(st, rq, &[kind]),
                    (Some(kind), _) => write_rq(st, ctx, rq, kind, op),
                    // [sim] lists the simulated file does not keep are empty.
                    (None, "Query") => Outcome {
                        status: Status::no_match(),
                        rets: Vec::new(),
                        attrs: vec![("retCount".into(), "0".into())],
                    },
                    (None, _) => Outcome::status(Status::feature_unavailable()),
                };
            }
            Outcome::status(Status::feature_unavailable())
        }
    }
}

fn wctx(st: &State) -> WriteCtx {
    let now = st.now();
    WriteCtx {
        now,
        today: st.zone().date(now),
    }
}

/// An armed lock/feature/permission fault, consumed by the first write item.
fn injected(st: &mut State, kind: Kind, element: &str) -> Option<Outcome> {
    let code = st.faults.next_write.take()?;
    Some(Outcome::status(Status::injected(
        code,
        kind.name(),
        element,
    )))
}

fn error_recovery(st: &State, id: &str) -> Element {
    let mut e = Element::new("ErrorRecovery");
    match st.store.get(id) {
        Some(r) if r.kind.is_txn() => {
            e = e.leaf("TxnID", id);
            if let Some(n) = r.txn_number {
                e = e.leaf("TxnNumber", n.to_string());
            }
            e = e.leaf("EditSequence", r.edit_seq.to_string());
        }
        Some(r) => {
            e = e
                .leaf("ListID", id)
                .leaf("EditSequence", r.edit_seq.to_string());
        }
        None => {
            e = e.leaf("TxnID", id);
        }
    }
    e
}

fn write_rq(st: &mut State, ctx: &Ctx<'_>, rq: &Element, kind: Kind, op: &str) -> Outcome {
    let agg_name = format!("{}{}", kind.name(), op);
    let Some(agg) = rq.find(&agg_name) else {
        return Outcome::status(Status::internal());
    };
    let label = agg
        .child_text("Name")
        .or_else(|| agg.child_text("ListID"))
        .or_else(|| agg.child_text("TxnID"))
        .unwrap_or("")
        .to_string();
    if let Some(o) = injected(st, kind, &label) {
        return o;
    }
    let w = wctx(st);
    let result = if op == "Add" {
        write::add(&mut st.store, kind, agg, &w)
    } else {
        write::modify(&mut st.store, kind, agg, &w)
    };
    let id = match result {
        Ok(id) => id,
        Err(s) => return Outcome::status(s),
    };
    let include: Vec<String> = rq
        .find_all("IncludeRetElement")
        .map(|e| e.text.clone())
        .collect();
    let d = st.derived();
    let mut rets = Vec::new();
    if let Some(r) = st.store.get(&id) {
        let opts = RenderOpts {
            include,
            off_schema: st.faults.off_schema_values,
            ..RenderOpts::full()
        };
        rets.push(render(&st.store, &d, st.zone(), r, &opts));
    }
    if ctx.recovery {
        rets.push(error_recovery(st, &id));
    }
    Outcome {
        status: Status::ok(),
        rets,
        attrs: Vec::new(),
    }
}

fn void(st: &mut State, ctx: &Ctx<'_>, rq: &Element) -> Outcome {
    let ty = rq.child_text("TxnVoidType").unwrap_or("");
    let id = rq.child_text("TxnID").unwrap_or("").to_string();
    let Some(kind) = deleted::kind_of(ty, true) else {
        return Outcome::status(Status::missing_object(&id));
    };
    if let Some(o) = injected(st, kind, &id) {
        return o;
    }
    let w = wctx(st);
    if let Err(s) = write::void(&mut st.store, kind, &id, &w) {
        return Outcome::status(s);
    }
    let zone = st.zone();
    let mut rets = vec![
        Element::new("TxnVoidType").with_text(ty),
        Element::new("TxnID").with_text(id.clone()),
    ];
    if let Some(r) = st.store.get(&id) {
        rets.push(Element::new("TimeCreated").with_text(zone.format_datetime(r.created)));
        rets.push(Element::new("TimeModified").with_text(zone.format_datetime(r.modified)));
        if let Some(n) = r.ref_number() {
            rets.push(Element::new("RefNumber").with_text(n));
        }
    }
    if ctx.recovery {
        rets.push(error_recovery(st, &id));
    }
    Outcome {
        status: Status::ok(),
        rets,
        attrs: Vec::new(),
    }
}

fn txn_del(st: &mut State, ctx: &Ctx<'_>, rq: &Element) -> Outcome {
    let ty = rq.child_text("TxnDelType").unwrap_or("");
    let id = rq.child_text("TxnID").unwrap_or("").to_string();
    let Some(kind) = deleted::kind_of(ty, true) else {
        return Outcome::status(Status::missing_object(&id));
    };
    if let Some(o) = injected(st, kind, &id) {
        return o;
    }
    let w = wctx(st);
    let d = match write::delete_txn(&mut st.store, kind, &id, &w) {
        Ok(d) => d,
        Err(s) => return Outcome::status(s),
    };
    let zone = st.zone();
    let mut rets = vec![
        Element::new("TxnDelType").with_text(ty),
        Element::new("TxnID").with_text(id.clone()),
        Element::new("TimeDeleted").with_text(zone.format_datetime(d.deleted)),
    ];
    if let Some(n) = d.label.filter(|l| !l.is_empty()) {
        rets.push(Element::new("RefNumber").with_text(n));
    }
    if ctx.recovery {
        rets.push(Element::new("ErrorRecovery").leaf("TxnID", id));
    }
    Outcome {
        status: Status::ok(),
        rets,
        attrs: Vec::new(),
    }
}

fn list_del(st: &mut State, rq: &Element) -> Outcome {
    let ty = rq.child_text("ListDelType").unwrap_or("");
    let id = rq.child_text("ListID").unwrap_or("").to_string();
    let Some(kind) = deleted::kind_of(ty, false) else {
        return Outcome::status(Status::missing_object(&id));
    };
    if let Some(o) = injected(st, kind, &id) {
        return o;
    }
    let w = wctx(st);
    let d = match write::delete_list(&mut st.store, kind, &id, &w) {
        Ok(d) => d,
        Err(s) => return Outcome::status(s),
    };
    let zone = st.zone();
    let mut rets = vec![
        Element::new("ListDelType").with_text(ty),
        Element::new("ListID").with_text(id),
        Element::new("TimeDeleted").with_text(zone.format_datetime(d.deleted)),
    ];
    if let Some(n) = d.label.filter(|l| !l.is_empty()) {
        rets.push(Element::new("FullName").with_text(n));
    }
    Outcome {
        status: Status::ok(),
        rets,
        attrs: Vec::new(),
    }
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

fn write_element(out: &mut String, e: &Element) {
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(&escape(v, true));
        out.push('"');
    }
    if e.children.is_empty() && e.text.is_empty() {
        out.push_str(" />\n");
        return;
    }
    out.push('>');
    if e.children.is_empty() {
        out.push_str(&escape(&e.text, false));
    } else {
        out.push('\n');
        for c in &e.children {
            write_element(out, c);
        }
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push_str(">\n");
}

/// The response document: `<?xml version="1.0" ?>`, `QBXML`, `QBXMLMsgsRs` with `attrs`, one
/// element per line.
pub(crate) fn write_document(attrs: &[(String, String)], responses: &[Element]) -> String {
    let mut msgs = Element::new("QBXMLMsgsRs");
    msgs.attrs = attrs.to_vec();
    msgs.children = responses.to_vec();
    let mut out = String::from("<?xml version=\"1.0\" ?>\n<QBXML>\n");
    if responses.is_empty() {
        // An empty message set still has an open and a close tag.
        out.push_str("<QBXMLMsgsRs");
        for (k, v) in attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape(v, true)));
        }
        out.push_str(">\n</QBXMLMsgsRs>\n");
    } else {
        write_element(&mut out, &msgs);
    }
    out.push_str("</QBXML>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_look_like_quickbooks_output() {
        let rs = Element::new("CustomerModRs")
            .attr("requestID", "8")
            .attr("statusCode", "3200")
            .attr("statusSeverity", "Error")
            .attr(
                "statusMessage",
                "The provided edit sequence \"1\" is out-of-date. ",
            );
        let doc = write_document(&[], &[rs]);
        assert!(doc.starts_with("<?xml version=\"1.0\" ?>\n<QBXML>\n<QBXMLMsgsRs>\n"));
        assert!(doc.contains(
            "statusMessage=\"The provided edit sequence &quot;1&quot; is out-of-date. \" />\n"
        ));
        assert!(doc.ends_with("</QBXMLMsgsRs>\n</QBXML>\n"));
        assert!(!doc.contains("<?qbxml"));
        let empty = write_document(&[("messageSetStatusCode".into(), "600".into())], &[]);
        assert!(empty.contains("<QBXMLMsgsRs messageSetStatusCode=\"600\">\n</QBXMLMsgsRs>"));
        assert!(is_write("CustomerAddRq") && is_write("TxnDelRq") && !is_write("CustomerQueryRq"));
    }
}
