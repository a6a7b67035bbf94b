//! Required literals ("atoms") of a regex, for the user-agent rule prefilter (spec §3).
//!
//! `pattern_atoms` returns groups of lower-case literals such that every string the regex
//! matches contains, ASCII case ignored, at least one literal of *each* group. The parser runs a
//! rule's regex only when that holds for the agent, so most of the ~1,200 rules are neither
//! compiled nor run for a given agent. The filter may let a rule through needlessly, never hold
//! back one that matches. Groups come from the parts of the pattern's top-level concatenation;
//! inside a part, `required` keeps its single strongest choice.
//!
//! Shared by `build.rs` (which stores the atoms in the generated tables) and this crate's tests.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Atoms shorter than this are not worth a prefilter entry (almost every agent has them).
pub const MIN_ATOM_LEN: usize = 3;

/// Required atom groups of a pattern in Rust syntax (empty: none known).
pub fn pattern_atoms(pattern: &str) -> Result<Vec<Vec<String>>, String> {
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    let mut groups: Vec<Vec<String>> = Vec::new();
    for set in required_all(&hir) {
        let mut atoms: Vec<String> = set
            .into_iter()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        atoms.sort();
        atoms.dedup();
        if quality(&atoms) >= MIN_ATOM_LEN && !groups.contains(&atoms) {
            groups.push(atoms);
        }
    }
    Ok(groups)
}

/// Every set `h` requires: one per part of a top-level concatenation (looking through
/// capture groups), else the single set `required` finds.
fn required_all(h: &Hir) -> Vec<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Capture(c) => required_all(&c.sub),
        HirKind::Concat(items) if as_literal(h).is_none() => concat_parts(items),
        _ => required(h).into_iter().collect(),
    }
}

/// The sets required by the parts of a concatenation: runs of adjacent literal items (look-
/// arounds are zero-width, so they do not separate the characters on either side) and what
/// each other item requires.
fn concat_parts(items: &[Hir]) -> Vec<Vec<Vec<u8>>> {
    let mut parts: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    for item in items {
        if let Some(lit) = as_literal(item) {
            run.extend(lit);
        } else if matches!(item.kind(), HirKind::Look(_)) {
        } else {
            if !run.is_empty() {
                parts.push(vec![std::mem::take(&mut run)]);
            }
            if let Some(set) = required(item) {
                parts.push(set);
            }
        }
    }
    if !run.is_empty() {
        parts.push(vec![run]);
    }
    parts
}

/// Length of the shortest atom (the filter is as weak as its weakest member).
fn quality<T: AsRef<[u8]>>(set: &[T]) -> usize {
    set.iter().map(|a| a.as_ref().len()).min().unwrap_or(0)
}

/// One of these literals (lower-case) occurs in every match of `h`.
fn required(h: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(lit) = as_literal(h) {
        return (!lit.is_empty()).then(|| vec![lit]);
    }
    match h.kind() {
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(required(a)?);
            }
            Some(all)
        }
        // The strongest part: longest shortest member, then fewest members.
        HirKind::Concat(items) => concat_parts(items)
            .into_iter()
            .max_by(|a, b| quality(a).cmp(&quality(b)).then(b.len().cmp(&a.len()))),
        _ => None,
    }
}

/// The lower-case text `h` always matches exactly (ASCII case aside), if it is such a literal.
fn as_literal(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => class_char(c).map(|b| vec![b]),
        HirKind::Capture(c) => as_literal(&c.sub),
        HirKind::Concat(items) => {
            let mut out = Vec::new();
            for i in items {
                if matches!(i.kind(), HirKind::Look(_)) {
                    continue;
                }
                out.extend(as_literal(i)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// A class of one ASCII character, or of one ASCII letter in both cases.
fn class_char(c: &Class) -> Option<u8> {
    let mut chars: Vec<u32> = Vec::new();
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                if hi - lo > 1 || chars.len() > 2 {
                    return None;
                }
                chars.extend(lo..=hi);
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                if hi - lo > 1 || chars.len() > 2 {
                    return None;
                }
                chars.extend(lo..=hi);
            }
        }
    }
    let ascii: Vec<u8> = chars
        .iter()
        .map(|&c| u8::try_from(c).ok().filter(u8::is_ascii))
        .collect::<Option<_>>()?;
    match ascii.as_slice() {
        [one] => Some(one.to_ascii_lowercase()),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::pattern_atoms;

    fn atoms(p: &str) -> Vec<Vec<String>> {
        pattern_atoms(p).expect("valid pattern")
    }

    fn groups(items: &[&[&str]]) -> Vec<Vec<String>> {
        items
            .iter()
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .collect()
    }

    #[test]
    fn literals_captures_and_case_pairs_make_atoms() {
        assert_eq!(atoms(r"(Chrome)/([0-9]+)"), groups(&[&["chrome/"]]));
        assert_eq!(atoms(r"[aA][wW][sS]-cli/"), groups(&[&["aws-cli/"]]));
        assert_eq!(atoms(r"(?-u:\b)Bot(?-u:\b)"), groups(&[&["bot"]]));
    }

    #[test]
    fn alternations_need_every_branch_to_have_an_atom() {
        assert_eq!(
            atoms(r"(Firefox|Iceweasel)/"),
            groups(&[&["firefox", "iceweasel"]])
        );
        assert_eq!(atoms(r"(?:Foo|[0-9]+)bar"), groups(&[&["bar"]]));
        assert_eq!(atoms(r"(?:Foo|[0-9]+)"), groups(&[]));
    }

    #[test]
    fn optional_parts_and_short_literals_give_nothing() {
        assert_eq!(atoms(r"(?:Chrome)?[0-9]"), groups(&[]));
        assert_eq!(atoms(r"a.b"), groups(&[]), "shorter than MIN_ATOM_LEN");
        assert_eq!(atoms(r"(?:Chrome){2,}"), groups(&[&["chrome"]]));
    }

    #[test]
    fn every_part_of_a_top_level_concatenation_is_a_group() {
        assert_eq!(
            atoms(r"; (SKYTEX|SXB)-([^;/]+)(?: Build|\) AppleWebKit)"),
            groups(&[&["skytex", "sxb"], &[" build", ") applewebkit"]])
        );
        assert_eq!(atoms(r"ab[0-9]Windows"), groups(&[&["windows"]]));
    }

    #[test]
    fn nested_concatenations_keep_their_strongest_part() {
        assert_eq!(
            atoms(r"x|(?:Mac|Win)[0-9]Linux"),
            groups(&[]),
            "one branch has no atom"
        );
        assert_eq!(
            atoms(r"(?:ab[0-9]Linux|Darwin)"),
            groups(&[&["darwin", "linux"]])
        );
    }
}
