//! The lexical rules of QuickBooks Online query strings for string literals (reference sheet §4;
//! Intuit: "use backslash to escape special characters"): a literal is `'…'`, inside it `\'` is
//! a quote and `\\` a backslash. A backslash before any other character has two plausible
//! readings (the sandbox keeps the backslash, a Java-style lexer drops it); a literal the agent
//! writes must mean the same under both, so the fuzz target checks both.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// Anything outside a literal, split on white space.
    Word(String),
    /// A string literal's value.
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// `\x` is a backslash and `x` (the sandbox).
    KeepBackslash,
    /// `\x` is `x` (Java-style).
    DropBackslash,
}

/// Splits a query into words and string literals; `Err` when a literal never ends.
pub fn tokens(q: &str, reading: Reading) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word)));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            flush(&mut word, &mut out);
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(format!("unterminated literal in {q:?}")),
                    Some('\\') => match chars.get(i + 1) {
                        Some(&n @ ('\'' | '\\')) => {
                            s.push(n);
                            i += 2;
                        }
                        Some(&n) if reading == Reading::DropBackslash => {
                            s.push(n);
                            i += 2;
                        }
                        _ => {
                            s.push('\\');
                            i += 1;
                        }
                    },
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
            out.push(Tok::Str(s));
        } else if c.is_whitespace() {
            flush(&mut word, &mut out);
            i += 1;
        } else {
            word.push(c);
            i += 1;
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}
