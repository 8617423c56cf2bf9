//! Which companies an agent starts, and in what order, when more have work than it may work at
//! once (`--max-companies`). The others wait for a slot, or are taken by another agent on the
//! same database.
//!
//! Fairness is a round robin. Companies this agent has not worked yet come first, in the order
//! of the look for work (oldest queued task first); then the others, by when their last turn
//! here ended, longest ago first. A worker gives its slot up between two tasks while companies
//! wait (see `runner`), so a company with a long queue takes turns with the rest.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// A company with work, as the look for work found it (in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub company: i64,
    /// Another agent's session holds the company's lease: starting a worker would only find
    /// it taken, so the company is left to that agent.
    pub leased_elsewhere: bool,
}

/// How a worker's turn on a company ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Nothing was left to do.
    Finished,
    /// Gave its slot up with work left, because other companies were waiting for one.
    Yielded,
    /// Did not get to the end: another agent holds the company, QuickBooks left changes
    /// unconfirmed, or an error stopped the worker. Tried again at the next sweep or on a
    /// notification naming the company, as before there was a cap.
    Stopped,
}

/// What a look for work leads to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pick {
    /// Companies to start now, in this order.
    pub start: Vec<i64>,
    /// Companies this agent could work but has no slot for.
    pub waiting: usize,
}

#[derive(Debug)]
pub struct Schedule {
    max: usize,
    /// When this agent's last turn on each company ended.
    last_turn: HashMap<i64, Instant>,
    /// Companies whose last turn finished or stopped. A worker's end does not start them again
    /// (a company whose changes QuickBooks keeps unconfirmed would be retried in a loop); the
    /// sweep or a notification naming them does.
    resting: HashSet<i64>,
}

impl Schedule {
    /// At most `max` companies at once (at least one).
    pub fn new(max: usize) -> Self {
        Schedule {
            max: max.max(1),
            last_turn: HashMap::new(),
            resting: HashSet::new(),
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// Records the end of a turn on `company`.
    pub fn ended(&mut self, company: i64, turn: Turn, at: Instant) {
        self.last_turn.insert(company, at);
        if turn == Turn::Yielded {
            self.resting.remove(&company);
        } else {
            self.resting.insert(company);
        }
    }

    /// A notification named `company`: it has new work.
    pub fn wake(&mut self, company: i64) {
        self.resting.remove(&company);
    }

    /// The sweep (or a listener that reconnected): every company may be tried again.
    pub fn wake_all(&mut self) {
        self.resting.clear();
    }

    /// The companies to start among `found` while `running` are worked, at most the free slots.
    pub fn pick(&self, found: &[Candidate], running: &HashSet<i64>) -> Pick {
        let mut eligible: Vec<i64> = found
            .iter()
            .filter(|c| !c.leased_elsewhere)
            .map(|c| c.company)
            .filter(|c| !running.contains(c) && !self.resting.contains(c))
            .collect();
        // Stable: companies never worked here (None) keep the look's order, ahead of the rest.
        eligible.sort_by_key(|c| self.last_turn.get(c).copied());
        let free = self.max.saturating_sub(running.len());
        let start: Vec<i64> = eligible.iter().copied().take(free).collect();
        Pick {
            waiting: eligible.len() - start.len(),
            start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn found(ids: &[i64]) -> Vec<Candidate> {
        ids.iter()
            .map(|&company| Candidate {
                company,
                leased_elsewhere: false,
            })
            .collect()
    }

    fn running(ids: &[i64]) -> HashSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn starts_no_more_than_the_free_slots_in_the_looks_order() {
        let s = Schedule::new(2);
        let pick = s.pick(&found(&[5, 3, 9, 1]), &running(&[]));
        assert_eq!(
            pick,
            Pick {
                start: vec![5, 3],
                waiting: 2
            }
        );
        let pick = s.pick(&found(&[5, 3, 9, 1]), &running(&[5]));
        assert_eq!(
            pick,
            Pick {
                start: vec![3],
                waiting: 2
            }
        );
        let pick = s.pick(&found(&[5, 3, 9, 1]), &running(&[5, 3]));
        assert_eq!(
            pick,
            Pick {
                start: vec![],
                waiting: 2
            }
        );
    }

    #[test]
    fn companies_another_agent_holds_are_neither_started_nor_waiting() {
        let s = Schedule::new(2);
        let mut f = found(&[1, 2, 3]);
        f[0].leased_elsewhere = true;
        f[1].leased_elsewhere = true;
        assert_eq!(
            s.pick(&f, &running(&[])),
            Pick {
                start: vec![3],
                waiting: 0
            }
        );
    }

    #[test]
    fn a_company_just_worked_goes_after_those_waiting_longer() {
        let mut s = Schedule::new(1);
        let t0 = Instant::now();
        // 1 and 2 had turns (1 first); 3 never had one.
        s.ended(1, Turn::Yielded, t0);
        s.ended(2, Turn::Yielded, t0 + Duration::from_millis(1));
        assert_eq!(s.pick(&found(&[2, 1, 3]), &running(&[])).start, vec![3]);
        s.ended(3, Turn::Yielded, t0 + Duration::from_millis(2));
        assert_eq!(s.pick(&found(&[2, 1, 3]), &running(&[])).start, vec![1]);
        s.ended(1, Turn::Yielded, t0 + Duration::from_millis(3));
        assert_eq!(s.pick(&found(&[2, 1, 3]), &running(&[])).start, vec![2]);
    }

    #[test]
    fn a_finished_or_stopped_company_rests_until_woken() {
        let mut s = Schedule::new(4);
        let now = Instant::now();
        s.ended(1, Turn::Finished, now);
        s.ended(2, Turn::Stopped, now);
        s.ended(3, Turn::Yielded, now);
        assert_eq!(s.pick(&found(&[1, 2, 3]), &running(&[])).start, vec![3]);
        s.wake(2);
        assert_eq!(s.pick(&found(&[1, 2, 3]), &running(&[])).start, vec![2, 3]);
        s.wake_all();
        assert_eq!(
            s.pick(&found(&[1, 2, 3]), &running(&[])).start,
            vec![1, 2, 3]
        );
    }

    #[test]
    fn a_cap_of_zero_is_one() {
        let s = Schedule::new(0);
        assert_eq!(s.max(), 1);
        assert_eq!(s.pick(&found(&[1, 2]), &running(&[])).start, vec![1]);
    }
}
