//! One page of a `/query` answer, kept as its text: a populate page is read once for where
//! its objects lie, and the objects are taken out as text, never decoded.

use super::fault::QboError;
use chrono::{DateTime, FixedOffset};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;
use std::ops::Range;

pub struct QueryPage {
    body: String,
}

/// Where a page's objects lie in its text, and the server time of the answer.
pub type Spans = (Vec<Range<usize>>, Option<DateTime<FixedOffset>>);

/// A `count(*)` query's answer: `{"QueryResponse":{"totalCount":n}}`.
#[derive(Deserialize)]
struct CountEnvelope {
    #[serde(rename = "QueryResponse")]
    response: CountResponse,
}

#[derive(Deserialize)]
struct CountResponse {
    #[serde(rename = "totalCount")]
    total_count: Option<u64>,
}

impl QueryPage {
    pub(super) fn new(body: String) -> Self {
        QueryPage { body }
    }

    /// A page from its answer text (for tests elsewhere in the crate).
    #[cfg(test)]
    pub fn from_body(body: String) -> Self {
        QueryPage { body }
    }

    /// `totalCount` of a `SELECT COUNT(*)` answer.
    pub fn total_count(&self) -> Option<u64> {
        serde_json::from_str::<CountEnvelope>(&self.body)
            .ok()?
            .response
            .total_count
    }

    /// Where each object of `entity` lies in the page's text (see [`QueryPage::text_at`]), and
    /// the server time of the answer.
    pub fn object_spans(&self, entity: &str) -> Result<Spans, QboError> {
        let (objects, time) = self.objects(entity)?;
        let base = self.body.as_ptr() as usize;
        let spans = objects
            .iter()
            .map(|o| {
                // Each object is borrowed from `body`, so its address is an offset into it.
                let start = o.get().as_ptr() as usize - base;
                start..start + o.get().len()
            })
            .collect();
        Ok((spans, time))
    }

    /// The text at `span`, one of [`QueryPage::object_spans`].
    pub fn text_at(&self, span: Range<usize>) -> &str {
        self.body.get(span).unwrap_or_default()
    }

    /// The raw objects of `entity` on this page and the server time of the answer, in one
    /// pass over the text.
    pub fn objects<'a>(
        &'a self,
        entity: &str,
    ) -> Result<(Vec<&'a RawValue>, Option<DateTime<FixedOffset>>), QboError> {
        let mut de = serde_json::Deserializer::from_str(&self.body);
        let page = EnvelopeSeed { entity }
            .deserialize(&mut de)
            .and_then(|page| de.end().map(|()| page))
            .map_err(|e| QboError::Decode(format!("query response: {e}")))?;
        let time = page
            .time
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        Ok((page.objects, time))
    }
}

/// What a page holds for the load.
struct Page<'a> {
    objects: Vec<&'a RawValue>,
    time: Option<String>,
}

/// Reads `{"QueryResponse":{"<Entity>":[...], ...}, "time": ...}`, keeping the objects of
/// `entity` (its name in any case) as raw text and skipping everything else.
struct EnvelopeSeed<'e> {
    entity: &'e str,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Page<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Page<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Page<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a query response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<'de>, A::Error> {
        let mut objects = None;
        let mut time = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "QueryResponse" => {
                    objects = Some(map.next_value_seed(ResponseSeed {
                        entity: self.entity,
                    })?)
                }
                "time" => time = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let objects = objects.ok_or_else(|| serde::de::Error::missing_field("QueryResponse"))?;
        Ok(Page { objects, time })
    }
}

/// The `QueryResponse` object: the array named after the entity (none on an empty page).
struct ResponseSeed<'e> {
    entity: &'e str,
}

impl<'de> DeserializeSeed<'de> for ResponseSeed<'_> {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResponseSeed<'_> {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a QueryResponse object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::new();
        while let Some(key) = map.next_key::<&str>()? {
            if key.eq_ignore_ascii_case(self.entity) {
                objects = map.next_value()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(objects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_found_in_any_case_with_the_time() {
        let page = QueryPage::from_body(
            r#"{"QueryResponse":{"startPosition":1,"customer":[{"Id":"1"},{"Id":"2","N":"a\"b"}],"maxResults":2},"time":"2024-01-02T03:04:05.678-08:00"}"#.into(),
        );
        let (objects, time) = page.objects("Customer").unwrap();
        let texts: Vec<&str> = objects.iter().map(|o| o.get()).collect();
        assert_eq!(texts, [r#"{"Id":"1"}"#, r#"{"Id":"2","N":"a\"b"}"#]);
        assert_eq!(time.unwrap().to_rfc3339(), "2024-01-02T03:04:05.678-08:00");
        let (spans, _) = page.object_spans("Customer").unwrap();
        let again: Vec<&str> = spans.into_iter().map(|s| page.text_at(s)).collect();
        assert_eq!(again, texts);
    }

    #[test]
    fn an_empty_page_has_no_objects_and_a_broken_one_is_an_error() {
        let page = QueryPage::from_body(r#"{"QueryResponse":{},"time":null}"#.into());
        let (objects, time) = page.objects("Customer").unwrap();
        assert!(objects.is_empty() && time.is_none());
        for body in [
            r#"{"QueryResponse":{"Customer":[{"Id":"1"}]}"#,
            r#"{"time":"x"}"#,
            r#"{"QueryResponse":{"Customer":[{"Id":"1"}]}} trailing"#,
            r#"{"QueryResponse":{"Customer":{"Id":"1"}}}"#,
        ] {
            assert!(
                QueryPage::from_body(body.into())
                    .objects("Customer")
                    .is_err(),
                "{body}"
            );
        }
    }
}
