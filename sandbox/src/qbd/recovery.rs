//! Error recovery with message-set IDs (§15): QuickBooks remembers the outcome of each message
//! set sent with `newMessageSetID`; a status check (`oldMessageSetID` = `newMessageSetID`, no
//! requests) returns it with `messageSetStatusCode="0"`; `oldMessageSetID` alone forgets it
//! (`ClearAllMessageSets` forgets all); an unknown old ID gives `600`; a known new ID sent with a
//! different body gives `9001`, the same body replays the stored outcome without re-applying.

use qbsync_qbxml::Element;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// `messageSetStatusCode` 600.
pub(crate) const NO_STATE: &str = "600";
/// `messageSetStatusCode` 9001.
pub(crate) const BAD_CHECKSUM: &str = "9001";

/// One remembered message set.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub checksum: u64,
    pub responses: Vec<Element>,
}

/// The remembered message sets by ID.
#[derive(Debug, Default)]
pub(crate) struct Recovery {
    sets: HashMap<String, Stored>,
}

/// What the recovery attributes ask for, decided before any request is processed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// No recovery attributes: process normally, no `messageSetStatusCode`.
    Plain,
    /// Process the requests; answer with this `messageSetStatusCode`; remember the outcome
    /// under `remember` when set.
    Process {
        code: String,
        remember: Option<String>,
    },
    /// Answer with the stored responses (status check or identical resend).
    Replay(Vec<Element>),
    /// Answer with this code and no responses.
    Refuse(String),
}

/// Checksum of a message set's requests.
pub(crate) fn checksum(msgs: &Element) -> u64 {
    let mut h = DefaultHasher::new();
    for c in &msgs.children {
        c.to_xml().hash(&mut h);
    }
    h.finish()
}

impl Recovery {
    /// Decides how to handle a message set with these attributes.
    pub fn plan(
        &mut self,
        old: Option<&str>,
        new: Option<&str>,
        sum: u64,
        has_requests: bool,
    ) -> Plan {
        if old.is_none() && new.is_none() {
            return Plan::Plain;
        }
        let mut code = "0".to_string();
        if let Some(o) = old {
            if o == "ClearAllMessageSets" {
                self.sets.clear();
            } else if let Some(stored) = self.sets.get(o) {
                if new == Some(o) && !has_requests {
                    return Plan::Replay(stored.responses.clone());
                }
                self.sets.remove(o);
            } else {
                if new.is_none() || (new == Some(o) && !has_requests) {
                    return if has_requests {
                        Plan::Process {
                            code: NO_STATE.into(),
                            remember: None,
                        }
                    } else {
                        Plan::Refuse(NO_STATE.into())
                    };
                }
                code = NO_STATE.into();
            }
        }
        let Some(n) = new else {
            return Plan::Process {
                code,
                remember: None,
            };
        };
        if let Some(stored) = self.sets.get(n) {
            return if stored.checksum == sum {
                Plan::Replay(stored.responses.clone())
            } else {
                Plan::Refuse(BAD_CHECKSUM.into())
            };
        }
        Plan::Process {
            code,
            remember: Some(n.to_string()),
        }
    }

    pub fn remember(&mut self, id: String, checksum: u64, responses: Vec<Element>) {
        self.sets.insert(
            id,
            Stored {
                checksum,
                responses,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.sets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_check_resend_and_forget() {
        let mut r = Recovery::default();
        assert_eq!(r.plan(None, None, 1, true), Plan::Plain);
        let p = r.plan(None, Some("S1"), 7, true);
        assert_eq!(
            p,
            Plan::Process {
                code: "0".into(),
                remember: Some("S1".into())
            }
        );
        r.remember("S1".into(), 7, vec![Element::new("CustomerAddRs")]);
        assert!(
            matches!(r.plan(Some("S1"), Some("S1"), 0, false), Plan::Replay(v) if v.len() == 1)
        );
        assert!(matches!(r.plan(None, Some("S1"), 7, true), Plan::Replay(_)));
        assert_eq!(
            r.plan(None, Some("S1"), 8, true),
            Plan::Refuse("9001".into())
        );
        assert_eq!(
            r.plan(Some("S1"), None, 0, false),
            Plan::Process {
                code: "0".into(),
                remember: None
            }
        );
        assert_eq!(r.len(), 0);
        assert_eq!(
            r.plan(Some("S1"), None, 0, false),
            Plan::Refuse("600".into())
        );
        assert_eq!(
            r.plan(Some("S1"), Some("S1"), 0, false),
            Plan::Refuse("600".into())
        );
        r.remember("A".into(), 1, vec![]);
        r.remember("B".into(), 1, vec![]);
        let _ = r.plan(Some("ClearAllMessageSets"), None, 0, false);
        assert_eq!(r.len(), 0);
    }
}
