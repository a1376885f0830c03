//! The names of native resources, given in one final pass of lowering
//! ([`name_all`]): logical ids (`WebServer0`) and snake_case names from
//! each resource's name words, ids kept unique in the IR. Until then the
//! IR refers to resources only by `ResourceId`.

use std::borrow::Cow;

use indexmap::IndexSet;
use rustc_hash::FxBuildHasher;

use crate::ir;

use super::expand::Path;

/// Names every resource after its words (`words[i]` are `resources[i]`'s:
/// its instance path, or, for the one native resource of a component
/// instance, the instance's): the PascalCase `id` and the `snake` name.
/// Ids are made unique in the order the resources were made: `id`, or,
/// when an earlier resource has it, `id~N`. The backends name resources
/// after the ids' part before `~`, and report the collision where their
/// names are one (`q` copy 20 and `q2` copy 0 are both `Q20` on
/// CloudFormation, not on Heat).
///
/// Each resource's `group` is its first word, the name of the entry file's
/// declaration it was made for.
///
/// A resource renamed (`previous` words, from `renamed_from`) is named after
/// its earlier words where the target cannot say it was renamed (`keep`),
/// so that it stays the resource it was; elsewhere it takes its new name
/// and `moved_from` says the earlier one.
pub(super) fn name_all(
    resources: &mut [ir::Resource],
    words: &[Path],
    previous: &[Option<Path>],
    keep: bool,
) {
    // The ids taken, in the order of the resources: each resource takes
    // one, and gets it back once all are named.
    let mut taken: IndexSet<String, FxBuildHasher> =
        IndexSet::with_capacity_and_hasher(resources.len(), FxBuildHasher);
    let mut last_group = ir::Key::default();
    for ((resource, words), previous) in resources.iter_mut().zip(words).zip(previous) {
        let words = match previous {
            Some(old) if keep => old,
            Some(old) => {
                resource.moved_from = Some(snake(old).into());
                words
            }
            None => words,
        };
        // Most ids are free: one hash to check and take it.
        let (at, free) = taken.insert_full(pascal(words));
        if !free {
            let base = taken[at].clone();
            let mut n = 2;
            let mut id = format!("{base}~{n}");
            while taken.contains(&id) {
                n += 1;
                id = format!("{base}~{n}");
            }
            taken.insert(id);
        }
        resource.snake = snake(words);
        // A group's resources are made one after another: the last
        // group's name is shared until another begins.
        let group = words.first().map_or("", |w| w);
        if *last_group != *group {
            last_group = ir::Key::from(group);
        }
        resource.group = last_group.clone();
    }
    for (resource, id) in resources.iter_mut().zip(taken) {
        resource.id = id;
    }
}

/// The logical id of name words: each word's parts between `_` and `-`,
/// capitalized and joined (`["web_server", "0"]` is `WebServer0`).
fn pascal(path: &[Cow<str>]) -> String {
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
fn snake(path: &[Cow<str>]) -> String {
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
