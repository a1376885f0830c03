//! Interpolated text as `str_replace`, with placeholders named after what
//! they read and chosen so that Heat's replacement finds only them.

use std::borrow::Cow;

use crate::backend::common::names::{first_free, snake_case};
use crate::ir::{Context, Expr, Part};
use crate::json::{Json, json};

use super::{Emitter, Site, Written};

/// A placeholder spelling: `$name`, then `__name__`, then numbered ones
/// (`__name_2__`).
fn placeholder(base: &str, variant: usize) -> String {
    match variant {
        0 => format!("${base}"),
        1 => format!("__{base}__"),
        n => format!("__{base}_{n}__"),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Segment {
    Text(String),
    Key(usize),
}

fn normalized(segments: &[Segment]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for segment in segments {
        match (segment, out.last_mut()) {
            (Segment::Text(t), _) if t.is_empty() => {}
            (Segment::Text(t), Some(Segment::Text(previous))) => previous.push_str(t),
            _ => out.push(segment.clone()),
        }
    }
    out
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

/// Whether `found` segments are `expected`, a `normalized` list.
fn found_as(found: &[Found], expected: &[Segment]) -> bool {
    found.len() == expected.len()
        && found.iter().zip(expected).all(|pair| match pair {
            (Found::Text(a), Segment::Text(b)) => a == b,
            (Found::Key(a), Segment::Key(b)) => a == b,
            _ => false,
        })
}

impl<'d> Emitter<'d> {
    /// Text with deploy-time parts: `str_replace`, whose params may be
    /// numbers as well as strings (`list_join` takes strings only).
    pub(super) fn interpolation<'e>(&mut self, parts: &'e [Part], site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        enum Piece<'e> {
            Text(Cow<'e, str>),
            Value(&'e Expr),
        }
        let mut pieces: Vec<Piece> = Vec::new();
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
            [] => return Ok("".into()),
            [Piece::Text(text)] => return Ok(Json::Str(std::mem::take(text))),
            [Piece::Value(e)] => return self.value(e, site),
            _ => {}
        }
        // One placeholder per distinct deploy-time part, named after it.
        let mut distinct: Vec<&Expr> = Vec::new();
        let mut bases: Vec<String> = Vec::new();
        for piece in &pieces {
            if let Piece::Value(e) = piece
                && !distinct.contains(e)
            {
                let base = self.placeholder_base(e);
                let unique = first_free(&base, "_", |name| bases.iter().any(|b| b == name));
                distinct.push(e);
                bases.push(unique);
            }
        }
        let mut values = Vec::new();
        for e in &distinct {
            values.push(self.value(e, site)?);
        }
        let intended: Vec<Segment> = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => Segment::Text(text.to_string()),
                Piece::Value(e) => Segment::Key(distinct.iter().position(|d| d == e).unwrap_or(0)),
            })
            .collect();
        // Heat replaces the longest placeholder first, everywhere in the
        // text: choose spellings that cannot match anything else. A script
        // (text of several lines) gets `__name__`, which no shell variable
        // looks like.
        let script = pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Text(text) if text.contains('\n')));
        let expected = normalized(&intended);
        for variant in usize::from(script)..8 {
            let keys: Vec<String> = bases.iter().map(|b| placeholder(b, variant)).collect();
            let template: String = intended
                .iter()
                .map(|s| match s {
                    Segment::Text(text) => text.as_str(),
                    Segment::Key(i) => keys[*i].as_str(),
                })
                .collect();
            if found_as(&found(&template, &keys), &expected) {
                let params = keys.into_iter().map(Cow::Owned).zip(values).collect();
                return Ok(json!({ "str_replace": {
                    "template": template,
                    "params": Json::Object(params),
                } }));
            }
        }
        // No placeholders fit: join the parts instead.
        let mut items = Vec::new();
        for segment in intended {
            items.push(match segment {
                Segment::Text(text) => text.into(),
                Segment::Key(i) => values[i].clone(),
            });
        }
        Ok(json!({ "list_join": ["", Json::Array(items)] }))
    }

    /// A placeholder's name: what the part reads, as a word.
    fn placeholder_base(&self, e: &Expr) -> String {
        let raw = match e {
            Expr::Param(name) => name.clone(),
            Expr::Ref(id) => self.name(*id).to_string(),
            Expr::Attr(id, attribute) => format!("{}_{attribute}", self.name(*id)),
            Expr::Context(Context::StackName) => "stack_name".into(),
            Expr::Context(Context::AccountId) => "project_id".into(),
            Expr::Index(base, key) => match &**key {
                Expr::Int(n) => format!("{}_{n}", self.placeholder_base(base)),
                Expr::String(s) => format!("{}_{s}", self.placeholder_base(base)),
                _ => self.placeholder_base(base),
            },
            Expr::Member(base, field) => format!("{}_{field}", self.placeholder_base(base)),
            Expr::Call(function, _) => function.name().to_string(),
            Expr::CountIndex => super::MEMBER_INDEX_PARAM.into(),
            _ => "value".into(),
        };
        snake_case(&raw)
    }
}
