//! QuickBooks Online query strings (`SELECT * FROM Customer WHERE DisplayName = '…'`, reference
//! sheet §4). Here rather than in the agent so the fuzz targets can reach it without the agent.

/// Quotes a literal for the QuickBooks query language. Intuit's rule is a backslash before a
/// special character: `\'` for a quote, and so `\\` for a backslash, or a value ending in `\`
/// would escape its own closing quote and the rest of the query would be read as the value.
pub fn query_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::query_literal;

    #[test]
    fn query_literals_escape_quotes_and_backslashes() {
        assert_eq!(query_literal("O'Brien"), r"'O\'Brien'");
        assert_eq!(query_literal(r"C:\"), r"'C:\\'");
        assert_eq!(query_literal(r"\'"), r"'\\\''");
    }
}
