//! A JSON tree that borrows its text from the IR, and the printer templates
//! are written with.
//!
//! Building `serde_json::Value` costs a `String` per key and a hashed map
//! per object, for a tree that is printed once and dropped. Every backend
//! builds this tree instead; [`pretty`] prints it byte for byte as
//! `serde_json::to_string_pretty` does. What the IR holds as a
//! `serde_json::Value` (a param's default, bounds, allowed values) is
//! borrowed as a `Json` with `From`.

use std::borrow::Cow;

use serde_json::{Number, Value};

/// A JSON value. An object keeps its entries in the order they were added;
/// [`dedup`] gives a map's semantics where keys may repeat.
#[derive(Clone, Debug)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Entries<'a>),
    /// A value printed by [`write`] at the depth it is placed at: a
    /// template's resources are printed one by one as each is built, so
    /// that only the text of the ones before is held, not their trees.
    Printed(String),
}

/// An object's entries, in order.
pub type Entries<'a> = Vec<(Cow<'a, str>, Json<'a>)>;

impl<'a> Json<'a> {
    /// An object of one entry, the shape of most intrinsic functions.
    pub fn single(key: impl Into<Cow<'a, str>>, value: Json<'a>) -> Json<'a> {
        Json::Object(vec![(key.into(), value)])
    }

    pub fn int(n: i64) -> Json<'a> {
        Json::Number(n.into())
    }

    /// A finite number; `null` otherwise, as `serde_json::json!` makes it.
    pub fn float(n: f64) -> Json<'a> {
        Number::from_f64(n).map_or(Json::Null, Json::Number)
    }

    /// The same value, owning all its text.
    pub fn into_owned(self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Number(n) => Json::Number(n),
            Json::Str(s) => Json::Str(Cow::Owned(s.into_owned())),
            Json::Array(items) => Json::Array(items.into_iter().map(Json::into_owned).collect()),
            Json::Object(entries) => Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
            Json::Printed(text) => Json::Printed(text),
        }
    }

    pub fn is_str(&self, text: &str) -> bool {
        matches!(self, Json::Str(s) if s == text)
    }
}

impl PartialEq for Json<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Number(a), Json::Number(b)) => a == b,
            (Json::Str(a), Json::Str(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            // In any order, as serde_json's maps compare.
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len() && a.iter().all(|entry| b.contains(entry))
            }
            (Json::Printed(a), Json::Printed(b)) => a == b,
            _ => false,
        }
    }
}

impl<'a> From<&'a str> for Json<'a> {
    fn from(s: &'a str) -> Json<'a> {
        Json::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Json<'_> {
    fn from(s: String) -> Self {
        Json::Str(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Json<'a> {
    fn from(s: Cow<'a, str>) -> Json<'a> {
        Json::Str(s)
    }
}

impl<'a> From<&'a String> for Json<'a> {
    fn from(s: &'a String) -> Json<'a> {
        Json::Str(Cow::Borrowed(s))
    }
}

/// A value the IR holds as `serde_json` (a param's default, bounds and
/// allowed values), borrowing its text.
impl<'a> From<&'a Value> for Json<'a> {
    fn from(value: &'a Value) -> Json<'a> {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::from(s.as_str()),
            Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            Value::Object(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (Cow::from(k.as_str()), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<i64> for Json<'_> {
    fn from(n: i64) -> Self {
        Json::int(n)
    }
}

impl From<u64> for Json<'_> {
    fn from(n: u64) -> Self {
        Json::Number(n.into())
    }
}

impl From<bool> for Json<'_> {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

/// Builds a [`Json`] as `serde_json::json!` builds a `Value`: arrays and
/// objects are written out, other values are expressions turned into `Json`
/// with `From` (text is borrowed where it can be).
macro_rules! json {
    ([ $($items:tt)* ]) => {
        $crate::json::Json::Array($crate::json::json!(@items [] $($items)*))
    };
    ({ $($entries:tt)* }) => {
        $crate::json::Json::Object($crate::json::json!(@entries [] $($entries)*))
    };
    (@items [$($done:expr,)*]) => { vec![$($done,)*] };
    (@items [$($done:expr,)*] [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $crate::json::json!(@items [$($done,)* $crate::json::json!([$($inner)*]),] $($($rest)*)?)
    };
    (@items [$($done:expr,)*] {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $crate::json::json!(@items [$($done,)* $crate::json::json!({$($inner)*}),] $($($rest)*)?)
    };
    (@items [$($done:expr,)*] $item:expr $(, $($rest:tt)*)?) => {
        $crate::json::json!(@items [$($done,)* $crate::json::Json::from($item),] $($($rest)*)?)
    };
    (@entries [$($done:expr,)*]) => { vec![$($done,)*] };
    (@entries [$($done:expr,)*] $key:tt : [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $crate::json::json!(@entries [$($done,)* ($key.into(), $crate::json::json!([$($inner)*])),] $($($rest)*)?)
    };
    (@entries [$($done:expr,)*] $key:tt : {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $crate::json::json!(@entries [$($done,)* ($key.into(), $crate::json::json!({$($inner)*})),] $($($rest)*)?)
    };
    (@entries [$($done:expr,)*] $key:tt : $value:expr $(, $($rest:tt)*)?) => {
        $crate::json::json!(@entries [$($done,)* ($key.into(), $crate::json::Json::from($value)),] $($($rest)*)?)
    };
    ($value:expr) => {
        $crate::json::Json::from($value)
    };
}
pub(crate) use json;

/// The entries of a map built by inserting them in order: a key met again
/// replaces the earlier value, in the earlier place.
pub fn dedup<'a, V>(entries: Vec<(Cow<'a, str>, V)>) -> Vec<(Cow<'a, str>, V)> {
    let distinct = if entries.len() <= 8 {
        entries
            .iter()
            .enumerate()
            .all(|(i, (k, _))| entries[..i].iter().all(|(seen, _)| seen != k))
    } else {
        let mut seen =
            rustc_hash::FxHashSet::with_capacity_and_hasher(entries.len(), Default::default());
        entries.iter().all(|(k, _)| seen.insert(&**k))
    };
    if distinct {
        return entries;
    }
    let mut out: Vec<(Cow<'a, str>, V)> = Vec::with_capacity(entries.len());
    let mut index: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
    for (key, value) in entries {
        match index.get(&*key) {
            Some(&i) => out[i].1 = value,
            None => {
                index.insert(key.clone().into_owned(), out.len());
                out.push((key, value));
            }
        }
    }
    out
}

/// `json` pretty-printed with a two-space indent, and a final newline: the
/// file `infra build` writes.
pub fn pretty(json: &Json<'_>) -> String {
    // Room for the resources already printed, at once: grown by doubling,
    // a large template would be copied and its pages touched twice.
    let mut out = String::with_capacity(4096 + printed_len(json));
    write(&mut out, json, 0);
    out.push('\n');
    out
}

/// A template as [`pretty`] prints it: the entries `before`, then `key`
/// holding `members` (names, and values printed at depth 2 by [`write`]),
/// then the entries `after`. Allocated once at its size: a template is
/// mostly its printed members.
pub fn pretty_around<'m>(
    before: &Entries<'_>,
    key: &str,
    members: impl Iterator<Item = (&'m str, &'m str)> + Clone,
    after: &Entries<'_>,
) -> String {
    let mut head = String::with_capacity(4096);
    head.push('{');
    for (i, (name, value)) in before.iter().enumerate() {
        write_key(&mut head, i, 1, name);
        write(&mut head, value, 1);
    }
    write_key(&mut head, before.len(), 1, key);
    head.push('{');
    let count = before.len() + 1;
    let mut tail = String::new();
    for (i, (name, value)) in after.iter().enumerate() {
        write_key(&mut tail, count + i, 1, name);
        write(&mut tail, value, 1);
    }
    // A member's comma, new line, indent, quotes and colon: 10 bytes.
    let size: usize = (members.clone())
        .map(|(name, text)| name.len() + 12 + text.len())
        .sum();
    let mut text = String::with_capacity(head.len() + size + tail.len() + 8);
    text.push_str(&head);
    let mut n = 0;
    for (name, printed) in members {
        write_key(&mut text, n, 2, name);
        text.push_str(printed);
        n += 1;
    }
    write_close(&mut text, 1, n, '}');
    text.push_str(&tail);
    write_close(&mut text, 0, count + after.len(), '}');
    text.push('\n');
    text
}

/// The bytes of the values printed already in `json` ([`Json::Printed`]).
fn printed_len(json: &Json<'_>) -> usize {
    match json {
        Json::Printed(text) => text.len(),
        Json::Array(items) => items.iter().map(printed_len).sum(),
        Json::Object(entries) => entries.iter().map(|(_, v)| printed_len(v)).sum(),
        _ => 0,
    }
}

/// `json` as [`pretty`] lays it out at `depth`, without the final newline:
/// two values are equal exactly when their texts are.
pub fn write(out: &mut String, json: &Json<'_>, depth: usize) {
    write_tree(out, json, depth);
}

/// The start of an object's entry at `depth`, for an object written piece
/// by piece: the comma after the entry before (`index` > 0), a new line, the
/// indent and the key. The value follows, written at `depth`.
#[inline]
pub fn write_key(out: &mut String, index: usize, depth: usize, name: &str) {
    entry(out, index, depth);
    key(out, name);
}

/// The start of an array's item at `depth`, for an array written piece by
/// piece: the comma after the item before (`index` > 0), a new line and the
/// indent. The value follows, written at `depth`.
#[inline]
pub fn write_item(out: &mut String, index: usize, depth: usize) {
    entry(out, index, depth);
}

/// The end of a container opened at `depth` with `count` entries.
pub fn write_close(out: &mut String, depth: usize, count: usize, bracket: char) {
    if count > 0 {
        newline(out, depth);
    }
    out.push(bracket);
}

/// A string, quoted and escaped as [`write`] prints it.
#[inline]
pub fn write_str(out: &mut String, s: &str) {
    string(out, s);
}

/// A string's text escaped as [`write`] escapes it, without the quotes:
/// escaping goes byte by byte, so a text written in pieces is escaped as
/// it would be whole.
pub fn write_escaped(out: &mut String, s: &str) {
    contents(out, s);
}

fn write_tree(out: &mut String, json: &Json<'_>, depth: usize) {
    match json {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(n) => number(out, n),
        Json::Str(s) => string(out, s),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                entry(out, i, depth + 1);
                value(out, item, depth + 1);
            }
            close(out, depth, ']');
        }
        Json::Object(entries) if entries.is_empty() => out.push_str("{}"),
        Json::Object(entries) => {
            out.push('{');
            for (i, (name, item)) in entries.iter().enumerate() {
                entry(out, i, depth + 1);
                key(out, name);
                value(out, item, depth + 1);
            }
            close(out, depth, '}');
        }
        Json::Printed(text) => out.push_str(text),
    }
}

/// A container's item: a string, the most common, without a call.
#[inline]
fn value(out: &mut String, json: &Json<'_>, depth: usize) {
    match json {
        Json::Str(s) => string(out, s),
        _ => write_tree(out, json, depth),
    }
}

/// Before an entry of a container: a comma after the one before, a new line
/// and the indent.
#[inline]
fn entry(out: &mut String, index: usize, depth: usize) {
    let comma = usize::from(index == 0);
    let width = 2 + 2 * depth;
    if width <= SHORT_LINE {
        short_line(out, &COMMA_LINE[comma..], width - comma);
        return;
    }
    match COMMA_LINE.get(comma..width) {
        Some(text) => out.push_str(text),
        None => {
            out.push_str(&COMMA_LINE[comma..2]);
            indent(out, depth);
        }
    }
}

/// The longest line start [`short_line`] writes.
const SHORT_LINE: usize = 32;

/// The first `len` bytes of `line` (at most [`SHORT_LINE`], all ASCII):
/// copied at a fixed size and cut back, a few moves where a copy of any
/// size is a call.
#[inline]
fn short_line(out: &mut String, line: &str, len: usize) {
    out.push_str(&line[..SHORT_LINE]);
    out.truncate(out.len() - (SHORT_LINE - len));
}

/// A comma, a new line and an indent of up to 32 levels.
const COMMA_LINE: &str = ",\n                                                                ";

fn close(out: &mut String, depth: usize, bracket: char) {
    newline(out, depth);
    out.push(bracket);
}

/// A new line indented `depth` levels, written at once: indents are a good
/// part of a template.
fn newline(out: &mut String, depth: usize) {
    let width = 1 + 2 * depth;
    if width <= SHORT_LINE {
        short_line(out, &COMMA_LINE[1..], width);
        return;
    }
    match COMMA_LINE.get(1..2 + 2 * depth) {
        Some(text) => out.push_str(text),
        None => {
            out.push('\n');
            indent(out, depth);
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn number(out: &mut String, n: &Number) {
    if let Some(i) = n.as_i64() {
        integer(out, i.unsigned_abs(), i < 0);
    } else if let Some(u) = n.as_u64() {
        integer(out, u, false);
    } else {
        // A float: serde_json's shortest round-trip form.
        use std::fmt::Write;
        let _ = write!(out, "{n}");
    }
}

fn integer(out: &mut String, mut n: u64, negative: bool) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

/// An object's key and the colon after it.
#[inline]
fn key(out: &mut String, name: &str) {
    out.reserve(name.len() + 4);
    out.push('"');
    contents(out, name);
    out.push_str("\": ");
}

#[inline]
fn string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    contents(out, s);
    out.push('"');
}

/// The bytes serde_json escapes: `"`, `\` and control characters.
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Does any byte need escaping? Tested eight bytes at a time: templates are
/// mostly text with nothing to escape.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of a byte of `word` below `n` (at most 0x80) is set in
    // `below`: exact as a yes or no, though not byte by byte.
    let below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word;
    let escaped = |word: u64| {
        below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1)
    };
    // Always in range; a word of NULs, were it not, would take the exact
    // path of a text with escapes.
    let word_at = |at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|chunk| <[u8; 4]>::try_from(chunk).ok())
            .map_or(0, u32::from_le_bytes)
    };
    match bytes.len() {
        0..4 => return bytes.iter().any(|&b| ESCAPED[usize::from(b)]),
        // Two words over each other at most: most keys and names are short.
        len @ 4..8 => {
            let word = u64::from(half(0)) | u64::from(half(len - 4)) << 32;
            return escaped(word) & HIGH != 0;
        }
        len @ 8..=16 => return (escaped(word_at(0)) | escaped(word_at(len - 8))) & HIGH != 0,
        _ => {}
    }
    let mut found = 0;
    let mut at = 0;
    while at + 8 < bytes.len() {
        found |= escaped(word_at(at));
        at += 8;
    }
    // The last eight bytes, over some already seen.
    found |= escaped(word_at(bytes.len() - 8));
    found & HIGH != 0
}

/// A string's text, escaped as serde_json escapes it: the common control
/// characters in their short forms, the others as `\u00XX`.
#[inline]
fn contents(out: &mut String, s: &str) {
    if needs_escape(s.as_bytes()) {
        escaped(out, s);
    } else {
        out.push_str(s);
    }
}

/// [`contents`] of a text with a byte to escape.
fn escaped(out: &mut String, s: &str) {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        if !ESCAPED[usize::from(b)] {
            continue;
        }
        out.push_str(&s[run..i]);
        run = i + 1;
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0a => "\\n",
            0x0c => "\\f",
            0x0d => "\\r",
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
                continue;
            }
        };
        out.push_str(short);
    }
    out.push_str(&s[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_is_serde_jsons() {
        let deep = (0..40).fold(serde_json::json!("bottom"), |inner, _| {
            serde_json::json!([inner])
        });
        let value = serde_json::json!({
            "Empty": {}, "None": [], "Null": null, "Yes": true, "No": false,
            "Numbers": [0, -12, 7, i64::MIN, u64::MAX, 1.5, -0.0, 1e300, 1e-7, 0.1, 123456789.125],
            "Escapes": "quote \" backslash \\ tab \t nl \n cr \r ff \u{c} bs \u{8} nul \u{0} esc \u{1b} del \u{7f} é ✓ / \u{1f}",
            "": "key is empty",
            "Nested": { "a": [[], [{}], [{ "b": ["c", { "d\"e\n": null }] }]] },
            "Deep": deep,
        });
        let expected = serde_json::to_string_pretty(&value).unwrap() + "\n";
        assert_eq!(pretty(&Json::from(&value)), expected);
        for scalar in [
            serde_json::json!(null),
            serde_json::json!("x"),
            serde_json::json!(3),
            serde_json::json!([]),
            serde_json::json!({}),
        ] {
            assert_eq!(
                pretty(&Json::from(&scalar)),
                serde_json::to_string_pretty(&scalar).unwrap() + "\n"
            );
        }
    }

    #[test]
    fn a_serde_json_value_is_borrowed_as_it_is() {
        let value = serde_json::json!({ "b": [1, -2.5, "x", null, true], "a": {} });
        let json = Json::from(&value);
        assert_eq!(
            json,
            json!({ "b": [1i64, Json::float(-2.5), "x", Json::Null, true], "a": {} })
        );
        // Keys keep their order, and text is borrowed, not copied.
        let Json::Object(entries) = &json else {
            panic!("an object")
        };
        assert_eq!(entries[0].0, "b");
        assert!(
            matches!(&entries[0].1, Json::Array(items) if matches!(items[2], Json::Str(Cow::Borrowed("x"))))
        );
    }

    #[test]
    fn escapes_are_found_in_any_place() {
        for b in 0..=255u8 {
            for filler in [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff] {
                for len in 0..20 {
                    for at in 0..len {
                        let mut bytes = vec![filler; len];
                        bytes[at] = b;
                        let expected = bytes.iter().any(|&b| ESCAPED[usize::from(b)]);
                        assert_eq!(needs_escape(&bytes), expected, "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_repeated_key_replaces_the_value_in_place() {
        let entries = |keys: Vec<String>| -> Vec<(Cow<'static, str>, Json<'static>)> {
            keys.into_iter()
                .enumerate()
                .map(|(i, k)| (Cow::from(k), Json::int(i as i64)))
                .collect()
        };
        let keys = ["a", "b", "a", "c"].map(String::from).to_vec();
        assert_eq!(
            dedup(entries(keys)),
            [
                (Cow::from("a"), Json::int(2)),
                (Cow::from("b"), Json::int(1)),
                (Cow::from("c"), Json::int(3)),
            ]
        );
        let many = (0..20).map(|i| format!("k{}", i % 15)).collect();
        let deduped = dedup(entries(many));
        assert_eq!(deduped.len(), 15);
        assert_eq!(deduped[3], (Cow::from("k3"), Json::int(18)));
        assert_eq!(dedup(entries(vec!["x".into(), "y".into()])).len(), 2);
    }
}
