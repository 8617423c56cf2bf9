//! Flash messages: what a POST did, shown once on the page it redirects to. The text stays in
//! memory under a random id; the browser only carries the id in a cookie (error texts can be
//! long, and a cookie could be forged, an id cannot).

use super::{cookies, random, WebError};
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "qbsync_flash";
/// A message not shown within this long is dropped.
const KEEP: Duration = Duration::from_secs(600);
/// Messages kept at most, whatever clients do.
const MAX_KEPT: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Done,
    Refused,
}

#[derive(Clone, Debug)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

impl Notice {
    pub fn done(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Done,
            text: text.into(),
        }
    }

    pub fn refused(text: impl Into<String>) -> Notice {
        Notice {
            level: Level::Refused,
            text: text.into(),
        }
    }

    /// CSS class of the line.
    pub fn class(&self) -> &'static str {
        match self.level {
            Level::Done => "done",
            Level::Refused => "refused",
        }
    }
}

#[derive(Default)]
pub struct Flashes {
    kept: Mutex<HashMap<String, (Instant, Vec<Notice>)>>,
}

impl Flashes {
    /// Keeps `notices` and returns the `Set-Cookie` value that points the browser at them.
    pub fn put(&self, notices: Vec<Notice>) -> Result<String, WebError> {
        let id = random::token()?;
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|_, (at, _)| at.elapsed() < KEEP);
        if kept.len() >= MAX_KEPT {
            if let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            {
                kept.remove(&oldest);
            }
        }
        kept.insert(id.clone(), (Instant::now(), notices));
        Ok(cookies::set(COOKIE, &id))
    }

    /// The notices the request's cookie points at (once), and whether it had the cookie (so
    /// the answer should clear it).
    pub fn take(&self, headers: &HeaderMap) -> (Vec<Notice>, bool) {
        let Some(id) = cookies::read(headers, COOKIE) else {
            return (Vec::new(), false);
        };
        let notices = self
            .kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .map(|(_, n)| n)
            .unwrap_or_default();
        (notices, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn a_flash_is_shown_once() {
        let flashes = Flashes::default();
        let set_cookie = flashes.put(vec![Notice::done("queued task 7")]).unwrap();
        let pair = set_cookie.split(';').next().unwrap().to_string();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&pair).unwrap());
        let (notices, had_cookie) = flashes.take(&headers);
        assert!(had_cookie);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].text, "queued task 7");
        assert_eq!(notices[0].class(), "done");
        assert!(flashes.take(&headers).0.is_empty());
        assert!(!flashes.take(&HeaderMap::new()).1);
    }
}
