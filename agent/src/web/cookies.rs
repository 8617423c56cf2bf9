//! Reading the `Cookie` header and writing `Set-Cookie` values for the page's own cookies.

use axum::http::header::COOKIE;
use axum::http::HeaderMap;

/// The value of cookie `name`, from any `Cookie` header of the request.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: scripts cannot read it (HttpOnly) and other sites' pages never send it
/// (SameSite=Strict). Not `Secure`, since the page is plain HTTP on loopback unless a TLS proxy
/// fronts it. `value` is one of our hex tokens, so it needs no quoting.
pub fn set(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict")
}

/// A `Set-Cookie` value that removes cookie `name`.
pub fn clear(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_a_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; qbsync_session=abc ; b=2"),
        );
        h.append(COOKIE, HeaderValue::from_static("qbsync_flash=f1"));
        assert_eq!(read(&h, "qbsync_session"), Some("abc"));
        assert_eq!(read(&h, "qbsync_flash"), Some("f1"));
        assert_eq!(read(&h, "qbsync"), None);
        assert!(set("x", "y").contains("HttpOnly; SameSite=Strict"));
        assert!(clear("x").ends_with("Max-Age=0"));
    }
}
