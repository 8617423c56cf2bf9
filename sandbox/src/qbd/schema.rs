//! Element-order tables read from Intuit's qbXML XSDs at run time (once per schema version,
//! lazily): for every element, the order of its children (XSD sequences flattened, choices in
//! declaration order), the model of each child, and for leaves the scalar type (`AMTTYPE`, ...).
//! Every `*Ret`/`*Rs` the company file emits is put through [`Schema::conform`], so output always
//! follows the XSD sequences of the version the request declared.

use qbsync_qbxml::Element;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Index of a [`Model`] in [`Schema::models`].
pub(crate) type ModelId = usize;

/// The content model of one element declaration.
#[derive(Debug, Default, Clone)]
pub(crate) struct Model {
    /// Child element names in schema order (first occurrence wins).
    pub order: Vec<String>,
    /// The model of each child.
    pub kids: HashMap<String, ModelId>,
    /// Sort rank of each child: its place in `order`, except that the alternatives of a
    /// repeating choice (`ReportData`'s DataRow/TextRow/SubtotalRow/TotalRow) share one rank, so
    /// their document order is kept.
    pub ranks: HashMap<String, usize>,
    /// For simple content: the qbXML scalar type it derives from (`AMTTYPE`, `STRTYPE`, ...).
    pub simple: Option<String>,
}

impl Model {
    fn position(&self, name: &str) -> Option<usize> {
        self.ranks
            .get(name)
            .copied()
            .or_else(|| self.order.iter().position(|n| n == name))
    }
}

/// One compiled schema set (`qbxmlops130.xsd` and its includes).
#[derive(Debug)]
pub(crate) struct Schema {
    /// The `ops` entry point, for xmllint.
    pub ops_path: PathBuf,
    models: Vec<Model>,
    globals: HashMap<String, ModelId>,
    /// Local `*Rs` elements of `QBXMLMsgsRs` (their models).
    responses: HashMap<String, ModelId>,
    #[cfg_attr(not(test), allow(dead_code))]
    requests: HashMap<String, ModelId>,
}

/// Where the XSD folders are: `QBSYNC_QB_SCHEMAS`, else `shared/quickbooks` beside the workspace.
pub(crate) fn default_schema_root() -> PathBuf {
    match std::env::var_os("QBSYNC_QB_SCHEMAS") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/quickbooks"
        )),
    }
}

/// Which XSD set validates a request declaring qbXML `version`: 16.0 for 14.0 and above,
/// 13.0 otherwise (older versions are validated by the 13.0 set, which accepts their documents
/// and more).
pub(crate) fn schema_version_for(version: &str) -> &'static str {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if major >= 14 {
        "16.0"
    } else {
        "13.0"
    }
}

type Cache = Mutex<HashMap<(PathBuf, String), Arc<Schema>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The compiled schema `version` (`13.0`/`16.0`) under `root`, compiled on first use.
pub(crate) fn load(root: &Path, version: &str) -> Result<Arc<Schema>, String> {
    let key = (root.to_path_buf(), version.to_string());
    if let Some(s) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(Arc::clone(s));
    }
    let compiled = Arc::new(compile(root, version)?);
    let mut c = cache().lock().unwrap_or_else(|p| p.into_inner());
    Ok(Arc::clone(c.entry(key).or_insert(compiled)))
}

fn compile(root: &Path, version: &str) -> Result<Schema, String> {
    let digits: String = version.chars().filter(|c| c.is_ascii_digit()).collect();
    let dir = root.join(format!("qbxml-{version}"));
    let ops_path = dir.join(format!("qbxmlops{digits}.xsd"));
    let mut decls = Decls::default();
    for file in [
        format!("qbxmltypes{digits}.xsd"),
        format!("qbxml{digits}.xsd"),
        format!("qbxmlso{digits}.xsd"),
        format!("qbxmlops{digits}.xsd"),
    ] {
        let path = dir.join(&file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let root = Element::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        decls.add(root);
    }
    let mut c = Compiler {
        decls: &decls,
        models: vec![Model::default()],
        globals: HashMap::new(),
        types: HashMap::new(),
        leaves: HashMap::new(),
    };
    let names: Vec<String> = decls.elements.keys().cloned().collect();
    for n in names {
        c.global(&n);
    }
    let Compiler {
        models, globals, ..
    } = c;
    let kids_of = |name: &str| -> HashMap<String, ModelId> {
        globals
            .get(name)
            .and_then(|m| models.get(*m))
            .map(|m| m.kids.clone())
            .unwrap_or_default()
    };
    let responses = kids_of("QBXMLMsgsRs");
    let requests = kids_of("QBXMLMsgsRq");
    Ok(Schema {
        ops_path,
        models,
        globals,
        responses,
        requests,
    })
}

#[derive(Default)]
struct Decls {
    elements: HashMap<String, Element>,
    groups: HashMap<String, Element>,
    complex: HashMap<String, Element>,
    simple: HashMap<String, Element>,
}

fn local(e: &Element) -> &str {
    e.local_name()
}

impl Decls {
    fn add(&mut self, root: Element) {
        for c in root.children {
            let Some(name) = c.get_attr("name").map(str::to_string) else {
                continue;
            };
            match local(&c) {
                "element" => {
                    self.elements.insert(name, c);
                }
                "group" => {
                    self.groups.insert(name, c);
                }
                "complexType" => {
                    self.complex.insert(name, c);
                }
                "simpleType" => {
                    self.simple.insert(name, c);
                }
                _ => {}
            }
        }
    }

    /// The qbXML scalar type a named or inline simple type derives from.
    fn scalar(&self, type_name: &str, depth: usize) -> String {
        if depth > 8 || type_name.ends_with("TYPE") || type_name.starts_with("xsd:") {
            return type_name.to_string();
        }
        match self.simple.get(type_name) {
            Some(st) => self.scalar_of_simple(st, depth + 1),
            None => type_name.to_string(),
        }
    }

    fn scalar_of_simple(&self, st: &Element, depth: usize) -> String {
        match st
            .find_local("restriction")
            .and_then(|r| r.get_attr("base"))
        {
            Some(base) => self.scalar(base, depth),
            None => "STRTYPE".into(),
        }
    }
}

struct Compiler<'a> {
    decls: &'a Decls,
    models: Vec<Model>,
    globals: HashMap<String, ModelId>,
    types: HashMap<String, ModelId>,
    leaves: HashMap<String, ModelId>,
}

impl Compiler<'_> {
    fn leaf(&mut self, scalar: String) -> ModelId {
        if let Some(m) = self.leaves.get(&scalar) {
            return *m;
        }
        self.models.push(Model {
            simple: Some(scalar.clone()),
            ..Model::default()
        });
        let id = self.models.len() - 1;
        self.leaves.insert(scalar, id);
        id
    }

    fn global(&mut self, name: &str) -> ModelId {
        if let Some(m) = self.globals.get(name) {
            return *m;
        }
        let Some(decl) = self.decls.elements.get(name) else {
            return 0;
        };
        // Reserve the slot first so recursive references terminate.
        self.models.push(Model::default());
        let id = self.models.len() - 1;
        self.globals.insert(name.to_string(), id);
        let m = self.element_body(decl);
        self.models[id] = m;
        id
    }

    fn named_type(&mut self, type_name: &str) -> ModelId {
        if let Some(m) = self.types.get(type_name) {
            return *m;
        }
        match self.decls.complex.get(type_name) {
            Some(ct) => {
                self.models.push(Model::default());
                let id = self.models.len() - 1;
                self.types.insert(type_name.to_string(), id);
                let m = self.complex(ct);
                self.models[id] = m;
                id
            }
            None => {
                let s = self.decls.scalar(type_name, 0);
                self.leaf(s)
            }
        }
    }

    /// The model of an element declaration (global or local, by `ref` or with a body).
    fn element(&mut self, decl: &Element) -> ModelId {
        if let Some(r) = decl.get_attr("ref") {
            return self.global(r);
        }
        if let Some(t) = decl.get_attr("type") {
            return self.named_type(t);
        }
        let m = self.element_body(decl);
        if m.order.is_empty() {
            if let Some(s) = m.simple {
                return self.leaf(s);
            }
        }
        self.models.push(m);
        self.models.len() - 1
    }

    fn element_body(&mut self, decl: &Element) -> Model {
        if let Some(t) = decl.get_attr("type") {
            let id = self.named_type(t);
            return self.models.get(id).cloned().unwrap_or_default();
        }
        if let Some(ct) = decl.find_local("complexType") {
            return self.complex(ct);
        }
        if let Some(st) = decl.find_local("simpleType") {
            return Model {
                simple: Some(self.decls.scalar_of_simple(st, 0)),
                ..Model::default()
            };
        }
        Model {
            simple: Some("STRTYPE".into()),
            ..Model::default()
        }
    }

    fn complex(&mut self, ct: &Element) -> Model {
        let mut m = Model::default();
        for c in &ct.children {
            match local(c) {
                "sequence" | "choice" | "all" | "group" => self.particles(c, &mut m, 0, None),
                "simpleContent" => {
                    let base = c
                        .children
                        .iter()
                        .find_map(|x| x.get_attr("base"))
                        .map(|b| self.decls.scalar(b, 0))
                        .unwrap_or_else(|| "STRTYPE".into());
                    m.simple = Some(base);
                }
                _ => {}
            }
        }
        m
    }

    fn particles(&mut self, node: &Element, m: &mut Model, depth: usize, shared: Option<usize>) {
        if depth > 32 {
            return;
        }
        match local(node) {
            "element" => {
                let Some(name) = node.get_attr("name").or_else(|| node.get_attr("ref")) else {
                    return;
                };
                let name = name.to_string();
                if m.position(&name).is_none() {
                    let kid = self.element(node);
                    m.ranks
                        .insert(name.clone(), shared.unwrap_or(m.order.len()));
                    m.order.push(name.clone());
                    m.kids.insert(name, kid);
                }
            }
            "group" => {
                if let Some(r) = node.get_attr("ref") {
                    if let Some(g) = self.decls.groups.get(r) {
                        for c in &g.children {
                            self.particles(c, m, depth + 1, shared);
                        }
                    }
                } else {
                    for c in &node.children {
                        self.particles(c, m, depth + 1, shared);
                    }
                }
            }
            "sequence" | "choice" | "all" => {
                let repeating = local(node) == "choice"
                    && node
                        .get_attr("maxOccurs")
                        .is_some_and(|v| v != "1" && v != "0");
                let shared = match shared {
                    None if repeating => Some(m.order.len()),
                    other => other,
                };
                for c in &node.children {
                    self.particles(c, m, depth + 1, shared);
                }
            }
            _ => {}
        }
    }
}

impl Schema {
    pub fn model(&self, id: ModelId) -> &Model {
        self.models.get(id).unwrap_or(&self.models[0])
    }

    /// The model of global element `name` (e.g. `CustomerRet`).
    pub fn global(&self, name: &str) -> Option<ModelId> {
        self.globals.get(name).copied()
    }

    /// The model of response element `name` (e.g. `CustomerQueryRs`).
    pub fn response(&self, name: &str) -> Option<ModelId> {
        self.responses.get(name).copied()
    }

    /// Whether `name` is a request element of this version (`CustomerQueryRq`).
    #[cfg(test)]
    pub fn has_request(&self, name: &str) -> bool {
        self.requests.contains_key(name)
    }

    /// The model of a child `name` of model `parent`.
    #[cfg(test)]
    pub fn kid(&self, parent: ModelId, name: &str) -> Option<ModelId> {
        self.model(parent).kids.get(name).copied()
    }

    /// Puts `e`'s children (recursively) into schema order, drops children the model does not
    /// know, and writes `AMTTYPE` values with two decimals.
    pub fn conform(&self, e: &mut Element, model: ModelId) {
        let m = self.model(model);
        if let Some(simple) = &m.simple {
            if simple == "AMTTYPE" && !e.text.is_empty() {
                if let Some(c) = super::money::parse_amount(&e.text) {
                    e.text = super::money::fmt_amount(c);
                }
            }
        }
        if e.children.is_empty() {
            return;
        }
        e.children.retain(|c| m.kids.contains_key(&c.name));
        e.children
            .sort_by_key(|c| m.position(&c.name).unwrap_or(usize::MAX));
        for c in &mut e.children {
            if let Some(k) = m.kids.get(&c.name) {
                self.conform(c, *k);
            }
        }
    }

    /// [`Schema::conform`] for a global element (`CustomerRet`, `ReportRet`).
    pub fn conform_global(&self, e: &mut Element) {
        if let Some(m) = self.global(&e.name) {
            self.conform(e, m);
        }
    }

    /// [`Schema::conform`] for a response element (`CustomerQueryRs`).
    pub fn conform_response(&self, e: &mut Element) {
        if let Some(m) = self.response(&e.name) {
            self.conform(e, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Arc<Schema> {
        load(&default_schema_root(), "13.0").expect("13.0 schema")
    }

    #[test]
    fn customer_ret_order_comes_from_the_xsd() {
        let s = schema();
        let m = s.model(s.global("CustomerRet").expect("CustomerRet"));
        assert_eq!(
            &m.order[..6],
            [
                "ListID",
                "TimeCreated",
                "TimeModified",
                "EditSequence",
                "Name",
                "FullName"
            ]
        );
        let bill = s.kid(s.global("CustomerRet").unwrap_or(0), "BillAddress");
        assert!(bill.is_some_and(|b| s.model(b).order.first().map(String::as_str) == Some("Addr1")));
    }

    #[test]
    fn conform_sorts_prunes_and_formats_amounts() {
        let s = schema();
        let mut e = Element::new("InvoiceRet")
            .leaf("Subtotal", "12.5")
            .leaf("Bogus", "x")
            .child(
                Element::new("InvoiceLineRet")
                    .leaf("Amount", "3")
                    .leaf("TxnLineID", "1-1"),
            )
            .leaf("TxnID", "4-1");
        s.conform_global(&mut e);
        let names: Vec<&str> = e.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["TxnID", "Subtotal", "InvoiceLineRet"]);
        assert_eq!(e.child_text("Subtotal"), Some("12.50"));
        let line = e.find("InvoiceLineRet").expect("line");
        assert_eq!(line.children[0].name, "TxnLineID");
        assert_eq!(line.child_text("Amount"), Some("3.00"));
    }

    #[test]
    fn responses_and_requests_are_indexed() {
        let s = schema();
        assert!(s.response("CustomerQueryRs").is_some());
        assert!(s.has_request("InvoiceAddRq"));
        assert!(!s.has_request("PaycheckQueryRq"));
        let s16 = load(&default_schema_root(), "16.0").expect("16.0 schema");
        assert!(s16.has_request("PaycheckQueryRq"));
        assert_eq!(schema_version_for("12.0"), "13.0");
        assert_eq!(schema_version_for("16.0"), "16.0");
    }
}
