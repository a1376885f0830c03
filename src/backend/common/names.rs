//! Names: the words of a name in the case a template wants, unique names
//! made up from a base, and lists of names in messages.

use crate::ir::ResourceId;

/// The name `names` (a backend's `names(&Deployment).resources`) give the
/// resource `id` refers to; `?` for a reference to no resource, which only
/// IR built by hand holds.
pub fn name_of(names: &[String], id: ResourceId) -> &str {
    names.get(id.index()).map_or("?", String::as_str)
}

/// The words of `name`: its runs of ASCII letters and digits. Anything
/// else separates words.
pub fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// `web_server` → `WebServer`: each word capitalised, the rest kept as
/// written (`adminCidr` → `AdminCidr`).
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// `Web Server` → `web_server`: the words in lower case, joined by `_`;
/// `value` when there are none.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in words(name) {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        return "value".into();
    }
    out.make_ascii_lowercase();
    out
}

/// `base` if it is free, else the first of `base{separator}2`,
/// `base{separator}3`, ... that is.
pub fn first_free(base: &str, separator: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}{separator}{n}"))
        .find(|name| !taken(name))
        .unwrap_or_default()
}

/// "output `a`", "outputs `a` and `b`", "outputs `a`, `b` and `c`".
pub fn listed(kind: &str, names: &[&str]) -> String {
    match names {
        [one] => format!("{kind} `{one}`"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|n| format!("`{n}`")).collect();
            format!("{kind}s {} and `{last}`", init.join(", "))
        }
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        let split = |name| words(name).collect::<Vec<_>>();
        assert_eq!(split("web_server-2"), ["web", "server", "2"]);
        assert_eq!(split("__a..b__"), ["a", "b"]);
        assert_eq!(split("café au lait"), ["caf", "au", "lait"]);
        assert!(split("-_-").is_empty());
    }

    #[test]
    fn pascal_case_capitalises_each_word() {
        assert_eq!(pascal_case("web_server"), "WebServer");
        assert_eq!(pascal_case("adminCidr"), "AdminCidr");
        assert_eq!(pascal_case("q2"), "Q2");
        assert_eq!(pascal_case("a-b.c d"), "ABCD");
        assert_eq!(pascal_case("__"), "");
    }

    #[test]
    fn snake_case_lowers_and_joins_the_words() {
        assert_eq!(snake_case("Web Server"), "web_server");
        assert_eq!(snake_case("env == \"production\""), "env_production");
        assert_eq!(snake_case("__a__"), "a");
        assert_eq!(snake_case("--"), "value");
    }

    #[test]
    fn the_first_free_name_counts_from_two() {
        let taken = ["a", "a_2", "b"];
        let is_taken = |n: &str| taken.contains(&n);
        assert_eq!(first_free("c", "_", is_taken), "c");
        assert_eq!(first_free("a", "_", is_taken), "a_3");
        assert_eq!(first_free("b", "", is_taken), "b2");
    }

    #[test]
    fn lists_name_one_two_or_many() {
        assert_eq!(listed("output", &[]), "");
        assert_eq!(listed("output", &["a"]), "output `a`");
        assert_eq!(listed("output", &["a", "b"]), "outputs `a` and `b`");
        assert_eq!(listed("param", &["a", "b", "c"]), "params `a`, `b` and `c`");
    }
}
