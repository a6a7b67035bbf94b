//! Record filters: the AWS CloudTrail Processing Library's `SourceFilter`/`EventFilter` as data
//! (WIT `filters`, [`crate::api::Filters`]). The decoder asks [`keeps`] before mapping a record,
//! so a dropped record costs one parse and no mapping; it is counted as skipped (`filtered`).
//!
//! Only the fields the filters name are read: `eventSource`, `eventName`, `readOnly`,
//! `recipientAccountId` (else `userIdentity.accountId`), `awsRegion`, `eventCategory`. A record
//! that is not a JSON object is kept, so it still becomes an error document (nothing is dropped
//! without being counted, and a broken record is never hidden by a filter).

use crate::api::Filters;
use crate::json::parse::{ParseOptions, parse};
use crate::json::{Map, Value};

/// The fields of one record that filters look at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterFields<'a> {
    /// `eventSource`.
    pub source: Option<&'a str>,
    /// `eventName`.
    pub event: Option<&'a str>,
    /// `readOnly` (a JSON boolean, or the strings `true`/`false` in any case).
    pub read_only: Option<bool>,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    pub account: Option<&'a str>,
    /// `awsRegion`.
    pub region: Option<&'a str>,
    /// `eventCategory`.
    pub category: Option<&'a str>,
}

impl<'a> FilterFields<'a> {
    /// Reads the fields from a parsed CloudTrail record.
    pub fn of(record: &'a Map) -> FilterFields<'a> {
        let s = |k: &str| record.get(k).and_then(Value::as_str);
        let read_only = match record.get("readOnly") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(t)) if t.eq_ignore_ascii_case("true") => Some(true),
            Some(Value::String(t)) if t.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        };
        let account = s("recipientAccountId").or_else(|| {
            record
                .get_path(&["userIdentity", "accountId"])
                .and_then(Value::as_str)
        });
        FilterFields {
            source: s("eventSource"),
            event: s("eventName"),
            read_only,
            account,
            region: s("awsRegion"),
            category: s("eventCategory"),
        }
    }
}

/// True when a record with these fields passes every filter.
pub fn admits(filters: &Filters, f: &FilterFields<'_>) -> bool {
    let listed = |list: &[String], v: Option<&str>| v.is_some_and(|v| list.iter().any(|x| x == v));
    let include = |list: &[String], v: Option<&str>| list.is_empty() || listed(list, v);
    include(&filters.include_sources, f.source)
        && !listed(&filters.exclude_sources, f.source)
        && include(&filters.include_events, f.event)
        && !listed(&filters.exclude_events, f.event)
        && filters
            .read_only
            .is_none_or(|want| f.read_only == Some(want))
        && include(&filters.accounts, f.account)
        && include(&filters.regions, f.region)
        && (filters.event_categories.is_empty()
            || f.category.is_some_and(|c| {
                filters
                    .event_categories
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(c))
            }))
}

/// True when the record text `message` is to be mapped. Without filters nothing is parsed.
/// Text that does not parse as a JSON object (within `max_depth`) is kept.
pub fn keeps(filters: &Filters, message: &str, max_depth: u32) -> bool {
    if filters.is_empty() {
        return true;
    }
    match parse(message, &ParseOptions { max_depth }) {
        Ok(Value::Object(record)) => admits(filters, &FilterFields::of(&record)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateUser",
        "readOnly":false,"recipientAccountId":"111122223333","awsRegion":"us-east-1",
        "eventCategory":"Management","userIdentity":{"accountId":"444455556666"}}"#;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_filter_keeps_or_drops_the_record_as_its_field_says() {
        let table: Vec<(&str, Filters, bool)> = vec![
            ("no filters", Filters::default(), true),
            (
                "include source listed",
                Filters {
                    include_sources: strings(&["s3.amazonaws.com", "iam.amazonaws.com"]),
                    ..Filters::default()
                },
                true,
            ),
            (
                "include source not listed",
                Filters {
                    include_sources: strings(&["s3.amazonaws.com"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "exclude source listed",
                Filters {
                    exclude_sources: strings(&["iam.amazonaws.com"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "exclude source not listed",
                Filters {
                    exclude_sources: strings(&["s3.amazonaws.com"]),
                    ..Filters::default()
                },
                true,
            ),
            (
                "include event listed",
                Filters {
                    include_events: strings(&["CreateUser"]),
                    ..Filters::default()
                },
                true,
            ),
            (
                "include event is case-sensitive",
                Filters {
                    include_events: strings(&["createuser"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "exclude event listed",
                Filters {
                    exclude_events: strings(&["CreateUser"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "read-only wanted, record writes",
                Filters {
                    read_only: Some(true),
                    ..Filters::default()
                },
                false,
            ),
            (
                "writes wanted, record writes",
                Filters {
                    read_only: Some(false),
                    ..Filters::default()
                },
                true,
            ),
            (
                "account is the recipient, not the caller's",
                Filters {
                    accounts: strings(&["444455556666"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "account listed",
                Filters {
                    accounts: strings(&["111122223333"]),
                    ..Filters::default()
                },
                true,
            ),
            (
                "region not listed",
                Filters {
                    regions: strings(&["eu-west-1"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "category ignores ASCII case",
                Filters {
                    event_categories: strings(&["management"]),
                    ..Filters::default()
                },
                true,
            ),
            (
                "category not listed",
                Filters {
                    event_categories: strings(&["Data"]),
                    ..Filters::default()
                },
                false,
            ),
            (
                "all filters pass together",
                Filters {
                    include_sources: strings(&["iam.amazonaws.com"]),
                    include_events: strings(&["CreateUser"]),
                    read_only: Some(false),
                    accounts: strings(&["111122223333"]),
                    regions: strings(&["us-east-1"]),
                    event_categories: strings(&["Management"]),
                    ..Filters::default()
                },
                true,
            ),
            (
                "one failing filter drops the record",
                Filters {
                    include_sources: strings(&["iam.amazonaws.com"]),
                    regions: strings(&["us-west-2"]),
                    ..Filters::default()
                },
                false,
            ),
        ];
        for (name, filters, want) in table {
            assert_eq!(keeps(&filters, RECORD, 128), want, "{name}");
        }
    }

    #[test]
    fn a_missing_field_fails_includes_but_passes_excludes() {
        let bare = r#"{"eventTime":"2024-05-01T00:00:00Z"}"#;
        let include = Filters {
            include_sources: strings(&["iam.amazonaws.com"]),
            ..Filters::default()
        };
        let exclude = Filters {
            exclude_sources: strings(&["iam.amazonaws.com"]),
            exclude_events: strings(&["CreateUser"]),
            ..Filters::default()
        };
        let read_only = Filters {
            read_only: Some(false),
            ..Filters::default()
        };
        assert!(!keeps(&include, bare, 128));
        assert!(keeps(&exclude, bare, 128));
        assert!(!keeps(&read_only, bare, 128));
    }

    #[test]
    fn account_falls_back_to_the_user_identity_and_read_only_may_be_a_string() {
        let rec = r#"{"userIdentity":{"accountId":"444455556666"},"readOnly":"TRUE"}"#;
        let filters = Filters {
            accounts: strings(&["444455556666"]),
            read_only: Some(true),
            ..Filters::default()
        };
        assert!(keeps(&filters, rec, 128));
    }

    #[test]
    fn text_that_is_not_a_json_object_is_kept_for_its_error_document() {
        let filters = Filters {
            include_sources: strings(&["iam.amazonaws.com"]),
            ..Filters::default()
        };
        for text in [
            "",
            "not json",
            "[1,2]",
            "\"x\"",
            r#"{"eventSource":"#,
            "[[[[[[1]]]]]]",
        ] {
            assert!(keeps(&filters, text, 3), "{text:?}");
        }
    }
}
