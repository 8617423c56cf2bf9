//! GET /: the page. Companies with their flags and buttons, recent activity, messages, and the
//! sync results with filters, pagination and the link/unlink form.

use super::filters::{self, LinkStatus, PerPage, ResultFilters, SinceInput, ALL_CAP};
use super::flash::{self, Notice};
use super::queries::{self, ActivityRow, CompanyRow, LastDoneTask, MessageRow, ResultRow};
use super::{cookies, SharedState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

/// One `<option>` of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub csrf: String,
    pub auth_required: bool,
    pub notices: Vec<Notice>,
    pub time_zone: String,
    pub companies: Vec<CompanyRow>,
    pub activity: Vec<ActivityRow>,
    pub messages: Vec<MessageRow>,
    pub results: Vec<ResultRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub cap_note: Option<String>,
    pub company_choices: Vec<Choice>,
    pub status_choices: Vec<Choice>,
    pub entity_choices: Vec<Choice>,
    pub per_page_choices: Vec<Choice>,
    pub since_value: String,
    pub since_note: String,
    pub q: String,
    /// The filters as applied, carried by the POST forms so their redirect shows this view.
    pub hidden: Vec<(&'static str, String)>,
}

/// What the `since` field means for this view, in words.
fn since_note(input: &SinceInput, last_done: Option<&LastDoneTask>) -> String {
    match (input, last_done) {
        (SinceInput::Default, Some(t)) => format!(
            "Since: by default, the start of the last completed task (task {} of {}).",
            t.id, t.company
        ),
        (SinceInput::Default, None) => "Since: by default, the start of the last completed task; there is none yet, so all results are shown.".into(),
        (SinceInput::AllTime, _) => "Since: no start date, all results.".into(),
        (SinceInput::At(_), _) => "Since: the date in the field.".into(),
        (SinceInput::Invalid(raw), _) => format!("Since: \"{raw}\" is not a date, so all results are shown."),
    }
}

pub async fn index(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let (notices, had_flash) = state.flashes.take(&headers);
    let requested = ResultFilters::from_pairs(&pairs);
    let page = match build(&state, &requested, notices.clone()).await {
        // The connection was lost since the last request: reading again opens a new one.
        Err(e) if e.connection_lost() => build(&state, &requested, notices).await?,
        other => other?,
    };
    let html = Html(page.render()?);
    Ok(if had_flash {
        ([(SET_COOKIE, cookies::clear(flash::COOKIE))], html).into_response()
    } else {
        html.into_response()
    })
}

async fn build(
    state: &SharedState,
    requested: &ResultFilters,
    notices: Vec<Notice>,
) -> Result<IndexPage, WebError> {
    let db = state.db.client().await?;

    let (companies, activity, messages, entities, time_zone) = tokio::try_join!(
        queries::companies(&db),
        queries::recent_activity(&db),
        queries::messages(&db),
        queries::result_entities(&db),
        queries::time_zone(&db),
    )?;
    let last_done = match requested.since {
        SinceInput::Default => queries::last_done_task(&db, requested.company.as_deref()).await?,
        _ => None,
    };
    let since = requested
        .explicit_since()
        .or_else(|| last_done.as_ref().map(|t| t.started));
    let applied = requested.with_since(since);

    let total = queries::count_results(&db, &applied, since).await?;
    let pages = filters::paginate(total, applied.per_page, applied.page);
    let applied = applied.at_page(pages.page);
    let results = queries::results(&db, &applied, since, applied.per_page, pages.offset).await?;

    let cap_note = (applied.per_page == PerPage::All && total > ALL_CAP).then(|| {
        format!("Showing the newest {ALL_CAP} of {total} matching results: narrow the filters to see the others.")
    });
    let mut company_choices = vec![Choice::new("", "All companies", applied.company.is_none())];
    company_choices.extend(companies.iter().map(|c| {
        Choice::new(
            &c.name,
            &c.name,
            applied.company.as_deref() == Some(c.name.as_str()),
        )
    }));
    let mut entity_choices = vec![Choice::new("", "All entities", applied.entity.is_none())];
    if let Some(e) = applied.entity.as_ref().filter(|e| !entities.contains(e)) {
        entity_choices.push(Choice::new(e, e, true));
    }
    entity_choices.extend(
        entities
            .iter()
            .map(|e| Choice::new(e, e, applied.entity.as_deref() == Some(e.as_str()))),
    );
    let status_choices = LinkStatus::CHOICES
        .iter()
        .map(|s| Choice::new(s.as_str(), s.as_str(), *s == applied.status))
        .collect();
    let per_page_choices = PerPage::CHOICES
        .iter()
        .map(|p| Choice::new(p.as_string(), p.as_string(), *p == applied.per_page))
        .collect();

    Ok(IndexPage {
        csrf: state.csrf.value().to_string(),
        auth_required: state.auth.required(),
        notices,
        time_zone,
        companies,
        activity,
        messages,
        results,
        total,
        page: pages.page,
        pages: pages.pages,
        prev_href: (pages.page > 1).then(|| applied.at_page(pages.page - 1).href()),
        next_href: (pages.page < pages.pages).then(|| applied.at_page(pages.page + 1).href()),
        cap_note,
        company_choices,
        status_choices,
        entity_choices,
        per_page_choices,
        since_value: since.map(filters::format_since).unwrap_or_default(),
        since_note: since_note(&requested.since, last_done.as_ref()),
        q: applied.q.clone().unwrap_or_default(),
        hidden: applied.to_pairs(),
    })
}
