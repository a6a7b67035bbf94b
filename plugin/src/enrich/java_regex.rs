//! Rewrite a `java.util.regex.Pattern` (default flags, as Elasticsearch compiles the uap-core
//! rules, spec §3) into the Rust `regex` crate's syntax with the same meaning.
//!
//! Shared by `build.rs` (which translates every rule once, at build time) and this crate's tests.
//! The Java defaults that differ from Rust's Unicode mode:
//! - `\d`, `\w`, `\s` and `\b` are ASCII-only (JDK 19+ made `\b` agree with `\w`);
//! - `.` excludes every line terminator (`\n`, `\r`, U+0085, U+2028, U+2029), not only `\n`;
//! - `$` also matches before a line terminator that ends the input;
//! - `CASE_INSENSITIVE` (uap's `regex_flag: 'i'`) folds ASCII letters only. It is spelled out
//!   as `[xX]` classes, which also keeps the guest free of Unicode case tables.
//!
//! Anything this translator does not understand is an error, so a new rule file with an
//! unsupported construct fails the build instead of silently matching differently.

/// What Java's `.` matches (no `DOTALL`, no `UNIX_LINES`).
const DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";
/// Java's `$` without `MULTILINE`: end of input, optionally after one final line terminator.
/// Rust has no look-ahead, so the terminator is consumed; it never lies inside a capture group
/// in the rule files (checked below), so captured text is the same.
const DOLLAR: &str = r"(?:\r\n|[\n\r\x{85}\x{2028}\x{2029}])?\z";
/// ASCII `\s` members, written for use inside a bracket class.
const SPACE_MEMBERS: &str = r"\t\n\x0B\x0C\r ";
/// ASCII `\w` members, written for use inside a bracket class.
const WORD_MEMBERS: &str = "0-9A-Za-z_";
/// ASCII `\d` members, written for use inside a bracket class.
const DIGIT_MEMBERS: &str = "0-9";

/// Translate one Java pattern, compiled with `CASE_INSENSITIVE` when `case_insensitive`.
/// Errors name the construct that is not supported.
pub fn translate(java: &str, case_insensitive: bool) -> Result<String, String> {
    let mut out = String::with_capacity(java.len() + 16);
    let mut chars = java.chars().peekable();
    // Open groups: whether each is a capturing group (for the `$`-inside-capture check).
    let mut groups: Vec<bool> = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next().ok_or("trailing backslash")?;
                out.push_str(&escape_outside_class(e)?);
            }
            '[' => translate_class(&mut chars, &mut out, case_insensitive)?,
            '.' => out.push_str(DOT),
            '$' => {
                if groups.iter().any(|capturing| *capturing) {
                    return Err("`$` inside a capturing group".to_owned());
                }
                out.push_str(DOLLAR);
            }
            '(' => {
                if chars.peek() == Some(&'?') {
                    chars.next();
                    match chars.next() {
                        Some(':') => out.push_str("(?:"),
                        other => {
                            return Err(format!("unsupported group construct `(?{other:?}`"));
                        }
                    }
                    groups.push(false);
                } else {
                    out.push('(');
                    groups.push(true);
                }
            }
            ')' => {
                groups.pop().ok_or("unbalanced `)`")?;
                out.push(')');
            }
            '+' | '*' | '?' | '}' => {
                out.push(c);
                // Java possessive quantifiers (`a*+`) have no Rust equivalent.
                if chars.peek() == Some(&'+') {
                    return Err("possessive quantifier".to_owned());
                }
            }
            c if case_insensitive && c.is_ascii_alphabetic() => {
                out.push('[');
                out.push(c.to_ascii_lowercase());
                out.push(c.to_ascii_uppercase());
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    if !groups.is_empty() {
        return Err("unbalanced `(`".to_owned());
    }
    Ok(out)
}

/// An escape outside a bracket class.
fn escape_outside_class(e: char) -> Result<String, String> {
    Ok(match e {
        'd' => format!("[{DIGIT_MEMBERS}]"),
        'D' => format!("[^{DIGIT_MEMBERS}]"),
        'w' => format!("[{WORD_MEMBERS}]"),
        'W' => format!("[^{WORD_MEMBERS}]"),
        's' => format!("[{SPACE_MEMBERS}]"),
        'S' => format!("[^{SPACE_MEMBERS}]"),
        'b' => r"(?-u:\b)".to_owned(),
        'B' => r"(?-u:\B)".to_owned(),
        't' | 'n' | 'r' | 'f' => format!("\\{e}"),
        c if c.is_ascii_punctuation() || c == ' ' => escaped_literal(c),
        c => return Err(format!("unsupported escape `\\{c}`")),
    })
}

/// A literal character, escaped for Rust when it is special in either place.
fn escaped_literal(c: char) -> String {
    if c == ' ' {
        " ".to_owned()
    } else if regex_meta(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// Characters Rust's parser treats as meta (inside or outside classes); escaping them is
/// always accepted.
fn regex_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

/// A bracket class; the opening `[` is already consumed. Java's nested classes and `&&`
/// intersections are rejected (the rule files use neither), and so is every spelling the two
/// dialects could read differently (`--`, a leading `]`, a range next to an escape). Under
/// `case_insensitive`, the other case of every ASCII letter the class names (singly or in a
/// range) is added, which is what Java's ASCII case-insensitive class matching amounts to.
fn translate_class(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    out: &mut String,
    case_insensitive: bool,
) -> Result<(), String> {
    out.push('[');
    if chars.peek() == Some(&'^') {
        chars.next();
        out.push('^');
    }
    if chars.peek() == Some(&']') {
        return Err("`]` first in a class".to_owned());
    }
    let mut first = true;
    // Letters named by the class, for the case-insensitive additions.
    let mut letters: Vec<char> = Vec::new();
    // The last plain character, which a following `-` turns into a range start.
    let mut previous: Option<char> = None;
    loop {
        let c = chars.next().ok_or("unterminated `[`")?;
        let mut plain = false;
        match c {
            ']' => {
                if case_insensitive {
                    out.extend(letters.iter().map(|l| {
                        if l.is_ascii_lowercase() {
                            l.to_ascii_uppercase()
                        } else {
                            l.to_ascii_lowercase()
                        }
                    }));
                }
                out.push(']');
                return Ok(());
            }
            '-' if chars.peek() == Some(&'-') => return Err("`--` in a class".to_owned()),
            '-' if first || chars.peek() == Some(&']') => out.push('-'),
            '-' => {
                let lo = previous.ok_or("`-` after an escape or a range in a class")?;
                let hi = chars.next().ok_or("unterminated `[`")?;
                if matches!(hi, '\\' | '[' | ']' | '&' | '~') {
                    return Err(format!("class range ending in `{hi}`"));
                }
                if hi < lo {
                    return Err("reversed class range".to_owned());
                }
                for l in (lo..=hi).filter(char::is_ascii_alphabetic) {
                    if !letters.contains(&l) {
                        letters.push(l);
                    }
                }
                out.push('-');
                out.push(hi);
            }
            '\\' => {
                let e = chars.next().ok_or("trailing backslash")?;
                match e {
                    'd' => out.push_str(DIGIT_MEMBERS),
                    'w' => out.push_str(WORD_MEMBERS),
                    's' => out.push_str(SPACE_MEMBERS),
                    't' | 'n' | 'r' | 'f' => {
                        out.push('\\');
                        out.push(e);
                    }
                    c if c.is_ascii_punctuation() || c == ' ' => out.push_str(&escaped_literal(c)),
                    c => return Err(format!("unsupported escape `\\{c}` in a class")),
                }
            }
            '[' => return Err("nested class".to_owned()),
            '&' if chars.peek() == Some(&'&') => return Err("class intersection".to_owned()),
            // Rust reads doubled `&`, `-` and `~` inside classes as set operations; single ones
            // are literal in both dialects once escaped.
            '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => {
                if c.is_ascii_alphabetic() && !letters.contains(&c) {
                    letters.push(c);
                }
                out.push(c);
                plain = true;
            }
        }
        previous = plain.then_some(c);
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn shorthand_classes_become_ascii_sets_inside_and_outside_brackets() {
        let cases = [
            (r"(\d+)", "([0-9]+)"),
            (r"[\d.]+", "[0-9.]+"),
            (r"\w", "[0-9A-Za-z_]"),
            (r"\S+", r"[^\t\n\x0B\x0C\r ]+"),
            (r"[\s;]", r"[\t\n\x0B\x0C\r ;]"),
            (r"\bX\b", r"(?-u:\b)X(?-u:\b)"),
        ];
        for (java, rust) in cases {
            assert_eq!(translate(java, false).as_deref(), Ok(rust), "{java}");
        }
    }

    #[test]
    fn dot_and_dollar_follow_java_line_terminator_rules() {
        assert_eq!(
            translate("a.b", false).as_deref(),
            Ok(r"a[^\n\r\x{85}\x{2028}\x{2029}]b")
        );
        assert_eq!(
            translate("a(?:x|$)", false).as_deref(),
            Ok(r"a(?:x|(?:\r\n|[\n\r\x{85}\x{2028}\x{2029}])?\z)")
        );
        assert_eq!(translate(r"\.\$", false).as_deref(), Ok(r"\.\$"));
    }

    #[test]
    fn escaped_punctuation_stays_literal() {
        assert_eq!(translate(r"\/\!\ \-", false).as_deref(), Ok(r"/! \-"));
        assert_eq!(translate(r"[\]\[\-]", false).as_deref(), Ok(r"[\]\[\-]"));
    }

    #[test]
    fn constructs_with_other_meanings_are_rejected() {
        for java in [
            "(?i)a", "(?=a)", "(?<n>a)", "a++", "a?+", "[a&&b]", "[a[b]]", r"\p{L}", r"\1", "(a$)",
            "(a", "a)", r"\Qa\E", "[]a]", "[a--b]", r"[\d-z]", "[a-c-e]", "[z-a]",
        ] {
            assert!(translate(java, false).is_err(), "{java} should be rejected");
        }
    }

    #[test]
    fn case_insensitive_rules_fold_ascii_letters_only() {
        assert_eq!(translate("Ab1", true).as_deref(), Ok("[aA][bB]1"));
        assert_eq!(translate("[a-c_X]", true).as_deref(), Ok("[a-c_XABCx]"));
        assert_eq!(translate(r"[^\d]", true).as_deref(), Ok("[^0-9]"));
        assert_eq!(translate(r"\dx", true).as_deref(), Ok("[0-9][xX]"));
    }

    #[test]
    fn class_edges_keep_literal_dashes() {
        assert_eq!(translate("[-a]", false).as_deref(), Ok("[-a]"));
        assert_eq!(translate("[a-]", false).as_deref(), Ok("[a-]"));
        assert_eq!(translate("[^-a]", false).as_deref(), Ok("[^-a]"));
    }
}
