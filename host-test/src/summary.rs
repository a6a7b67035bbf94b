//! `cloudtrail-ecs decode --summary`: a table of one batch on stderr — the counts, then the
//! top event sources, actions, failed console logins by user and source country, source IPs
//! and error codes, read from the ECS documents (nested or flat).

use crate::api::{Counts, SkipReason};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Rows shown per section by default.
pub const DEFAULT_TOP: usize = 10;

/// Label for a missing field in a row.
pub const MISSING: &str = "-";

/// Occurrences of values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally(HashMap<String, u64>);

impl Tally {
    /// Counts one occurrence of `key`.
    pub fn add(&mut self, key: &str) {
        match self.0.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                self.0.insert(key.to_owned(), 1);
            }
        }
    }

    /// The `n` most frequent values, most frequent first, ties by value (deterministic).
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.0.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v.truncate(n);
        v
    }

    /// Occurrences of `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    /// Sum of all occurrences.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Number of distinct values.
    pub fn distinct(&self) -> usize {
        self.0.len()
    }
}

/// What a batch contained.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Counts over every input.
    pub counts: Counts,
    /// `event.provider` (CloudTrail `eventSource`).
    pub sources: Tally,
    /// `event.action` (CloudTrail `eventName`).
    pub actions: Tally,
    /// Failed `ConsoleLogin`s, keyed `user\tcountry` (see [`Summary::failed_login_key`]).
    pub failed_logins: Tally,
    /// `source.ip`.
    pub source_ips: Tally,
    /// `aws.cloudtrail.error_code`.
    pub error_codes: Tally,
}

/// A field of a nested (`{"event":{"action":…}}`) or flat (`{"event.action":…}`) document.
pub fn field<'a>(doc: &'a Value, dotted: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(dotted) {
        return Some(v);
    }
    let mut cur = doc;
    for part in dotted.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn text<'a>(doc: &'a Value, dotted: &str) -> Option<&'a str> {
    field(doc, dotted).and_then(Value::as_str)
}

impl Summary {
    /// The tally key of a failed login: the user (`user.name`, else `user.id`) and the source
    /// country (`source.geo.country_iso_code`, present when GeoIP is loaded), tab-separated,
    /// [`MISSING`] for an absent part.
    pub fn failed_login_key(doc: &Value) -> String {
        let user = text(doc, "user.name")
            .or_else(|| text(doc, "user.id"))
            .unwrap_or(MISSING);
        let country = text(doc, "source.geo.country_iso_code").unwrap_or(MISSING);
        format!("{user}\t{country}")
    }

    /// Takes one document into account.
    pub fn observe(&mut self, doc: &Value) {
        if let Some(s) = text(doc, "event.provider") {
            self.sources.add(s);
        }
        let action = text(doc, "event.action");
        if let Some(a) = action {
            self.actions.add(a);
        }
        if action == Some("ConsoleLogin") && text(doc, "event.outcome") == Some("failure") {
            self.failed_logins.add(&Self::failed_login_key(doc));
        }
        if let Some(ip) = text(doc, "source.ip") {
            self.source_ips.add(ip);
        }
        if let Some(code) = text(doc, "aws.cloudtrail.error_code") {
            self.error_codes.add(code);
        }
    }

    /// Takes one document, as JSON text, into account (text that does not parse is ignored:
    /// the host already checked every document).
    pub fn observe_json(&mut self, json: &str) {
        if let Ok(doc) = serde_json::from_str::<Value>(json) {
            self.observe(&doc);
        }
    }

    /// The table, `top` rows per section.
    pub fn render(&self, top: usize) -> String {
        let c = &self.counts;
        let skip = |r: SkipReason| {
            c.skipped
                .iter()
                .find(|(x, _)| *x == r)
                .map_or(0, |(_, n)| *n)
        };
        let mut out = String::new();
        let _ = writeln!(out, "Batch summary");
        for (label, n) in [
            ("records", c.records),
            ("documents", c.documents),
            ("error documents", c.error_documents),
        ] {
            let _ = writeln!(out, "  {label:<16}{n:>10}");
        }
        let _ = writeln!(
            out,
            "  {:<16}{:>10}  (filtered {}, control-message {}, empty-record {})",
            "skipped",
            c.skipped_total(),
            skip(SkipReason::Filtered),
            skip(SkipReason::ControlMessage),
            skip(SkipReason::EmptyRecord),
        );
        let sections: [(&str, &Tally); 5] = [
            ("Top event sources (event.provider)", &self.sources),
            ("Top actions (event.action)", &self.actions),
            (
                "Failed console logins (user, source.geo.country_iso_code)",
                &self.failed_logins,
            ),
            ("Top source IPs (source.ip)", &self.source_ips),
            ("Error codes (aws.cloudtrail.error_code)", &self.error_codes),
        ];
        for (title, tally) in sections {
            let _ = writeln!(
                out,
                "{title}: {} in all, {} distinct",
                tally.total(),
                tally.distinct()
            );
            for (key, n) in tally.top(top) {
                let key = key.replace('\t', "  ");
                let _ = writeln!(out, "  {n:>10}  {key}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_orders_by_count_then_value_and_truncates() {
        let mut t = Tally::default();
        for k in ["b", "a", "c", "b", "a", "d", "a"] {
            t.add(k);
        }
        assert_eq!(t.top(3), [("a", 3), ("b", 2), ("c", 1)]);
        assert_eq!(
            (t.total(), t.distinct(), t.get("d"), t.get("z")),
            (7, 4, 1, 0)
        );
    }

    #[test]
    fn nested_and_flat_documents_count_alike() {
        let nested = json!({
            "event": {"provider": "signin.amazonaws.com", "action": "ConsoleLogin", "outcome": "failure"},
            "user": {"name": "alice"},
            "source": {"ip": "192.0.2.1", "geo": {"country_iso_code": "SE"}},
            "aws": {"cloudtrail": {"error_code": "Failed authentication"}}
        });
        let flat = json!({
            "event.provider": "signin.amazonaws.com", "event.action": "ConsoleLogin",
            "event.outcome": "failure", "user.name": "alice", "source.ip": "192.0.2.1",
            "source.geo.country_iso_code": "SE", "aws.cloudtrail.error_code": "Failed authentication"
        });
        let (mut a, mut b) = (Summary::default(), Summary::default());
        a.observe(&nested);
        b.observe(&flat);
        for s in [&a, &b] {
            assert_eq!(s.sources.get("signin.amazonaws.com"), 1);
            assert_eq!(s.actions.get("ConsoleLogin"), 1);
            assert_eq!(s.failed_logins.get("alice\tSE"), 1);
            assert_eq!(s.source_ips.get("192.0.2.1"), 1);
            assert_eq!(s.error_codes.get("Failed authentication"), 1);
        }
    }

    #[test]
    fn only_failed_console_logins_count_and_missing_parts_show_a_dash() {
        let mut s = Summary::default();
        s.observe(&json!({"event": {"action": "ConsoleLogin", "outcome": "success"}}));
        s.observe(&json!({"event": {"action": "GetObject", "outcome": "failure"}}));
        s.observe(
            &json!({"event": {"action": "ConsoleLogin", "outcome": "failure"},
                          "user": {"id": "arn:aws:iam::111122223333:root"}}),
        );
        s.observe_json(r#"{"event":{"action":"ConsoleLogin","outcome":"failure"}}"#);
        s.observe_json("not json");
        assert_eq!(s.failed_logins.total(), 2);
        assert_eq!(s.failed_logins.get("arn:aws:iam::111122223333:root\t-"), 1);
        assert_eq!(s.failed_logins.get("-\t-"), 1);
        assert_eq!(s.actions.get("ConsoleLogin"), 3);
    }

    #[test]
    fn render_lists_counts_and_each_section_with_its_rows() {
        let mut s = Summary::default();
        s.counts.records = 4;
        s.counts.documents = 2;
        s.counts.error_documents = 1;
        s.counts.skipped = vec![(SkipReason::Filtered, 1)];
        for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.1"] {
            s.observe(&json!({"source": {"ip": ip}}));
        }
        let table = s.render(1);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "Batch summary");
        assert!(lines[1].starts_with("  records") && lines[1].ends_with(" 4"));
        assert!(lines[4].contains("(filtered 1, control-message 0, empty-record 0)"));
        let ips = lines
            .iter()
            .position(|l| l.starts_with("Top source IPs"))
            .expect("source IP section");
        assert_eq!(
            lines[ips],
            "Top source IPs (source.ip): 3 in all, 2 distinct"
        );
        assert_eq!(
            lines[ips + 1].split_whitespace().collect::<Vec<_>>(),
            ["2", "192.0.2.1"]
        );
        assert!(
            lines[ips + 2].starts_with("Error codes"),
            "only one row with top = 1"
        );
    }
}
