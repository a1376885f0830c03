//! The names of native resources, given in one final pass of lowering
//! ([`name_all`]): logical ids (`WebServer0`) and snake_case names from
//! each resource's name words, ids kept unique in the IR. Until then the
//! IR refers to resources only by `ResourceId`.

use std::borrow::Cow;

use indexmap::IndexSet;
use rustc_hash::FxBuildHasher;

use crate::ir;

/// Each resource's name words, and those it had before a rename, kept one
/// after another in one text: a large program's hundreds of thousands of
/// words are not each a string in a list of their own.
#[derive(Default)]
pub(super) struct Words {
    /// Every word, one after another.
    text: String,
    /// Each word's end in `text`.
    ends: Vec<u32>,
    /// Each resource's words, and its words before a rename: ranges of
    /// `ends`.
    of: Vec<(WordRange, Option<WordRange>)>,
}

type WordRange = (u32, u32);

impl Words {
    pub(super) fn reserve(&mut self, resources: usize) {
        self.of.reserve_exact(resources);
        self.ends.reserve(2 * resources);
        self.text.reserve(8 * resources);
    }

    /// The next resource's words, and its words before a rename.
    pub(super) fn push(&mut self, words: &[Cow<str>], previous: Option<&[Cow<str>]>) {
        let made = self.add(words);
        let before = previous.map(|p| self.add(p));
        self.of.push((made, before));
    }

    /// The last resource's words, given again.
    pub(super) fn replace_last(&mut self, words: &[Cow<str>], previous: Option<&[Cow<str>]>) {
        if let Some(((start, _), _)) = self.of.pop() {
            self.text.truncate(self.word_start(start));
            self.ends.truncate(start as usize);
        }
        self.push(words, previous);
    }

    fn add(&mut self, words: &[Cow<str>]) -> WordRange {
        let start = self.ends.len() as u32;
        for word in words {
            self.text.push_str(word);
            self.ends.push(self.text.len() as u32);
        }
        (start, self.ends.len() as u32)
    }

    fn get(&self, (start, end): WordRange) -> impl Iterator<Item = &str> {
        (start..end).map(|i| &self.text[self.word_start(i)..self.ends[i as usize] as usize])
    }

    /// Where word `i` starts in `text`: where the one before it ends.
    fn word_start(&self, i: u32) -> usize {
        match i {
            0 => 0,
            _ => self.ends[i as usize - 1] as usize,
        }
    }
}

/// Names every resource after its words (`words`' `i`th are
/// `resources[i]`'s: its instance path, or, for the one native resource of
/// a component instance, the instance's): the PascalCase `id` and the
/// `snake` name.
/// Ids are made unique in the order the resources were made: `id`, or,
/// when an earlier resource has it, `id~N`. The backends name resources
/// after the ids' part before `~`, and report the collision where their
/// names are one (`q` copy 20 and `q2` copy 0 are both `Q20` on
/// CloudFormation, not on Heat).
///
/// Each resource's `group` is its first word, the name of the entry file's
/// declaration it was made for.
///
/// A resource renamed (its words before, from `renamed_from`) is named after
/// its earlier words where the target cannot say it was renamed (`keep`),
/// so that it stays the resource it was; elsewhere it takes its new name
/// and `moved_from` says the earlier one.
pub(super) fn name_all(resources: &mut [ir::Resource], words: &Words, keep: bool) {
    // The ids taken, in the order of the resources: each resource takes
    // one, and gets it back once all are named.
    let mut taken: IndexSet<String, FxBuildHasher> =
        IndexSet::with_capacity_and_hasher(resources.len(), FxBuildHasher);
    let mut last_group = ir::Key::default();
    let (mut now, mut old) = (Vec::new(), Vec::new());
    for (resource, &(made, before)) in resources.iter_mut().zip(&words.of) {
        now.clear();
        now.extend(words.get(made));
        old.clear();
        old.extend(before.into_iter().flat_map(|b| words.get(b)));
        let words = match before {
            Some(_) if keep => &old,
            Some(_) => {
                resource.set_moved_from(&snake(&old));
                &now
            }
            None => &now,
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
        let group = words.first().copied().unwrap_or_default();
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
fn pascal(path: &[&str]) -> String {
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
fn snake(path: &[&str]) -> String {
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
