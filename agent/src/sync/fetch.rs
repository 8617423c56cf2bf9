//! The pages of one entity for a full load, in Id order, fetched ahead of the writer.
//!
//! The first page is asked alone, since most entities fit on it. If it is full, one count of
//! the records after it says how many pages are left, so no request is spent on a page past
//! the end. When the budget has a batch token free, that count goes in the same `/batch` call
//! as the next round's pages, asked before the count is known (a page past the end costs no
//! request inside a batch call), so the writers get the next records one round trip sooner.
//! The rest comes in rounds of up to `width` pages asked together: one `/batch` call
//! when the realm's budget has a batch token free, single queries in flight side by side
//! otherwise, so neither the request bucket nor the batch bucket idles while there is work.
//! Each round starts after the last Id of the round before (`Id > last`), so QuickBooks never
//! walks more than one round of pages to find a page, however deep into the entity it is.
//!
//! Pages of one round are positions after the same Id, asked at about the same time. A record
//! deleted in QuickBooks meanwhile would shift the later pages by one and a record would fall
//! between two pages unseen. So each page after the first of a round starts one record early:
//! its first record must be the last of the page before. When it is not, the round is cut
//! there and the next one starts after the last record known to be in sequence.

use super::populate::page_query;
use crate::error::AgentError;
use crate::qbo::{QboClient, QboError, QueryPage, QueryPages, Slot, BATCH_MAX_ITEMS};
use chrono::{DateTime, FixedOffset};
use qbsync_catalog::{Entity, EntityKind};
use std::ops::Range;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{debug, instrument};

/// One page, read once for what the load needs besides the objects.
pub struct FetchedPage {
    pub page: QueryPage,
    /// Where the page's records lie in its text, all of them (the repeated one too): read
    /// once here, taken out by the writers without reading the page again.
    pub spans: Vec<Range<usize>>,
    /// Whether the first record repeats the last of the page before (see the module doc):
    /// the writer leaves it out.
    pub overlaps: bool,
    /// New records on the page (the repeated one not counted).
    pub rows: usize,
    /// QuickBooks' time when it answered.
    pub time: Option<DateTime<FixedOffset>>,
}

/// What the fetcher sends: the pages in Id order, then `End` once the last one was sent. A
/// channel that closes without `End` means the fetcher stopped short, and the load is not
/// complete (its end would remove rows QuickBooks still has).
pub enum Fetched {
    Page(FetchedPage),
    End,
}

/// The fetcher's side of a load's channel.
pub type PageSender = mpsc::Sender<Result<Fetched, AgentError>>;

/// What to fetch and how.
#[derive(Debug, Clone, Copy)]
pub struct FetchPlan {
    pub entity: &'static Entity,
    /// Only the records after this Id (a resumed load).
    pub after: Option<u64>,
    pub page_size: u32,
    /// Pages asked together in one round (each `/batch` call carries up to 30 of them).
    pub width: usize,
}

/// Sends the entity's pages to `tx` in Id order, then [`Fetched::End`], unless an error (sent
/// too) or shutdown stops it first. True when the last page and the end were sent.
pub async fn fetch_pages(
    qbo: Arc<QboClient>,
    plan: FetchPlan,
    tx: PageSender,
    mut shutdown: watch::Receiver<bool>,
) -> bool {
    let result = tokio::select! {
        r = fetch_all(&qbo, plan, &tx) => r,
        _ = shutdown.changed() => Ok(false),
    };
    match result {
        Ok(true) => tx.send(Ok(Fetched::End)).await.is_ok(),
        Ok(false) => false,
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            false
        }
    }
}

#[instrument(skip_all, fields(entity = plan.entity.name))]
async fn fetch_all(
    qbo: &Arc<QboClient>,
    plan: FetchPlan,
    tx: &PageSender,
) -> Result<bool, AgentError> {
    let paging = Paging::new(plan.page_size);
    let width = plan.width.max(1);
    let mut anchor = plan.after;
    // Records still to read after `anchor`; unknown until the first page turns out full, and
    // again after a round was cut.
    let mut left: Option<usize> = None;
    let mut first = true;
    // The first `n` pages of a round after `anchor`.
    let queries = |n: usize, anchor: Option<u64>| -> Vec<String> {
        (0..n)
            .map(|i| {
                let (start, max) = paging.page(i);
                page_query(plan.entity, anchor, start as u64, max as u32)
            })
            .collect()
    };
    loop {
        // The count of the records after `anchor`, when this round asked it.
        let mut counted = None;
        let round = match left {
            Some(0) => return Ok(true),
            Some(l) => fetch_round(qbo, queries(paging.pages_for(l).min(width), anchor)).await?,
            None if first => fetch_round(qbo, queries(1, anchor)).await?,
            None => {
                let slot = qbo.slot().await;
                if !slot.is_batch() {
                    left = Some(records_after(qbo, plan, anchor, slot).await?);
                    debug!(after = anchor, records_left = left, "counted");
                    continue;
                }
                let n = width.min(BATCH_MAX_ITEMS - 1);
                let (pages, count) =
                    counted_round(qbo, plan, anchor, queries(n, anchor), slot).await?;
                counted = Some(count);
                pages
            }
        };
        first = false;
        let mut read = 0usize;
        let mut ended = false;
        let mut cut = false;
        // Id of the last record of the page before, when that page was full.
        let mut expect: Option<u64> = None;
        for (i, page) in round.into_iter().enumerate() {
            let (spans, time) = page.object_spans(plan.entity.name)?;
            let id_at = |span: Option<&Range<usize>>| record_id(page.text_at(span?.clone()));
            let first = id_at(spans.first());
            let last = id_at(spans.last());
            let Verdict::Take { rows, end } = paging.verdict(i, spans.len(), first, expect) else {
                debug!(
                    page = i,
                    "a record moved between two pages of the round; asking again after it"
                );
                cut = true;
                break;
            };
            let overlaps = i > 0;
            ended = end || plan.entity.kind == EntityKind::Singleton;
            expect = last;
            if last.is_some() {
                anchor = last;
            }
            read += rows;
            let fetched = FetchedPage {
                page,
                spans,
                overlaps,
                rows,
                time,
            };
            if tx.send(Ok(Fetched::Page(fetched))).await.is_err() {
                // The load stopped reading.
                return Ok(false);
            }
            if ended {
                break;
            }
        }
        if ended {
            return Ok(true);
        }
        left = match (counted, left) {
            _ if cut => None,
            (Some(count), _) => Some(count.saturating_sub(read)),
            (None, l) => l.map(|l| l.saturating_sub(read)),
        };
        debug!(after = anchor, records_left = left, "round done");
    }
}

/// What becomes of page `i` of a round.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Its `rows` new records are taken; `end`: it is the entity's last page.
    Take { rows: usize, end: bool },
    /// It does not follow on from the page before: a record was deleted between the two
    /// answers. It and the rest of the round are dropped.
    Cut,
}

/// Where the pages of a round start and how many records each asks for. The first page asks
/// for `page_size` records; each later one starts on the last record of the page before and
/// asks for one more, so it still brings `page_size` new ones (999 at QuickBooks' maximum of
/// 1000, where one more cannot be asked).
#[derive(Debug, Clone, Copy)]
struct Paging {
    first: usize,
    /// New records on each later page.
    step: usize,
}

/// QuickBooks' largest MAXRESULTS.
const MAX_RESULTS: usize = 1000;

impl Paging {
    fn new(page_size: u32) -> Self {
        let first = (page_size as usize).clamp(1, MAX_RESULTS);
        let step = if first < MAX_RESULTS {
            first
        } else {
            first - 1
        };
        Paging { first, step }
    }

    /// STARTPOSITION and MAXRESULTS of page `i` of a round.
    fn page(&self, i: usize) -> (usize, usize) {
        if i == 0 {
            (1, self.first)
        } else {
            (self.first + (i - 1) * self.step, self.step + 1)
        }
    }

    /// Pages a round needs for `records`.
    fn pages_for(&self, records: usize) -> usize {
        if records <= self.first {
            1
        } else {
            1 + (records - self.first).div_ceil(self.step)
        }
    }

    /// Page `i` of a round holds `len` records from Id `first`; `expect` is the last Id of
    /// the (full) page before it, which a later page repeats as its first record.
    fn verdict(&self, i: usize, len: usize, first: Option<u64>, expect: Option<u64>) -> Verdict {
        let overlaps = i > 0;
        if overlaps && (first.is_none() || first != expect) {
            return Verdict::Cut;
        }
        Verdict::Take {
            rows: len - usize::from(overlaps),
            end: len < self.page(i).1,
        }
    }
}

/// Pages a round needs to bring `records` new records in pages of `page_size` (each page after
/// the first repeats one record, so 3,000 records at 1,000 a page take four pages, not three).
pub fn round_width(page_size: u32, records: usize) -> usize {
    Paging::new(page_size).pages_for(records.max(1))
}

/// Records left after `anchor`, from one `count(*)` query paid by `slot`.
async fn records_after(
    qbo: &QboClient,
    plan: FetchPlan,
    anchor: Option<u64>,
    slot: Slot,
) -> Result<usize, AgentError> {
    let query = count_query(plan.entity, anchor);
    let page = qbo.query_with(&query, slot).await?;
    total_count(&page, plan.entity, &query)
}

/// The `totalCount` a count query answered.
fn total_count(page: &QueryPage, entity: &Entity, query: &str) -> Result<usize, AgentError> {
    let count = page.total_count().ok_or_else(|| {
        AgentError::Qbo(QboError::Decode(format!(
            "{}: the answer to {query:?} has no totalCount",
            entity.name
        )))
    })?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// The pages `queries` ask for (records after `anchor`) and the count of all records after
/// `anchor`, in one `/batch` call paid by `slot`.
async fn counted_round(
    qbo: &QboClient,
    plan: FetchPlan,
    anchor: Option<u64>,
    mut queries: Vec<String>,
    slot: Slot,
) -> Result<(Vec<QueryPage>, usize), AgentError> {
    let query = count_query(plan.entity, anchor);
    queries.push(query.clone());
    let mut answers = qbo.query_batch(&queries, slot).await?;
    let count = match answers.pop() {
        Some(page) => total_count(&page?, plan.entity, &query)?,
        None => {
            return Err(AgentError::Qbo(QboError::Decode(format!(
                "{}: the batch call has no answer to {query:?}",
                plan.entity.name
            ))))
        }
    };
    let pages = answers.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok((pages, count))
}

/// The count of the records a load still has to read after Id `after`.
pub fn count_query(entity: &Entity, after: Option<u64>) -> String {
    let page = page_query(entity, after, 1, 1);
    let filter = page
        .split_once(" WHERE ")
        .map(|(_, rest)| rest.split(" ORDERBY ").next().unwrap_or(""))
        .filter(|f| !f.is_empty())
        .map(|f| format!(" WHERE {f}"))
        .unwrap_or_default();
    format!("SELECT COUNT(*) FROM {}{filter}", entity.name)
}

/// Asks `queries` at once and answers their pages in the same order. Each request takes what
/// the budget gives next: a batch token carries up to 30 of the queries not yet sent, a
/// single token carries one. Calls run side by side (the client keeps them within the
/// realm's in-flight cap).
async fn fetch_round(
    qbo: &Arc<QboClient>,
    queries: Vec<String>,
) -> Result<Vec<QueryPage>, AgentError> {
    let total = queries.len();
    let mut calls: JoinSet<(usize, Result<QueryPages, QboError>)> = JoinSet::new();
    let mut next = 0;
    while next < total {
        let slot = qbo.slot().await;
        let qbo = Arc::clone(qbo);
        let first = next;
        if slot.is_batch() && total - next > 1 {
            let end = total.min(next + BATCH_MAX_ITEMS);
            let batch = queries[next..end].to_vec();
            next = end;
            calls.spawn(async move { (first, qbo.query_batch(&batch, slot).await) });
        } else {
            let query = queries[next].clone();
            next += 1;
            calls.spawn(async move {
                (
                    first,
                    qbo.query_with(&query, slot).await.map(|p| vec![Ok(p)]),
                )
            });
        }
    }
    let mut pages: Vec<Option<QueryPage>> = (0..total).map(|_| None).collect();
    while let Some(joined) = calls.join_next().await {
        let (first, answer) =
            joined.map_err(|e| AgentError::Invalid(format!("page fetch stopped: {e}")))?;
        for (i, page) in answer?.into_iter().enumerate() {
            if let Some(slot) = pages.get_mut(first + i) {
                *slot = Some(page?);
            }
        }
    }
    pages
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            p.ok_or_else(|| {
                AgentError::Qbo(QboError::Decode(format!("no answer for page {}", i + 1)))
            })
        })
        .collect()
}

/// The numeric Id of one record (QuickBooks Online Ids are integers; the query orders by Id).
pub fn record_id(json: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct WithId<'a> {
        #[serde(rename = "Id", borrow)]
        id: std::borrow::Cow<'a, str>,
    }
    serde_json::from_str::<WithId>(json).ok()?.id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbsync_catalog::qbo_entity;

    #[test]
    fn the_count_asks_what_the_pages_ask() {
        assert_eq!(
            count_query(qbo_entity("Customer").unwrap(), Some(1000)),
            "SELECT COUNT(*) FROM Customer WHERE Active IN (true,false) AND Id > '1000'"
        );
        assert_eq!(
            count_query(qbo_entity("Invoice").unwrap(), None),
            "SELECT COUNT(*) FROM Invoice"
        );
        assert_eq!(
            count_query(qbo_entity("Invoice").unwrap(), Some(7)),
            "SELECT COUNT(*) FROM Invoice WHERE Id > '7'"
        );
    }

    #[test]
    fn pages_of_a_round_overlap_by_one_record() {
        // At QuickBooks' maximum a later page brings 999 new records.
        let p = Paging::new(1000);
        assert_eq!(p.page(0), (1, 1000));
        assert_eq!(p.page(1), (1000, 1000));
        assert_eq!(p.page(2), (1999, 1000));
        assert_eq!(p.pages_for(1), 1);
        assert_eq!(p.pages_for(1000), 1);
        assert_eq!(p.pages_for(1001), 2);
        assert_eq!(p.pages_for(1999), 2);
        assert_eq!(p.pages_for(2000), 3);
        // A round of 3,000 records is four pages (1,000 + 999 + 999 + 2), not three.
        assert_eq!(round_width(1000, 3000), 4);
        assert_eq!(round_width(10, 10_000), 1000);
        // Below it, one more record is asked, so each page brings a full page of new ones.
        let p = Paging::new(10);
        assert_eq!(p.page(0), (1, 10));
        assert_eq!(p.page(1), (10, 11));
        assert_eq!(p.page(2), (20, 11));
        assert_eq!(p.pages_for(30), 3);
        assert_eq!(p.pages_for(31), 4);
        let p = Paging::new(1);
        assert_eq!((p.page(0), p.page(1), p.page(2)), ((1, 1), (1, 2), (2, 2)));
        let plan_query = |i| {
            let (start, max) = Paging::new(1000).page(i);
            page_query(
                qbo_entity("Invoice").unwrap(),
                Some(7),
                start as u64,
                max as u32,
            )
        };
        assert_eq!(
            plan_query(1),
            "SELECT * FROM Invoice WHERE Id > '7' ORDERBY Id STARTPOSITION 1000 MAXRESULTS 1000"
        );
    }

    /// A QuickBooks holding `ids` answers `Id > anchor STARTPOSITION start MAXRESULTS max`.
    fn answer(ids: &[u64], anchor: u64, start: usize, max: usize) -> Vec<u64> {
        ids.iter()
            .copied()
            .filter(|&id| id > anchor)
            .skip(start - 1)
            .take(max)
            .collect()
    }

    /// Reads everything with rounds of `width` pages, deleting `deleted` after the first
    /// page of the round that starts after `when` was answered; returns the records taken.
    fn load(ids: &[u64], page_size: u32, width: usize, when: u64, deleted: u64) -> Vec<u64> {
        let paging = Paging::new(page_size);
        let mut live: Vec<u64> = ids.to_vec();
        let mut taken = Vec::new();
        let mut anchor = 0;
        loop {
            let mut expect = None;
            let mut ended = false;
            for i in 0..width {
                let (start, max) = paging.page(i);
                let page = answer(&live, anchor, start, max);
                if i == 0 && anchor == when {
                    live.retain(|&id| id != deleted);
                }
                match paging.verdict(i, page.len(), page.first().copied(), expect) {
                    Verdict::Cut => break,
                    Verdict::Take { rows, end } => {
                        taken.extend(page[page.len() - rows..].iter().copied());
                        expect = page.last().copied();
                        anchor = expect.unwrap_or(anchor);
                        ended = end;
                        if end {
                            break;
                        }
                    }
                }
            }
            if ended {
                return taken;
            }
        }
    }

    #[test]
    fn a_record_deleted_between_two_pages_of_a_round_loses_no_other() {
        let ids: Vec<u64> = (1..=40).collect();
        // Nothing deleted: every record once.
        assert_eq!(load(&ids, 4, 3, 999, 0), ids);
        // Record 2 goes after page one of the first round is answered: the later pages would
        // start one record late and skip record 5; the round is cut and 5 is read next.
        let want: Vec<u64> = ids.iter().copied().filter(|&id| id != 2).collect();
        let mut got = load(&ids, 4, 3, 0, 2);
        got.retain(|&id| id != 2);
        assert_eq!(got, want);
        // The same deep into the entity, with wider rounds.
        let mut got = load(&ids, 5, 4, 13, 15);
        got.retain(|&id| id != 15);
        let want: Vec<u64> = ids.iter().copied().filter(|&id| id != 15).collect();
        assert_eq!(got, want);
        // And at QuickBooks' largest page.
        let many: Vec<u64> = (1..=5000).collect();
        let mut got = load(&many, 1000, 3, 0, 10);
        got.retain(|&id| id != 10);
        let want: Vec<u64> = many.iter().copied().filter(|&id| id != 10).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn each_page_after_the_first_must_follow_on() {
        let p = Paging::new(4);
        assert_eq!(
            p.verdict(0, 4, Some(1), None),
            Verdict::Take {
                rows: 4,
                end: false
            }
        );
        assert_eq!(
            p.verdict(1, 5, Some(4), Some(4)),
            Verdict::Take {
                rows: 4,
                end: false
            }
        );
        assert_eq!(
            p.verdict(1, 2, Some(4), Some(4)),
            Verdict::Take { rows: 1, end: true }
        );
        assert_eq!(p.verdict(1, 5, Some(5), Some(4)), Verdict::Cut);
        assert_eq!(p.verdict(1, 0, None, Some(4)), Verdict::Cut);
        assert_eq!(
            p.verdict(0, 0, None, None),
            Verdict::Take { rows: 0, end: true }
        );
    }

    #[test]
    fn a_records_id_is_read_without_the_rest() {
        assert_eq!(record_id(r#"{"Name":"x","Id":"1024"}"#), Some(1024));
        assert_eq!(record_id(r#"{"Id":"not a number"}"#), None);
        assert_eq!(record_id("{}"), None);
    }
}
