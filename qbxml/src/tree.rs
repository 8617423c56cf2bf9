//! An XML element tree for qbXML: parsing keeps every element, attribute and text in document
//! order; writing escapes text and attributes and keeps the order elements were added in.

use quick_xml::escape::escape;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use std::borrow::Cow;
use std::io::Cursor;

/// The deepest element nesting [`Element::parse`] accepts. qbXML and the SOAP envelope nest about
/// ten levels; dropping, cloning and writing a tree recurse, so an unbounded depth would let one
/// request (a 300 KB SOAP body of nested tags) overflow a worker's stack and abort the agent.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("malformed XML at byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("the document has no root element")]
    NoRoot,
    #[error("elements nested deeper than {MAX_DEPTH} levels at byte {position}")]
    TooDeep { position: u64 },
}

/// One element: its name, attributes and children in document order, and its text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated character data directly inside this element (entities resolved).
    pub text: String,
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Builder: adds an attribute.
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attrs.push((name.into(), value.into()));
        self
    }

    /// Builder: adds a child element.
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Builder: adds `<name>text</name>`.
    pub fn leaf(self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.child(Element::new(name).with_text(text))
    }

    /// Builder: adds `<name>text</name>` when `text` is Some.
    pub fn opt_leaf(self, name: impl Into<String>, text: Option<impl Into<String>>) -> Self {
        match text {
            Some(t) => self.leaf(name, t),
            None => self,
        }
    }

    /// Builder: sets the text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    pub fn push(&mut self, child: Element) -> &mut Element {
        self.children.push(child);
        self.children.last_mut().expect("just pushed")
    }

    /// The value of attribute `name`.
    pub fn get_attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets (or replaces) attribute `name`.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(a) => a.1 = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    /// The first child called `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.find(name).map(|c| c.text.as_str())
    }

    /// Follows a path of child names (`["CustomerRef", "ListID"]`).
    pub fn path(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, p| e.find(p))
    }

    /// The name without its namespace prefix (`soap:Body` → `Body`).
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// The first child whose local name is `name`, whatever its prefix.
    pub fn find_local(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.local_name() == name)
    }

    /// Parses the root element of `xml` (declaration, processing instructions, comments and
    /// DOCTYPE are skipped).
    pub fn parse(xml: &str) -> Result<Element, XmlError> {
        let mut reader = Reader::from_str(xml);
        let mut stack: Vec<Element> = Vec::new();
        let malformed = |reader: &Reader<&[u8]>, message: String| XmlError::Malformed {
            position: reader.buffer_position(),
            message,
        };
        loop {
            let event = reader
                .read_event()
                .map_err(|e| malformed(&reader, e.to_string()))?;
            if matches!(event, Event::Start(_) | Event::Empty(_)) && stack.len() >= MAX_DEPTH {
                return Err(XmlError::TooDeep {
                    position: reader.buffer_position(),
                });
            }
            match event {
                Event::Start(start) => stack.push(start_element(&reader, &start)?),
                Event::Empty(start) => {
                    let e = start_element(&reader, &start)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(e),
                        None => return Ok(e),
                    }
                }
                Event::End(_) => {
                    let Some(mut done) = stack.pop() else {
                        return Err(malformed(&reader, "unexpected end tag".into()));
                    };
                    // Indentation between child elements is not content.
                    if !done.children.is_empty() && done.text.trim().is_empty() {
                        done.text.clear();
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Text(t) => {
                    if let Some(cur) = stack.last_mut() {
                        // Entity references arrive as their own GeneralRef events.
                        let s = t.decode().map_err(|e| malformed(&reader, e.to_string()))?;
                        cur.text.push_str(&s);
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(cur) = stack.last_mut() {
                        if let Some(ch) = r
                            .resolve_char_ref()
                            .map_err(|e| malformed(&reader, e.to_string()))?
                        {
                            cur.text.push(ch);
                        } else {
                            let name = r.decode().map_err(|e| malformed(&reader, e.to_string()))?;
                            let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| {
                                    malformed(&reader, format!("unknown entity &{name};"))
                                })?;
                            cur.text.push_str(resolved);
                        }
                    }
                }
                Event::CData(c) => {
                    if let Some(cur) = stack.last_mut() {
                        cur.text.push_str(&String::from_utf8_lossy(&c));
                    }
                }
                Event::Eof => {
                    return Err(if stack.is_empty() {
                        XmlError::NoRoot
                    } else {
                        malformed(&reader, "document ends inside an element".into())
                    })
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Writes the element (no XML declaration): text and attributes escaped, empty elements
    /// as `<a/>`-style self-closing tags.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Cursor::new(Vec::new()));
        write_element(&mut w, self);
        String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
    }
}

fn start_element(reader: &Reader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let malformed = |message: String| XmlError::Malformed {
        position: reader.buffer_position(),
        message,
    };
    let mut e = Element::new(String::from_utf8_lossy(start.name().as_ref()).into_owned());
    for a in start.attributes() {
        let a = a.map_err(|err| malformed(err.to_string()))?;
        let value = a
            .decode_and_unescape_value(reader.decoder())
            .map_err(|err| malformed(err.to_string()))?;
        e.attrs.push((
            String::from_utf8_lossy(a.key.as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    Ok(e)
}

/// Attribute value escaping: quick-xml's (`<>&'"`) plus tab and line ends as character
/// references, which a conforming parser would otherwise read as spaces (XML 1.0 §3.3.3).
fn escape_attr(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in escape(v).chars() {
        match c {
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Text escaping: quick-xml's, plus `\r` as a character reference so a parser's line-end
/// normalisation (§2.11) cannot turn it into `\n`.
fn escape_text(t: &str) -> Cow<'_, str> {
    let escaped = escape(t);
    if escaped.contains('\r') {
        Cow::Owned(escaped.replace('\r', "&#xD;"))
    } else {
        escaped
    }
}

fn write_element(w: &mut Writer<Cursor<Vec<u8>>>, e: &Element) {
    let mut start = BytesStart::new(e.name.as_str());
    for (k, v) in &e.attrs {
        let value = escape_attr(v);
        // A (bytes, bytes) attribute is taken as already escaped.
        start.push_attribute(Attribute::from((k.as_bytes(), value.as_bytes())));
    }
    // Writing into a Vec cannot fail.
    if e.children.is_empty() && e.text.is_empty() {
        let _ = w.write_event(Event::Empty(start));
        return;
    }
    let _ = w.write_event(Event::Start(start));
    if !e.text.is_empty() {
        let _ = w.write_event(Event::Text(BytesText::from_escaped(escape_text(&e.text))));
    }
    for c in &e.children {
        write_element(w, c);
    }
    let _ = w.write_event(Event::End(BytesEnd::new(e.name.as_str())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_order_attributes_and_escapes() {
        let e = Element::new("CustomerAddRq").attr("requestID", "7").child(
            Element::new("CustomerAdd")
                .leaf("Name", "Smith & Sons <\"Ltd\">")
                .leaf("CompanyName", "O'Brien"),
        );
        let xml = e.to_xml();
        assert!(xml.contains("Smith &amp; Sons &lt;"), "{xml}");
        let back = Element::parse(&xml).expect("parse");
        assert_eq!(back, e);
        assert_eq!(
            back.path(&["CustomerAdd", "Name"]).map(|n| n.text.as_str()),
            Some("Smith & Sons <\"Ltd\">")
        );
    }

    #[test]
    fn parses_documents_with_declaration_pi_and_prefixes() {
        let xml = "<?xml version=\"1.0\" ?>\n<?qbxml version=\"13.0\"?>\n<soap:Envelope xmlns:soap=\"x\"><soap:Body><a>1 &lt; 2</a><b/></soap:Body></soap:Envelope>";
        let e = Element::parse(xml).expect("parse");
        assert_eq!(e.local_name(), "Envelope");
        let body = e.find_local("Body").expect("body");
        assert_eq!(body.child_text("a"), Some("1 < 2"));
        assert!(body.find("b").is_some());
        let pretty = Element::parse("<a>\n  <b> x </b>\n</a>").expect("parse");
        assert_eq!(pretty.text, "");
        assert_eq!(pretty.child_text("b"), Some(" x "));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Found with the soap_envelope and qbxml_response fuzz targets (run on a small stack):
        // 100,000 nested elements, 700 KB (under the SOAP endpoint's 2 MB body limit), parsed,
        // then overflowed a 2 MB tokio worker stack when the tree was dropped.
        let depth = 100_000;
        let doc = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let parsed = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Element::parse(&doc).map(|_| ()))
            .expect("spawn")
            .join()
            .expect("parsing did not overflow the stack");
        assert!(
            matches!(parsed, Err(XmlError::TooDeep { .. })),
            "{parsed:?}"
        );
        let deepest = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(Element::parse(&deepest).is_ok());
        let empty_leaf = format!(
            "{}<b/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert!(matches!(
            Element::parse(&empty_leaf),
            Err(XmlError::TooDeep { .. })
        ));
    }

    #[test]
    fn line_ends_and_tabs_survive_a_conforming_parser() {
        // Found with the query_builder fuzz target: a conforming parser (QuickBooks, .NET)
        // reads a literal tab or line end in an attribute as a space and a literal \r in text
        // as \n, so they are written as character references.
        let e = Element::new("Rq")
            .attr("newMessageSetID", "a\tb\nc\r\nd")
            .leaf("Memo", "line 1\r\nline 2\rend\n\t");
        let xml = e.to_xml();
        assert_eq!(
            xml,
            "<Rq newMessageSetID=\"a&#x9;b&#xA;c&#xD;&#xA;d\"><Memo>line 1&#xD;\nline 2&#xD;end\n\t</Memo></Rq>"
        );
        assert_eq!(Element::parse(&xml).expect("parse"), e);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(Element::parse("<a><b></a>").is_err());
        assert!(Element::parse("").is_err());
        assert!(Element::parse("<a>").is_err());
        assert!(Element::parse("just text").is_err());
    }
}
