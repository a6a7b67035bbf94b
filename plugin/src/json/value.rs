//! The document model: one JSON tree type for parsed records (`J`), the ingest document and the
//! output document.
//!
//! Why our own type instead of `serde_json::Value`: parity needs things serde's tree loses.
//! - object members keep input order and their count *as parsed* (`Map::parsed_len`), because the
//!   reference prints payloads in Java `HashMap` order, which depends on the table capacity sized
//!   from the member count before the pre-clean removed anything (spec §2.5);
//! - numbers keep their literal text, so integers of any size and `1.0` vs `1` survive (Java
//!   `toString` prints `Integer`/`Long`/`BigInteger` and `Double` differently);
//! - duplicate keys are detected by the parser (the reference rejects such records).

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, kept as its literal text.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in input order.
    Object(Map),
}

/// Key equality with a cheap first test: lookups scan members linearly, and most members
/// differ from the key in length or first byte, which is settled without a `memcmp` call.
#[inline]
pub(crate) fn key_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.first() == b.first() && a == b
}

/// A JSON number kept as its (valid JSON) literal text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(Box<str>);

impl Number {
    /// Wrap a literal that is known to be valid JSON number syntax (the parser's output).
    pub fn from_literal(text: &str) -> Number {
        Number(text.into())
    }

    /// The literal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for literals without fraction or exponent (Java would type them `Integer`, `Long`
    /// or `BigInteger`).
    pub fn is_integer(&self) -> bool {
        !self.0.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
    }

    /// The value as `i64` when it is an integer literal that fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.0.parse().ok()
        } else {
            None
        }
    }

    /// The value as `f64` (may be infinite for huge literals).
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        Number(n.to_string().into())
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Number {
        Number(n.to_string().into())
    }
}

/// An object: members in insertion order, plus the member count the parser saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
    parsed_len: usize,
}

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map::default()
    }

    /// An empty object with room for `n` members.
    pub fn with_capacity(n: usize) -> Map {
        Map {
            entries: Vec::with_capacity(n),
            parsed_len: 0,
        }
    }

    /// Build from members (no duplicate check); `parsed_len` = number of members.
    pub fn from_entries(entries: Vec<(String, Value)>) -> Map {
        let parsed_len = entries.len();
        Map {
            entries,
            parsed_len,
        }
    }

    /// Member count when the object was parsed (or built); unchanged by later removals.
    /// Sizes the Java `HashMap` table for payload ordering (spec §2.5 step 1).
    pub fn parsed_len(&self) -> usize {
        self.parsed_len
    }

    /// Override the parsed member count (the parser sets it; so can tests).
    pub fn set_parsed_len(&mut self, n: usize) {
        self.parsed_len = n;
    }

    /// Current member count.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No members.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Position of the member `key`.
    #[inline]
    pub fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| key_eq(k, key))
    }

    /// Member by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| key_eq(k, key))
            .map(|(_, v)| v)
    }

    /// Mutable member by key.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| key_eq(k, key))
            .map(|(_, v)| v)
    }

    /// Has a member with this key.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| key_eq(k, key))
    }

    /// Set a member: replaces the value in place if the key exists (keeping its position),
    /// else appends. Returns the old value. Does not change `parsed_len` unless it grows past it.
    pub fn insert(&mut self, key: impl AsRef<str> + Into<String>, value: Value) -> Option<Value> {
        // Look up by reference first: replacing an existing member allocates no key.
        if let Some(slot) = self.get_mut(key.as_ref()) {
            return Some(std::mem::replace(slot, value));
        }
        self.entries.push((key.into(), value));
        if self.entries.len() > self.parsed_len {
            self.parsed_len = self.entries.len();
        }
        None
    }

    /// Append without looking for an existing key (the parser, after its own duplicate check).
    pub fn push_unchecked(&mut self, key: String, value: Value) {
        self.entries.push((key, value));
        if self.entries.len() > self.parsed_len {
            self.parsed_len = self.entries.len();
        }
    }

    /// Remove a member, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| key_eq(k, key))?;
        Some(self.entries.remove(i).1)
    }

    /// Keep only the members for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// Members in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Mutable members in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Take the members out.
    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.entries
    }

    /// The members as a slice.
    pub fn entries(&self) -> &[(String, Value)] {
        &self.entries
    }

    /// Mutable access to the member vector (sorting, bulk edits).
    pub fn entries_mut(&mut self) -> &mut Vec<(String, Value)> {
        &mut self.entries
    }

    /// Value at a path of keys (no dot splitting: payload keys may contain dots).
    pub fn get_path(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        let v = self.get(first)?;
        if rest.is_empty() {
            Some(v)
        } else {
            v.as_object()?.get_path(rest)
        }
    }

    /// Mutable value at a path of keys.
    pub fn get_path_mut(&mut self, path: &[&str]) -> Option<&mut Value> {
        let (first, rest) = path.split_first()?;
        let v = self.get_mut(first)?;
        if rest.is_empty() {
            Some(v)
        } else {
            v.as_object_mut()?.get_path_mut(rest)
        }
    }

    /// Remove the value at a path of keys. Intermediate objects stay (even if now empty): the
    /// reference's `remove`/`rename` leave parents, and the final clean removes empty ones.
    pub fn remove_path(&mut self, path: &[&str]) -> Option<Value> {
        let (last, parents) = path.split_last()?;
        if parents.is_empty() {
            self.remove(last)
        } else {
            self.get_path_mut(parents)?.as_object_mut()?.remove(last)
        }
    }

    /// Set the value at a path of keys, creating (or replacing non-object) intermediates.
    pub fn set_path(&mut self, path: &[&str], value: Value) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut cur = self;
        for p in parents {
            cur = cur.child_object(p);
        }
        cur.insert(*last, value);
    }

    /// The object member `key`, created (or replacing a non-object value) when needed.
    fn child_object(&mut self, key: &str) -> &mut Map {
        let i = match self.entries.iter().position(|(k, _)| key_eq(k, key)) {
            Some(i) => {
                if let Some((_, v)) = self.entries.get_mut(i)
                    && !matches!(v, Value::Object(_))
                {
                    *v = Value::Object(Map::new());
                }
                i
            }
            None => {
                self.push_unchecked(key.to_owned(), Value::Object(Map::new()));
                self.entries.len() - 1
            }
        };
        match self.entries.get_mut(i) {
            Some((_, Value::Object(m))) => m,
            _ => unreachable!("the member at {i} was just made an object"),
        }
    }

    /// Value at a dotted field path (`"aws.cloudtrail.user_identity.type"`). For output and
    /// ingest-document fields, whose names never contain dots inside one segment.
    pub fn get_field(&self, dotted: &str) -> Option<&Value> {
        let mut cur = self;
        let mut rest = dotted;
        loop {
            // Segments are short: a plain byte scan beats `split`'s searcher.
            match rest.bytes().position(|b| b == b'.') {
                None => return cur.get(rest),
                Some(dot) => {
                    let (head, tail) = (rest.get(..dot)?, rest.get(dot + 1..)?);
                    cur = cur.get(head)?.as_object()?;
                    rest = tail;
                }
            }
        }
    }

    /// Mutable value at a dotted field path.
    pub fn get_field_mut(&mut self, dotted: &str) -> Option<&mut Value> {
        match dotted.rsplit_once('.') {
            None => self.get_mut(dotted),
            Some((parents, last)) => self.get_field_mut(parents)?.as_object_mut()?.get_mut(last),
        }
    }

    /// Set a dotted field path, creating intermediate objects.
    pub fn set_field(&mut self, dotted: &str, value: Value) {
        // Same as `set_path` on the split path, without collecting the parts.
        let (parents, last) = match dotted.rsplit_once('.') {
            Some((parents, last)) => (Some(parents), last),
            None => (None, dotted),
        };
        let mut cur = self;
        if let Some(parents) = parents {
            for p in parents.split('.') {
                cur = cur.child_object(p);
            }
        }
        cur.insert(last, value);
    }

    /// Remove a dotted field path.
    pub fn remove_field(&mut self, dotted: &str) -> Option<Value> {
        match dotted.rsplit_once('.') {
            None => self.remove(dotted),
            Some((parents, last)) => self.get_field_mut(parents)?.as_object_mut()?.remove(last),
        }
    }

    /// Whether a dotted field path exists (with any value, `null` included).
    pub fn has_field(&self, dotted: &str) -> bool {
        self.get_field(dotted).is_some()
    }

    /// String at a dotted field path.
    pub fn str_field(&self, dotted: &str) -> Option<&str> {
        self.get_field(dotted)?.as_str()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Map {
        Map::from_entries(iter.into_iter().collect())
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An array of strings.
    pub fn str_array<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::Array(items.into_iter().map(|s| Value::String(s.into())).collect())
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The mutable object, if this is one.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The mutable array, if this is one.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// `null`?
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Value at a path of keys, when this is an object.
    pub fn get_path(&self, path: &[&str]) -> Option<&Value> {
        if path.is_empty() {
            return Some(self);
        }
        self.as_object()?.get_path(path)
    }

    /// Short name of the JSON type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_field_creates_parents_and_get_field_reads_them_back() {
        let mut m = Map::new();
        m.set_field("aws.cloudtrail.user_identity.type", Value::str("IAMUser"));
        assert_eq!(
            m.str_field("aws.cloudtrail.user_identity.type"),
            Some("IAMUser")
        );
        assert!(m.has_field("aws.cloudtrail"));
        assert_eq!(
            m.remove_field("aws.cloudtrail.user_identity.type"),
            Some(Value::str("IAMUser"))
        );
        // parents stay, empty
        assert_eq!(
            m.get_field("aws.cloudtrail.user_identity")
                .and_then(Value::as_object)
                .map(Map::len),
            Some(0)
        );
    }

    #[test]
    fn insert_replaces_in_place_and_parsed_len_survives_removal() {
        let mut m = Map::from_entries(vec![
            ("a".into(), Value::Null),
            ("b".into(), Value::Bool(true)),
        ]);
        m.insert("a", Value::str("x"));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        m.remove("a");
        assert_eq!(m.len(), 1);
        assert_eq!(m.parsed_len(), 2);
    }

    #[test]
    fn number_kinds_follow_the_literal() {
        assert!(Number::from_literal("600").is_integer());
        assert!(!Number::from_literal("1.0").is_integer());
        assert!(!Number::from_literal("1e5").is_integer());
        assert_eq!(Number::from_literal("-12").as_i64(), Some(-12));
        assert_eq!(Number::from_literal("1.5").as_i64(), None);
    }
}
