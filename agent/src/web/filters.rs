//! The filters of the sync results table, as they arrive in a query string or a form (the
//! POST forms carry them as hidden fields so a redirect comes back to the same view), and the
//! pagination they imply. Values that do not parse fall back to the defaults rather than
//! failing the page.

use chrono::NaiveDateTime;

/// The names of the filter fields, in the order they are written back.
pub const FIELDS: [&str; 7] = [
    "company", "since", "status", "entity", "q", "per_page", "page",
];
/// The most rows "all" shows, so one page view keeps memory bounded.
pub const ALL_CAP: i64 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    All,
    Linked,
    Unlinked,
}

impl LinkStatus {
    pub const CHOICES: [LinkStatus; 3] =
        [LinkStatus::All, LinkStatus::Linked, LinkStatus::Unlinked];

    fn parse(s: &str) -> LinkStatus {
        match s {
            "linked" => LinkStatus::Linked,
            "unlinked" => LinkStatus::Unlinked,
            _ => LinkStatus::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::All => "all",
            LinkStatus::Linked => "linked",
            LinkStatus::Unlinked => "unlinked",
        }
    }

    /// The `link_status` value to match, None for all.
    pub fn sql_value(self) -> Option<&'static str> {
        match self {
            LinkStatus::All => None,
            other => Some(other.as_str()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerPage {
    Rows(i64),
    All,
}

impl PerPage {
    pub const CHOICES: [PerPage; 4] = [
        PerPage::Rows(25),
        PerPage::Rows(50),
        PerPage::Rows(100),
        PerPage::All,
    ];
    pub const DEFAULT: PerPage = PerPage::Rows(25);

    fn parse(s: &str) -> PerPage {
        match s {
            "all" => PerPage::All,
            "50" => PerPage::Rows(50),
            "100" => PerPage::Rows(100),
            _ => PerPage::DEFAULT,
        }
    }

    pub fn as_string(self) -> String {
        match self {
            PerPage::Rows(n) => n.to_string(),
            PerPage::All => "all".into(),
        }
    }

    /// Rows fetched for one page.
    pub fn limit(self) -> i64 {
        match self {
            PerPage::Rows(n) => n,
            PerPage::All => ALL_CAP,
        }
    }
}

/// The `since` field as given.
#[derive(Clone, Debug, PartialEq)]
pub enum SinceInput {
    /// Not in the request: the start of the last completed task applies.
    Default,
    /// Given empty: no lower bound.
    AllTime,
    At(NaiveDateTime),
    /// Given but not a date; ignored (no lower bound), and the page says so.
    Invalid(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResultFilters {
    pub company: Option<String>,
    pub since: SinceInput,
    pub status: LinkStatus,
    pub entity: Option<String>,
    /// Free text, matched case-insensitively inside the QuickBooks Id, the local key and the details.
    pub q: Option<String>,
    pub per_page: PerPage,
    /// 1-based.
    pub page: i64,
}

impl Default for ResultFilters {
    fn default() -> Self {
        ResultFilters {
            company: None,
            since: SinceInput::Default,
            status: LinkStatus::All,
            entity: None,
            q: None,
            per_page: PerPage::DEFAULT,
            page: 1,
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl ResultFilters {
    /// From query-string or form pairs; other fields (csrf, result) are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> ResultFilters {
        let mut f = ResultFilters::default();
        for (name, value) in pairs {
            match name.as_str() {
                "company" => f.company = non_empty(value),
                "since" => {
                    f.since = match value.trim() {
                        "" => SinceInput::AllTime,
                        v => parse_since(v)
                            .map_or_else(|| SinceInput::Invalid(v.to_string()), SinceInput::At),
                    }
                }
                "status" => f.status = LinkStatus::parse(value.trim()),
                "entity" => f.entity = non_empty(value),
                "q" => f.q = non_empty(value),
                "per_page" => f.per_page = PerPage::parse(value.trim()),
                "page" => {
                    f.page = value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|p| *p >= 1)
                        .unwrap_or(1)
                }
                _ => {}
            }
        }
        f
    }

    /// The fields as (name, value) pairs for links and hidden inputs. A `since` still at its
    /// default is left out, so the default is looked up again.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        FIELDS
            .iter()
            .filter_map(|&name| {
                let value = match name {
                    "company" => self.company.clone().unwrap_or_default(),
                    "since" => match &self.since {
                        SinceInput::Default => return None,
                        SinceInput::At(t) => format_since(*t),
                        SinceInput::AllTime | SinceInput::Invalid(_) => String::new(),
                    },
                    "status" => self.status.as_str().to_string(),
                    "entity" => self.entity.clone().unwrap_or_default(),
                    "q" => self.q.clone().unwrap_or_default(),
                    "per_page" => self.per_page.as_string(),
                    _ => self.page.to_string(),
                };
                Some((name, value))
            })
            .collect()
    }

    /// `/?...` with these filters.
    pub fn href(&self) -> String {
        // Encoding string pairs cannot fail; the bare page is the safe fallback.
        match serde_urlencoded::to_string(self.to_pairs()) {
            Ok(query) => format!("/?{query}"),
            Err(_) => "/".into(),
        }
    }

    /// The same filters at another page.
    pub fn at_page(&self, page: i64) -> ResultFilters {
        ResultFilters {
            page,
            ..self.clone()
        }
    }

    /// The same filters with `since` as applied (a default made explicit, so paging keeps it).
    pub fn with_since(&self, since: Option<NaiveDateTime>) -> ResultFilters {
        ResultFilters {
            since: since.map_or(SinceInput::AllTime, SinceInput::At),
            ..self.clone()
        }
    }

    /// The `since` given explicitly, if any (the default is looked up in the database).
    pub fn explicit_since(&self) -> Option<NaiveDateTime> {
        match self.since {
            SinceInput::At(t) => Some(t),
            _ => None,
        }
    }
}

/// A `datetime-local` value (with or without seconds) or a date (midnight).
pub fn parse_since(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

/// The `datetime-local` form of `t` (to the second).
pub fn format_since(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A LIKE pattern matching `q` anywhere, with LIKE's own characters taken literally.
pub fn contains_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Where one page of results starts, given the total.
#[derive(Debug, PartialEq, Eq)]
pub struct Pages {
    /// The page shown (the requested one, brought within 1..=pages).
    pub page: i64,
    /// At least 1, so "page 1 of 1" when nothing matches.
    pub pages: i64,
    pub offset: i64,
}

pub fn paginate(total: i64, per_page: PerPage, requested: i64) -> Pages {
    let size = per_page.limit().max(1);
    let pages = match per_page {
        PerPage::All => 1,
        PerPage::Rows(_) => ((total.max(0) + size - 1) / size).max(1),
    };
    let page = requested.clamp(1, pages);
    Pages {
        page,
        pages,
        offset: (page - 1) * size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn absent_fields_take_the_defaults() {
        let f = ResultFilters::from_pairs(&[]);
        assert_eq!(f, ResultFilters::default());
        assert_eq!(f.since, SinceInput::Default);
        assert_eq!(f.per_page, PerPage::Rows(25));
    }

    #[test]
    fn fields_parse_and_bad_values_fall_back() {
        let f = ResultFilters::from_pairs(&pairs(&[
            ("company", "acme"),
            ("since", "2025-01-31T10:02"),
            ("status", "unlinked"),
            ("entity", "Customer"),
            ("q", "  58 "),
            ("per_page", "all"),
            ("page", "3"),
            ("csrf", "ignored"),
        ]));
        assert_eq!(f.company.as_deref(), Some("acme"));
        assert_eq!(
            f.since,
            SinceInput::At(parse_since("2025-01-31T10:02:00").unwrap())
        );
        assert_eq!(f.status, LinkStatus::Unlinked);
        assert_eq!(f.entity.as_deref(), Some("Customer"));
        assert_eq!(f.q.as_deref(), Some("58"));
        assert_eq!(f.per_page, PerPage::All);
        assert_eq!(f.page, 3);

        let f = ResultFilters::from_pairs(&pairs(&[
            ("company", ""),
            ("since", ""),
            ("status", "bogus"),
            ("per_page", "7"),
            ("page", "-2"),
            ("q", "   "),
        ]));
        assert_eq!(f.company, None);
        assert_eq!(f.since, SinceInput::AllTime);
        assert_eq!(f.status, LinkStatus::All);
        assert_eq!(f.per_page, PerPage::Rows(25));
        assert_eq!(f.page, 1);
        assert_eq!(f.q, None);

        let f = ResultFilters::from_pairs(&pairs(&[("since", "yesterday")]));
        assert_eq!(f.since, SinceInput::Invalid("yesterday".into()));
        assert_eq!(f.explicit_since(), None);
    }

    #[test]
    fn dates_in_the_forms_browsers_send() {
        let t = parse_since("2025-01-31T10:02:11").unwrap();
        assert_eq!(format_since(t), "2025-01-31T10:02:11");
        assert_eq!(
            format_since(parse_since("2025-01-31").unwrap()),
            "2025-01-31T00:00:00"
        );
        assert_eq!(
            format_since(parse_since("2025-01-31T10:02:11.250").unwrap()),
            "2025-01-31T10:02:11"
        );
        assert!(parse_since("31/01/2025").is_none());
    }

    #[test]
    fn links_keep_the_filters_and_the_applied_since() {
        let f = ResultFilters::from_pairs(&pairs(&[
            ("company", "a&b co"),
            ("q", "50%"),
            ("entity", "Customer"),
        ]));
        assert!(
            !f.href().contains("since"),
            "a default since is looked up again"
        );
        let since = parse_since("2025-01-31T10:02:11");
        let href = f.with_since(since).at_page(2).href();
        assert_eq!(
            href,
            "/?company=a%26b+co&since=2025-01-31T10%3A02%3A11&status=all&entity=Customer&q=50%25&per_page=25&page=2"
        );
        // Read back, the link gives the same view.
        let back: Vec<(String, String)> = serde_urlencoded::from_str(&href[2..]).unwrap();
        let g = ResultFilters::from_pairs(&back);
        assert_eq!(g.company.as_deref(), Some("a&b co"));
        assert_eq!(g.explicit_since(), since);
        assert_eq!(g.q.as_deref(), Some("50%"));
        assert_eq!(g.page, 2);
        assert_eq!(
            f.with_since(None).to_pairs()[1],
            ("since", String::new()),
            "no default: all time"
        );
        assert_eq!(ResultFilters::from_pairs(&back), g);
    }

    #[test]
    fn like_characters_are_literal() {
        assert_eq!(contains_pattern("58"), "%58%");
        assert_eq!(contains_pattern("5_%\\"), "%5\\_\\%\\\\%");
    }

    #[test]
    fn pages_are_clamped() {
        assert_eq!(
            paginate(0, PerPage::Rows(25), 4),
            Pages {
                page: 1,
                pages: 1,
                offset: 0
            }
        );
        assert_eq!(
            paginate(51, PerPage::Rows(25), 3),
            Pages {
                page: 3,
                pages: 3,
                offset: 50
            }
        );
        assert_eq!(
            paginate(51, PerPage::Rows(25), 9),
            Pages {
                page: 3,
                pages: 3,
                offset: 50
            }
        );
        assert_eq!(
            paginate(50, PerPage::Rows(50), 2),
            Pages {
                page: 1,
                pages: 1,
                offset: 0
            }
        );
        assert_eq!(
            paginate(20_000, PerPage::All, 5),
            Pages {
                page: 1,
                pages: 1,
                offset: 0
            }
        );
    }
}
