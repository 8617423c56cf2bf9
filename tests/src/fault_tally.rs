//! The counts of one fault-matrix scenario and its summary line
//! (`fault-matrix: scenario=… faults=… pushed=… duplicates=0 lost=0`), shared by the crash and
//! the QuickBooks-fault suites so their figures add up the same way.

use std::io::Write;

pub struct Tally {
    pub scenario: &'static str,
    pub faults: u64,
    pub pushed: u32,
    pub duplicates: u32,
    pub lost: u32,
}

impl Tally {
    pub fn new(scenario: &'static str) -> Self {
        Tally {
            scenario,
            faults: 0,
            pushed: 0,
            duplicates: 0,
            lost: 0,
        }
    }

    /// Prints the summary line and fails the test on any duplicate or lost change.
    pub fn finish(self) {
        let line = format!(
            "fault-matrix: scenario={} faults={} pushed={} duplicates={} lost={}\n",
            self.scenario, self.faults, self.pushed, self.duplicates, self.lost
        );
        // Written to the stream itself, not through eprintln!, so that a passing test shows it.
        let _ = std::io::stderr().write_all(line.as_bytes());
        assert_eq!(
            self.duplicates, 0,
            "{}: duplicates in QuickBooks",
            self.scenario
        );
        assert_eq!(
            self.lost, 0,
            "{}: changes lost or with a wrong status",
            self.scenario
        );
    }
}
