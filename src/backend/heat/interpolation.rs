//! Interpolated text as `str_replace`, with placeholders named after what
//! they read and chosen so that Heat's replacement finds only them.

use std::borrow::Cow;

use crate::backend::common::names::{first_free, snake_case};
use crate::backend::write_noted;
use crate::ir::{Context, Expr, Part};
use crate::json::{self, Json, json};

use super::{Emitter, Problem, Site, Written};

/// A placeholder spelling: `$name`, then `__name__`, then numbered ones
/// (`__name_2__`).
fn placeholder(base: &str, variant: usize) -> String {
    let mut key = String::with_capacity(base.len() + 6);
    if variant == 0 {
        key.push('$');
        key.push_str(base);
        return key;
    }
    key.push_str("__");
    key.push_str(base);
    if variant > 1 {
        key.push('_');
        key.push_str(digit(variant));
    }
    key.push_str("__");
    key
}

/// A variant's number: one digit, as there are at most eight.
fn digit(n: usize) -> &'static str {
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    DIGITS.get(n).copied().unwrap_or("9")
}

#[cfg(test)]
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Segment {
    Text(String),
    Key(usize),
}

/// What Heat's `str_replace` finds in `template`: it splits the text at
/// each placeholder in turn, longest first (ties in code point order), and
/// never looks into a substituted value.
#[cfg(test)]
pub(super) fn replaced(template: &str, keys: &[String]) -> Vec<Segment> {
    (found(template, keys).into_iter())
        .map(|segment| match segment {
            Found::Text(text) => Segment::Text(text.to_string()),
            Found::Key(i) => Segment::Key(i),
        })
        .collect()
}

/// A segment of `found`, borrowing the template's text.
#[derive(PartialEq)]
enum Found<'t> {
    Text(&'t str),
    Key(usize),
}

/// `replaced`, borrowing the text: each split puts a key between two
/// pieces, so no two texts are adjacent and leaving out the empty ones is
/// all `normalized` would do.
fn found<'t>(template: &'t str, keys: &[String]) -> Vec<Found<'t>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|a, b| {
        keys[*b]
            .len()
            .cmp(&keys[*a].len())
            .then(keys[*a].cmp(&keys[*b]))
    });
    fn split<'t>(text: &'t str, order: &[usize], keys: &[String], out: &mut Vec<Found<'t>>) {
        let Some((first, rest)) = order.split_first() else {
            if !text.is_empty() {
                out.push(Found::Text(text));
            }
            return;
        };
        for (i, piece) in text.split(keys[*first].as_str()).enumerate() {
            if i > 0 {
                out.push(Found::Key(*first));
            }
            split(piece, rest, keys, out);
        }
    }
    let mut out = Vec::new();
    split(template, &order, keys, &mut out);
    out
}

/// An interpolation as it is written.
enum Interpolated<'e> {
    /// Text, a single value, or `list_join` when no placeholders fit.
    Json(Json<'e>),
    /// `str_replace` of `template`, each of `keys` replaced by the value
    /// of the expression at the same place in `values`.
    Replace {
        template: String,
        keys: Vec<String>,
        values: Vec<&'e Expr>,
    },
}

/// A piece of interpolated text: literal text (parts known at compile time
/// joined), or a deploy-time value.
enum Piece<'e> {
    Text(Cow<'e, str>),
    Value(&'e Expr),
}

/// Whether Heat's replacement finds exactly the `pieces` in `template`
/// (`$name` placeholders, none in the text, keys starting at `starts`),
/// without splitting it: every `$` begins a placeholder, so a key can only
/// be found at one of those places, and there the one meant is found first
/// unless a longer key matches too.
fn found_at_once(template: &str, keys: &[String], starts: &[(usize, usize)]) -> bool {
    starts.iter().all(|&(at, meant)| {
        let rest = &template[at..];
        keys.iter()
            .all(|key| key.len() <= keys[meant].len() || !rest.starts_with(key.as_str()))
    })
}

/// The text of `pieces` with each value's key in its place (`slots[i]`
/// the key of the i-th value piece), pushed onto `template`; `starts` is
/// set to where each key begins, with its index.
fn write_template(
    template: &mut String,
    starts: &mut Vec<(usize, usize)>,
    pieces: &[Piece],
    slots: &[usize],
    keys: &[String],
) {
    let mut slot = slots.iter();
    starts.clear();
    for piece in pieces {
        match piece {
            Piece::Text(text) => template.push_str(text),
            Piece::Value(_) => {
                let i = slot.next().copied().unwrap_or(0);
                starts.push((template.len(), i));
                template.push_str(&keys[i]);
            }
        }
    }
}

/// Whether `found` segments are the `pieces`, with `slots[i]` the key of
/// the i-th value piece, empty text left out.
fn found_as(found: &[Found], pieces: &[Piece], slots: &[usize]) -> bool {
    let mut slot = slots.iter();
    let mut expected = pieces.iter().filter_map(|piece| match piece {
        Piece::Text(text) if text.is_empty() => None,
        Piece::Text(text) => Some(Found::Text(text)),
        Piece::Value(_) => slot.next().map(|&i| Found::Key(i)),
    });
    found.iter().all(|f| expected.next().as_ref() == Some(f)) && expected.next().is_none()
}

impl<'d> Emitter<'d> {
    /// Text with deploy-time parts: `str_replace`, whose params may be
    /// numbers as well as strings (`list_join` takes strings only).
    pub(super) fn interpolation<'e>(&mut self, parts: &'e [Part], site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        Ok(match self.interpolated(parts, site)? {
            Interpolated::Json(json) => json,
            Interpolated::Replace {
                template,
                keys,
                values,
            } => {
                let mut params = Vec::with_capacity(keys.len());
                for (key, e) in keys.into_iter().zip(values) {
                    params.push((Cow::Owned(key), self.value(e, site)?));
                }
                json!({ "str_replace": {
                    "template": template,
                    "params": Json::Object(params),
                } })
            }
        })
    }

    /// `interpolation(parts)` printed into `out` at `depth` as `write_value`
    /// prints a value, a `str_replace` without the tree.
    pub(super) fn write_interpolation(
        &mut self,
        out: &mut String,
        parts: &'d [Part],
        site: Site,
        depth: usize,
        uses: &mut Vec<String>,
    ) -> Result<(), Problem> {
        match self.interpolated(parts, site)? {
            Interpolated::Json(value) => {
                write_noted(out, &value, depth, self.deployment.target, uses);
            }
            Interpolated::Replace {
                template,
                keys,
                values,
            } => {
                out.push('{');
                json::write_key(out, 0, depth + 1, "str_replace");
                out.push('{');
                json::write_key(out, 0, depth + 2, "template");
                json::write_str(out, &template);
                json::write_key(out, 1, depth + 2, "params");
                out.push('{');
                for (i, (key, e)) in keys.iter().zip(values).enumerate() {
                    json::write_key(out, i, depth + 3, key);
                    self.write_value(out, e, site, depth + 3, uses)?;
                }
                json::write_close(out, depth + 2, keys.len(), '}');
                json::write_close(out, depth + 1, 1, '}');
                json::write_close(out, depth, 1, '}');
            }
        }
        Ok(())
    }

    /// How `parts` are written: the placeholders of a `str_replace` chosen,
    /// or the value when it is not one.
    fn interpolated<'e>(
        &mut self,
        parts: &'e [Part],
        site: Site,
    ) -> Result<Interpolated<'e>, Problem>
    where
        'd: 'e,
    {
        let mut pieces: Vec<Piece> = Vec::with_capacity(parts.len());
        for part in parts {
            let text: Option<Cow<str>> = match part {
                Part::Text(text) => Some(text.into()),
                Part::Expr(Expr::String(s)) => Some(s.into()),
                Part::Expr(Expr::Int(n)) => Some(n.to_string().into()),
                Part::Expr(Expr::Bool(b)) => Some(b.to_string().into()),
                Part::Expr(Expr::CountIndex) if site.in_group => Some("%index%".into()),
                Part::Expr(_) => None,
            };
            match (text, part, pieces.last_mut()) {
                (Some(text), _, Some(Piece::Text(previous))) => previous.to_mut().push_str(&text),
                (Some(text), _, _) => pieces.push(Piece::Text(text)),
                (None, Part::Expr(e), _) => pieces.push(Piece::Value(e)),
                (None, Part::Text(_), _) => unreachable!("text parts are text"),
            }
        }
        match pieces.as_mut_slice() {
            [] => return Ok(Interpolated::Json("".into())),
            [Piece::Text(text)] => return Ok(Interpolated::Json(Json::Str(std::mem::take(text)))),
            [Piece::Value(e)] => return Ok(Interpolated::Json(self.value(e, site)?)),
            _ => {}
        }
        // One placeholder per distinct deploy-time part, named after it;
        // `slots` gives each value piece's.
        let mut distinct: Vec<&Expr> = Vec::new();
        let mut bases: Vec<String> = Vec::new();
        let mut slots: Vec<usize> = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            if let Piece::Value(e) = piece {
                match distinct.iter().position(|d| d == e) {
                    Some(i) => slots.push(i),
                    None => {
                        let base = self.placeholder_base(e);
                        let unique = first_free(&base, "_", |name| bases.iter().any(|b| b == name));
                        slots.push(distinct.len());
                        distinct.push(e);
                        bases.push(unique);
                    }
                }
            }
        }
        // Heat replaces the longest placeholder first, everywhere in the
        // text: choose spellings that cannot match anything else. A script
        // (text of several lines) gets `__name__`, which no shell variable
        // looks like.
        let texts = || {
            pieces.iter().filter_map(|piece| match piece {
                Piece::Text(text) => Some(&**text),
                Piece::Value(_) => None,
            })
        };
        let script = texts().any(|text| text.contains('\n'));
        let dollars = texts().any(|text| text.contains('$'));
        let text_len: usize = texts().map(str::len).sum();
        let mut starts: Vec<(usize, usize)> = Vec::with_capacity(slots.len());
        for variant in usize::from(script)..8 {
            let keys: Vec<String> = bases.iter().map(|b| placeholder(b, variant)).collect();
            let mut template = String::with_capacity(text_len + 12 * slots.len());
            write_template(&mut template, &mut starts, &pieces, &slots, &keys);
            let fits = if variant == 0 && !dollars {
                found_at_once(&template, &keys, &starts)
            } else {
                found_as(&found(&template, &keys), &pieces, &slots)
            };
            if fits {
                return Ok(Interpolated::Replace {
                    template,
                    keys,
                    values: distinct,
                });
            }
        }
        // No placeholders fit: join the parts instead.
        let mut values = Vec::with_capacity(distinct.len());
        for e in &distinct {
            values.push(self.value(e, site)?);
        }
        let mut slot = slots.iter();
        let items = pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => Json::Str(text),
                Piece::Value(_) => values[slot.next().copied().unwrap_or(0)].clone(),
            })
            .collect();
        Ok(Interpolated::Json(
            json!({ "list_join": ["", Json::Array(items)] }),
        ))
    }

    /// A placeholder's name: what the part reads, as a word.
    fn placeholder_base(&self, e: &Expr) -> String {
        let mut raw = String::new();
        self.placeholder_words(e, &mut raw);
        snake_case(&raw)
    }

    /// What `e` reads, its words separated by `_`, pushed onto `raw`.
    fn placeholder_words(&self, e: &Expr, raw: &mut String) {
        match e {
            Expr::Param(name) => raw.push_str(name),
            Expr::Ref(id) => raw.push_str(self.name(*id)),
            Expr::Attr(id, attribute) => {
                raw.push_str(self.name(*id));
                raw.push('_');
                raw.push_str(attribute);
            }
            Expr::Context(Context::StackName) => raw.push_str("stack_name"),
            Expr::Context(Context::AccountId) => raw.push_str("project_id"),
            Expr::Index(base, key) => {
                // The base as a word of its own, as `snake_case` made it.
                raw.push_str(&self.placeholder_base(base));
                match &**key {
                    Expr::Int(n) => {
                        raw.push('_');
                        raw.push_str(&n.to_string());
                    }
                    Expr::String(s) => {
                        raw.push('_');
                        raw.push_str(s);
                    }
                    _ => {}
                }
            }
            Expr::Member(base, field) => {
                raw.push_str(&self.placeholder_base(base));
                raw.push('_');
                raw.push_str(field);
            }
            Expr::Call(function, _) => raw.push_str(function.name()),
            Expr::CountIndex => raw.push_str(super::MEMBER_INDEX_PARAM),
            _ => raw.push_str("value"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `found_at_once` decides as splitting the text does, for `$name`
    /// keys and text without `$`: every template of up to four pieces over
    /// a few texts and keys that are prefixes of one another.
    #[test]
    fn placeholders_checked_at_once_are_found_as_by_splitting() {
        let keys: Vec<String> = ["$a", "$ab", "$a_b", "$b"].map(String::from).to_vec();
        let texts = ["", "b", "_b", "x", "b_", "ab"];
        let mut choices: Vec<Vec<Piece>> = vec![vec![]];
        let mut checked = (0, 0);
        for _ in 0..4 {
            let mut longer = Vec::new();
            for pieces in &choices {
                for step in 0..texts.len() + keys.len() {
                    let mut next: Vec<Piece> = pieces
                        .iter()
                        .map(|p| match p {
                            Piece::Text(t) => Piece::Text(t.clone()),
                            Piece::Value(e) => Piece::Value(e),
                        })
                        .collect();
                    match step.checked_sub(texts.len()) {
                        // Text is joined with the text before it.
                        None if matches!(next.last(), Some(Piece::Text(_))) => continue,
                        None => next.push(Piece::Text(texts[step].into())),
                        Some(key) => next.push(Piece::Value(&KEY_EXPRS[key])),
                    }
                    longer.push(next);
                }
            }
            for pieces in &longer {
                let slots: Vec<usize> = pieces
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Value(e) => KEY_EXPRS.iter().position(|k| k == *e),
                        Piece::Text(_) => None,
                    })
                    .collect();
                let mut template = String::new();
                let mut starts = Vec::new();
                write_template(&mut template, &mut starts, pieces, &slots, &keys);
                let at_once = found_at_once(&template, &keys, &starts);
                let split = found_as(&found(&template, &keys), pieces, &slots);
                assert_eq!(at_once, split, "{template}");
                if at_once {
                    checked.0 += 1;
                } else {
                    checked.1 += 1;
                }
            }
            choices = longer;
        }
        // Both answers are met often.
        assert!(checked.0 > 1000 && checked.1 > 100, "{checked:?}");
    }

    static KEY_EXPRS: [Expr; 4] = [Expr::Int(0), Expr::Int(1), Expr::Int(2), Expr::Int(3)];
}
