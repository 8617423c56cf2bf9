//! A strict XML 1.0 reading of a document, the way QuickBooks (MSXML) and the Web Connector
//! (.NET) read what the agent writes: every character must be an XML 1.0 `Char` (also through
//! character references), line ends are normalised (§2.11) and attribute values normalised
//! (§3.3.3). The result is a plain tree, compared with the `Element` that was written.
//!
//! quick-xml does the tokenising; this module adds the checks quick-xml leaves to the caller.

use qbsync_qbxml::Element;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// An element as a conforming parser reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Character data directly inside the element, concatenated.
    pub text: String,
    pub children: Vec<Node>,
}

/// XML 1.0 §2.2 `Char` (Rust strings hold no surrogates).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// A conservative XML `Name` (what qbXML and SOAP use: ASCII letters, digits, `_ - . :`).
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

fn resolve_reference(name: &str) -> Result<char, String> {
    let ch = if let Some(hex) = name.strip_prefix("#x") {
        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse::<u32>().ok().and_then(char::from_u32)
    } else {
        match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => return Err(format!("undeclared entity &{name};")),
        }
    };
    match ch {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err(format!(
            "&{name}; is not a reference to an XML 1.0 character"
        )),
    }
}

/// §2.11: `\r\n` and a lone `\r` become `\n`.
fn normalize_eols(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// §3.3.3 for CDATA-typed attributes: references resolved, literal white space (after line-end
/// normalisation) becomes a space; a `<` is not allowed.
fn attribute_value(raw: &str) -> Result<String, String> {
    let raw = normalize_eols(raw);
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.as_str();
    while let Some(c) = rest.chars().next() {
        match c {
            '&' => {
                let end = rest
                    .find(';')
                    .ok_or_else(|| "unterminated reference in an attribute".to_string())?;
                out.push(resolve_reference(&rest[1..end])?);
                rest = &rest[end + 1..];
                continue;
            }
            '<' => return Err("'<' in an attribute value".into()),
            '\t' | '\n' => out.push(' '),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

fn start(s: &BytesStart<'_>) -> Result<Node, String> {
    let name = std::str::from_utf8(s.name().as_ref())
        .map_err(|e| e.to_string())?
        .to_string();
    if !is_name(&name) {
        return Err(format!("{name:?} is not an element name"));
    }
    let mut node = Node {
        name,
        ..Default::default()
    };
    for a in s.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = std::str::from_utf8(a.key.as_ref()).map_err(|e| e.to_string())?;
        if !is_name(key) {
            return Err(format!("{key:?} is not an attribute name"));
        }
        let raw = std::str::from_utf8(&a.value).map_err(|e| e.to_string())?;
        node.attrs.push((key.to_string(), attribute_value(raw)?));
    }
    Ok(node)
}

/// Parses `xml` strictly; `Err` says why a conforming XML 1.0 parser would reject it.
pub fn parse(xml: &str) -> Result<Node, String> {
    if let Some(c) = xml.chars().find(|c| !is_xml_char(*c)) {
        return Err(format!("U+{:04X} is not an XML 1.0 character", c as u32));
    }
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let close = |stack: &mut Vec<Node>, root: &mut Option<Node>, node: Node| match stack.last_mut()
    {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?;
        let outside = stack.is_empty();
        match event {
            Event::Start(s) | Event::Empty(s) if outside && root.is_some() => {
                return Err(format!(
                    "a second root element <{}>",
                    String::from_utf8_lossy(s.name().as_ref())
                ));
            }
            Event::Start(s) => stack.push(start(&s)?),
            Event::Empty(s) => {
                let node = start(&s)?;
                close(&mut stack, &mut root, node);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("an end tag without a start tag")?;
                close(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| e.to_string())?;
                match stack.last_mut() {
                    Some(cur) => cur.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(format!("text {text:?} outside the root element")),
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let c = resolve_reference(&name)?;
                stack
                    .last_mut()
                    .ok_or("a reference outside the root element")?
                    .text
                    .push(c);
            }
            Event::CData(c) => {
                let text = c.xml10_content().map_err(|e| e.to_string())?;
                stack
                    .last_mut()
                    .ok_or("CDATA outside the root element")?
                    .text
                    .push_str(&text);
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is never closed", open.name));
    }
    root.ok_or_else(|| "no root element".into())
}

/// Whether a conforming reading of what was written (`node`) is the element that was written:
/// same names, attributes and texts, no element more or less. `Err` names the first difference.
pub fn same_as_written(node: &Node, e: &Element) -> Result<(), String> {
    let mut pending = vec![(node, e, String::new())];
    while let Some((n, e, at)) = pending.pop() {
        let at = format!("{at}/{}", e.name);
        if n.name != e.name {
            return Err(format!("{at}: read back as <{}>", n.name));
        }
        if n.attrs != e.attrs {
            return Err(format!(
                "{at}: attributes {:?} read back as {:?}",
                e.attrs, n.attrs
            ));
        }
        if n.text != e.text {
            return Err(format!("{at}: text {:?} read back as {:?}", e.text, n.text));
        }
        if n.children.len() != e.children.len() {
            return Err(format!(
                "{at}: {} children read back as {}",
                e.children.len(),
                n.children.len()
            ));
        }
        for (nc, ec) in n.children.iter().zip(&e.children) {
            pending.push((nc, ec, at.clone()));
        }
    }
    Ok(())
}

/// Parses strictly and compares; panics with the document and the difference (a fuzz finding).
pub fn assert_written_faithfully(xml: &str, e: &Element) -> Node {
    let node = parse(xml).unwrap_or_else(|err| panic!("not XML 1.0: {err}\n{xml}"));
    if let Err(diff) = same_as_written(&node, e) {
        panic!("written and read back differ: {diff}\n{xml}");
    }
    node
}
