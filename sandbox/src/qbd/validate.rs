//! What QuickBooks checks before processing anything (§7, §19): the `<?qbxml version?>` PI
//! names a version the host supports, and the document is valid against that version's XSD
//! (`xmllint --noout --schema qbxmlopsXX0.xsd -`, spawned per request).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// The version in `<?qbxml version="13.0"?>`, if the document has that PI.
pub(crate) fn version_pi(doc: &str) -> Option<String> {
    let start = doc.find("<?qbxml")?;
    let rest = &doc[start + 7..];
    let end = rest.find("?>")?;
    let pi = &rest[..end];
    let at = pi.find("version")?;
    let after = pi[at + 7..].trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &after[1..];
    let close = inner.find(quote)?;
    Some(inner[..close].trim().to_string())
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// Validates `doc` against `xsd` with xmllint. Err carries xmllint's complaint. When xmllint
/// cannot be started at all, validation is skipped (with one warning).
pub(crate) fn xmllint(xsd: &Path, doc: &str) -> Result<(), String> {
    let child = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(xsd)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            if !WARNED.swap(true, Ordering::Relaxed) {
                tracing::warn!(error = %e, "xmllint not available; qbXML requests are not schema-validated");
            }
            return Ok(());
        }
    };
    let input = doc.as_bytes().to_vec();
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbd::schema::default_schema_root;

    #[test]
    fn finds_the_version_pi() {
        let d = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<?qbxml version=\"13.0\"?>\n<QBXML/>";
        assert_eq!(version_pi(d).as_deref(), Some("13.0"));
        assert_eq!(
            version_pi("<?qbxml version = '2.1' ?><QBXML/>").as_deref(),
            Some("2.1")
        );
        assert_eq!(version_pi("<?xml version=\"1.0\"?><QBXML/>"), None);
    }

    #[test]
    fn xmllint_accepts_valid_and_rejects_out_of_order() {
        let xsd = default_schema_root().join("qbxml-13.0/qbxmlops130.xsd");
        let ok = "<?qbxml version=\"13.0\"?><QBXML><QBXMLMsgsRq onError=\"continueOnError\"><CustomerQueryRq><MaxReturned>1</MaxReturned><ActiveStatus>All</ActiveStatus></CustomerQueryRq></QBXMLMsgsRq></QBXML>";
        assert_eq!(xmllint(&xsd, ok), Ok(()));
        let bad = ok.replace(
            "<MaxReturned>1</MaxReturned><ActiveStatus>All</ActiveStatus>",
            "<ActiveStatus>All</ActiveStatus><MaxReturned>1</MaxReturned>",
        );
        assert!(xmllint(&xsd, &bad).is_err());
    }
}
