//! The names of native resources: logical ids (`WebServer0`), snake_case
//! names, and ids kept unique in the IR.

use std::borrow::Cow;

use super::expand::Expander;

/// The logical id of name words: each word's parts between `_` and `-`,
/// capitalized and joined (`["web_server", "0"]` is `WebServer0`).
pub(super) fn pascal(path: &[Cow<str>]) -> String {
    let mut out = String::with_capacity(path.iter().map(|w| w.len()).sum());
    for word in path {
        let mut rest: &str = word;
        loop {
            let end = rest
                .bytes()
                .position(|b| b == b'_' || b == b'-')
                .unwrap_or(rest.len());
            let part = &rest[..end];
            // Only an ASCII first letter changes; the rest is copied whole.
            match part.as_bytes().first() {
                Some(b) if b.is_ascii() => {
                    out.push(char::from(b.to_ascii_uppercase()));
                    out.push_str(&part[1..]);
                }
                Some(_) => out.push_str(part),
                None => {}
            }
            if end == rest.len() {
                break;
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

/// Name words as snake_case, joined by `_` (`["webServer", "0"]` is
/// `web_server_0`).
pub(super) fn snake(path: &[Cow<str>]) -> String {
    let mut out = String::with_capacity(path.iter().map(|w| w.len() + 1).sum());
    for (n, word) in path.iter().enumerate() {
        if n > 0 {
            out.push('_');
        }
        if !word.bytes().any(|b| b.is_ascii_uppercase() || b == b'-') {
            out.push_str(word);
            continue;
        }
        for (i, c) in word.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else if c == '-' {
                out.push('_');
            } else {
                out.push(c);
            }
        }
    }
    out
}

impl<'p> Expander<'p> {
    /// `id`, or, when another resource has it, `id~N`: the backends name
    /// resources after the ids' part before `~`, and report the
    /// collision where their names are one.
    /// `index` is where the resource is in `resources`.
    pub(super) fn unique_id(&mut self, id: String, index: usize) -> String {
        let mut candidate = id.clone();
        let mut n = 2;
        while self.ids.contains_key(&candidate) {
            candidate = format!("{id}~{n}");
            n += 1;
        }
        self.ids.insert(candidate.clone(), index);
        candidate
    }
}
