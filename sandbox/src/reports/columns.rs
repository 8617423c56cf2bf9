//! The money columns of summary reports from `summarize_column_by`: one `TOTAL` column; one
//! column per period (with `StartDate`/`EndDate` MetaData) plus `Total`; or one column per
//! customer/vendor/employee/class/department/item met in the report's postings (`Not
//! Specified` for postings without one, last) plus `Total`.

use super::ledger::{Dims, Ledger, Posting};
use super::params::{Dim, Params, Summarize};
use super::period::split;
use super::render::Column;
use super::MAX_COLUMNS;
use crate::fault::Fault;
use chrono::NaiveDate;
use std::collections::HashMap;

/// One money column and what falls into it.
#[derive(Debug, Clone)]
pub struct MoneyCol {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub column: Column,
}

#[derive(Debug, Clone)]
pub struct MoneyCols {
    pub cols: Vec<MoneyCol>,
    /// Period columns first (sorted by date), or name columns by Id (None: Not Specified).
    periods: usize,
    names: HashMap<Option<u64>, usize>,
    dim: Option<Dim>,
    total: Option<usize>,
}

pub fn dim_of(d: &Dims, dim: Dim) -> Option<u64> {
    match dim {
        Dim::Customers => d.customer,
        Dim::Vendors => d.vendor,
        Dim::Employees => d.employee,
        Dim::Classes => d.class,
        Dim::Departments => d.department,
        Dim::ProductsAndServices => d.item,
    }
}

pub fn dim_entity(dim: Dim) -> &'static str {
    match dim {
        Dim::Customers => "Customer",
        Dim::Vendors => "Vendor",
        Dim::Employees => "Employee",
        Dim::Classes => "Class",
        Dim::Departments => "Department",
        Dim::ProductsAndServices => "Item",
    }
}

pub fn too_many_columns() -> Fault {
    Fault::business(format!(
        "The report would have more than {MAX_COLUMNS} columns. Choose a shorter period or a longer summarize_column_by."
    ))
}

impl MoneyCols {
    /// The columns for `p`; `candidates` are the postings the report will show (for name
    /// columns); `with_total` adds the trailing `Total` after period or name columns.
    pub fn build(
        ledger: &Ledger,
        p: &Params,
        candidates: &[&Posting],
        with_total: bool,
    ) -> Result<MoneyCols, Fault> {
        let total = |title: &str| MoneyCol {
            start: p.start,
            end: p.end,
            column: Column::new(title, "Money", "total"),
        };
        let mut cols = Vec::new();
        let mut names = HashMap::new();
        let mut dim_used = None;
        match p.summarize {
            Summarize::Total => {
                return Ok(MoneyCols {
                    cols: vec![total("TOTAL")],
                    periods: 0,
                    names,
                    dim: None,
                    total: Some(0),
                })
            }
            Summarize::Period(unit) => {
                let periods = split(p.start, p.end, unit, p.fy_month, MAX_COLUMNS)
                    .ok_or_else(too_many_columns)?;
                for per in periods {
                    let mut column = Column::new(per.title.clone(), "Money", per.title);
                    column.period = Some((per.start, per.end));
                    cols.push(MoneyCol {
                        start: per.start,
                        end: per.end,
                        column,
                    });
                }
            }
            Summarize::Dim(dim) => {
                let mut ids: Vec<u64> = candidates
                    .iter()
                    .filter_map(|x| dim_of(&x.dims, dim))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                if ids.len() > MAX_COLUMNS {
                    return Err(too_many_columns());
                }
                let mut named: Vec<(String, u64)> = ids
                    .into_iter()
                    .map(|id| (ledger.name_of(dim_entity(dim), id), id))
                    .collect();
                named.sort_by(|a, b| {
                    a.0.to_lowercase()
                        .cmp(&b.0.to_lowercase())
                        .then(a.1.cmp(&b.1))
                });
                dim_used = Some(dim);
                for (name, id) in named {
                    names.insert(Some(id), cols.len());
                    cols.push(MoneyCol {
                        start: p.start,
                        end: p.end,
                        column: Column::new(name, "Money", id.to_string()),
                    });
                }
                if candidates.iter().any(|x| dim_of(&x.dims, dim).is_none()) {
                    names.insert(None, cols.len());
                    cols.push(MoneyCol {
                        start: p.start,
                        end: p.end,
                        column: Column::new("Not Specified", "Money", "not_specified"),
                    });
                }
            }
        }
        let periods = if dim_used.is_none() { cols.len() } else { 0 };
        let mut total_ix = None;
        if with_total {
            total_ix = Some(cols.len());
            cols.push(total("Total"));
        }
        Ok(MoneyCols {
            cols,
            periods,
            names,
            dim: dim_used,
            total: total_ix,
        })
    }

    pub fn len(&self) -> usize {
        self.cols.len()
    }

    pub fn columns(&self) -> Vec<Column> {
        self.cols.iter().map(|c| c.column.clone()).collect()
    }

    /// The columns posting `x` falls into: its period or name column, and the total.
    pub fn slots(&self, x: &Posting) -> [Option<usize>; 2] {
        let Some(first) = self.cols.first() else {
            return [None, None];
        };
        let last_end = self.cols[..self.periods.max(1)]
            .last()
            .map_or(first.end, |c| c.end);
        if x.date < first.start || x.date > last_end {
            return [None, None];
        }
        let own = if self.periods > 0 {
            let after = self.cols[..self.periods].partition_point(|c| c.start <= x.date);
            after.checked_sub(1)
        } else {
            self.dim
                .and_then(|d| self.names.get(&dim_of(&x.dims, d)).copied())
        };
        [own, self.total.filter(|t| Some(*t) != own)]
    }

    /// Adds `amount` of posting `x` to the columns it falls into.
    pub fn add(&self, vals: &mut [i64], x: &Posting, amount: i64) {
        for i in self.slots(x).into_iter().flatten() {
            vals[i] += amount;
        }
    }
}
