//! CloudTrail S3 object keys (`spec/input-formats.md` §1.1).
//!
//! The spec's regex, implemented by hand (the plugin has no regex crate):
//!
//! ```text
//! ^(?:(?P<prefix>.*)/)?AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<acct>\d{12})/
//!  (?P<kind>CloudTrail|CloudTrail-Insight|CloudTrail-Digest)/(?P<region>[a-z0-9-]+)/
//!  (?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/(?P<file>[^/]+\.json\.gz)$
//! ```
//!
//! Every group after `AWSLogs/` excludes `/`, so the part after `AWSLogs/` is exactly 7 segments
//! (8 with an organization id) and the greedy prefix means the *last* `AWSLogs` segment that
//! fits wins, as with the regex. Two deliberate narrowings: `\d` is ASCII only (the regex crate's
//! `\d` is Unicode), and the prefix may not contain a newline (`.` does not match one).
//!
//! Keys are matched as given. Keys from S3 event notifications are URL-encoded (space as `+`):
//! decoding them is the host's business, before `GetObject` and before handing the key here.

/// The kind of CloudTrail object, from the path segment after the account id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `CloudTrail/`: event log files.
    CloudTrail,
    /// `CloudTrail-Insight/`: Insights files.
    Insight,
    /// `CloudTrail-Digest/`: digest files.
    Digest,
}

/// A parsed CloudTrail object key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudTrailKey {
    /// Trail prefix (may contain `/`); `Some("")` for a key starting with `/AWSLogs/`.
    pub prefix: Option<String>,
    /// Organization id (`o-…`) of an organization trail.
    pub org_id: Option<String>,
    /// 12-digit account id the file belongs to.
    pub account_id: String,
    /// Object kind.
    pub kind: KeyKind,
    /// Delivering region.
    pub region: String,
    /// Delivery date: year (4 digits).
    pub year: String,
    /// Delivery date: month (2 digits).
    pub month: String,
    /// Delivery date: day (2 digits).
    pub day: String,
    /// File name (ends in `.json.gz`).
    pub file_name: String,
}

/// Parse a key of one of the three CloudTrail shapes; `None` for any other key.
pub fn parse_key(key: &str) -> Option<CloudTrailKey> {
    let segments: Vec<&str> = key.split('/').collect();
    // Greedy prefix: try the last `AWSLogs` segment first.
    for i in (0..segments.len()).rev() {
        if segments.get(i) != Some(&"AWSLogs") {
            continue;
        }
        let (before, after) = segments.split_at(i);
        let prefix = if before.is_empty() {
            None
        } else {
            let p = before.join("/");
            if p.contains('\n') {
                continue;
            }
            Some(p)
        };
        if let Some(parsed) = parse_tail(after.get(1..).unwrap_or(&[]), prefix) {
            return Some(parsed);
        }
    }
    None
}

/// Match the segments after `AWSLogs/`.
fn parse_tail(rest: &[&str], prefix: Option<String>) -> Option<CloudTrailKey> {
    let (org, rest) = match rest.len() {
        8 => (rest.first().copied().filter(|s| is_org_id(s))?, &rest[1..]),
        7 => ("", rest),
        _ => return None,
    };
    let [acct, kind, region, y, m, d, file] = rest else {
        return None;
    };
    let kind = match *kind {
        "CloudTrail" => KeyKind::CloudTrail,
        "CloudTrail-Insight" => KeyKind::Insight,
        "CloudTrail-Digest" => KeyKind::Digest,
        _ => return None,
    };
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let file_ok = file.len() > ".json.gz".len() && file.ends_with(".json.gz");
    if !(digits(acct, 12) && region_ok && digits(y, 4) && digits(m, 2) && digits(d, 2) && file_ok) {
        return None;
    }
    Some(CloudTrailKey {
        prefix,
        org_id: (!org.is_empty()).then(|| org.to_owned()),
        account_id: (*acct).to_owned(),
        kind,
        region: (*region).to_owned(),
        year: (*y).to_owned(),
        month: (*m).to_owned(),
        day: (*d).to_owned(),
        file_name: (*file).to_owned(),
    })
}

/// `o-` followed by 10 to 32 lower-case letters or digits.
fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|id| {
        (10..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Exactly `n` ASCII digits.
fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_AbCdEf0123456789.json.gz";
    const INSIGHT: &str = "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/111122223333_CloudTrail-Insight_us-east-1_20240501T0010Z_F9wLP5oFqpedTOYp.json.gz";
    const DIGEST: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_management-events_us-east-1_20240501T010000Z.json.gz";

    #[test]
    fn the_three_key_shapes_parse_with_their_kind_account_region_and_date() {
        for (key, kind, file_start) in [
            (LOG, KeyKind::CloudTrail, "111122223333_CloudTrail_"),
            (
                INSIGHT,
                KeyKind::Insight,
                "111122223333_CloudTrail-Insight_",
            ),
            (DIGEST, KeyKind::Digest, "111122223333_CloudTrail-Digest_"),
        ] {
            let k = parse_key(key).unwrap_or_else(|| panic!("{key} should parse"));
            assert_eq!(k.kind, kind, "{key}");
            assert_eq!(k.account_id, "111122223333");
            assert_eq!(k.region, "us-east-1");
            assert_eq!(
                (k.year.as_str(), k.month.as_str(), k.day.as_str()),
                ("2024", "05", "01")
            );
            assert!(k.file_name.starts_with(file_start), "{}", k.file_name);
            assert_eq!(k.prefix, None);
            assert_eq!(k.org_id, None);
        }
    }

    #[test]
    fn organization_trails_carry_the_org_id() {
        let k = parse_key("AWSLogs/o-exampleorgid/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0005Z_ucCqhuqyJ9maQux5.json.gz").expect("org key");
        assert_eq!(k.org_id.as_deref(), Some("o-exampleorgid"));
        assert_eq!(k.account_id, "111122223333");
    }

    #[test]
    fn prefixes_may_contain_slashes_and_a_leading_slash_gives_an_empty_prefix() {
        let k = parse_key(&format!("my/trail/prefix/{LOG}")).expect("prefixed key");
        assert_eq!(k.prefix.as_deref(), Some("my/trail/prefix"));
        let k = parse_key(&format!("/{LOG}")).expect("leading slash");
        assert_eq!(k.prefix.as_deref(), Some(""));
    }

    #[test]
    fn the_landing_zone_key_repeats_the_org_id_in_the_prefix() {
        let k = parse_key("o-fxozgwu6rc/AWSLogs/o-fxozgwu6rc/123456789015/CloudTrail-Insight/ca-central-1/2020/09/23/123456789015_CloudTrail-Insight_ca-central-1_20200923T0516Z_KL5e9VCV2SS7IqzB.json.gz").expect("landing zone key");
        assert_eq!(k.prefix.as_deref(), Some("o-fxozgwu6rc"));
        assert_eq!(k.org_id.as_deref(), Some("o-fxozgwu6rc"));
        assert_eq!(k.account_id, "123456789015");
        assert_eq!(k.kind, KeyKind::Insight);
        assert_eq!(k.region, "ca-central-1");
    }

    #[test]
    fn a_prefix_that_itself_contains_awslogs_uses_the_last_fitting_occurrence() {
        let k = parse_key(&format!("AWSLogs/x/{LOG}")).expect("nested AWSLogs");
        assert_eq!(k.prefix.as_deref(), Some("AWSLogs/x"));
    }

    #[test]
    fn non_matching_keys_are_rejected() {
        let cases = [
            "",
            "AWSLogs/",
            "random/file.json.gz",
            // Matano's wrong "Insights" spelling
            "AWSLogs/111122223333/CloudTrail-Insights/us-east-1/2024/05/01/f.json.gz",
            // 11-digit account
            "AWSLogs/11112222333/CloudTrail/us-east-1/2024/05/01/f.json.gz",
            // upper-case region
            "AWSLogs/111122223333/CloudTrail/US-EAST-1/2024/05/01/f.json.gz",
            // not .json.gz
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/f.json",
            // nothing before .json.gz
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/.json.gz",
            // org id too short
            "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2024/05/01/f.json.gz",
            // org id upper case
            "AWSLogs/o-EXAMPLEORGID/111122223333/CloudTrail/us-east-1/2024/05/01/f.json.gz",
            // extra segment
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/extra/f.json.gz",
            // short month
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/5/01/f.json.gz",
            // non-ASCII digits
            "AWSLogs/١١١١٢٢٢٢٣٣٣٣/CloudTrail/us-east-1/2024/05/01/f.json.gz",
            // newline in the prefix
            "a\nb/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/f.json.gz",
        ];
        for key in cases {
            assert_eq!(parse_key(key), None, "{key:?}");
        }
    }
}
