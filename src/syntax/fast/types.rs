//! Type expressions: unions, optional types, lists, maps, object types
//! and type paths.

use crate::syntax::ast::*;

use super::Parser;

impl<'t> Parser<'t> {
    /// `type_expr`: terms joined by `|`.
    pub(super) fn type_expr(&mut self) -> Option<TypeExpr> {
        if self.deep() {
            return None;
        }
        let start = self.pos;
        let first = self.type_term()?;
        self.skip();
        let more = self.repeat(|p| {
            p.eat(b"|")?;
            p.skip();
            p.type_term()
        });
        if more.is_empty() {
            return Some(first);
        }
        let mut terms = Vec::with_capacity(more.len() + 1);
        terms.push(first);
        terms.extend(more);
        Some(TypeExpr {
            kind: TypeKind::Union(terms),
            span: self.span(start),
        })
    }

    /// `type_term`: a type, optionally marked `?`.
    fn type_term(&mut self) -> Option<TypeExpr> {
        let start = self.pos;
        let inner = self.type_primary()?;
        self.skip();
        if self.eat(b"?").is_some() {
            return Some(TypeExpr {
                kind: TypeKind::Optional(Box::new(inner)),
                span: self.span(start),
            });
        }
        Some(inner)
    }

    /// `type_primary = _{ string | list_type | map_type | object_type |
    /// paren_type | type_path }`.
    fn type_primary(&mut self) -> Option<TypeExpr> {
        let start = self.pos;
        let kind = match self.peek()? {
            b'"' => {
                // An interpolated literal type is an error (E0008).
                TypeKind::Literal(self.string()?.as_plain()?)
            }
            b'[' => {
                self.pos += 1;
                self.skip();
                let inner = self.type_expr()?;
                self.skip();
                self.eat(b"]")?;
                TypeKind::List(Box::new(inner))
            }
            b'{' => match self.attempt(Self::map_type) {
                Some(inner) => TypeKind::Map(Box::new(inner)),
                None => TypeKind::Object(self.object_type()?),
            },
            b'(' => {
                self.pos += 1;
                self.skip();
                let inner = self.type_expr()?;
                self.skip();
                self.eat(b")")?;
                TypeKind::Paren(Box::new(inner))
            }
            _ => TypeKind::Path(self.type_path()?),
        };
        Some(TypeExpr {
            kind,
            span: self.span(start),
        })
    }

    /// `map_type`: `{string: T}`. The word `string` is a bare literal here,
    /// not a keyword: `{stringy: int}` fails at the `:` and is an object.
    fn map_type(&mut self) -> Option<TypeExpr> {
        self.eat(b"{")?;
        self.skip();
        self.eat(b"string")?;
        self.skip();
        self.eat(b":")?;
        self.skip();
        let inner = self.type_expr()?;
        self.skip();
        self.eat(b"}")?;
        Some(inner)
    }

    /// `object_type`: `{ key?: T, ... }`.
    fn object_type(&mut self) -> Option<Vec<FieldType>> {
        self.eat(b"{")?;
        self.skip();
        let fields = self.repeat(|p| {
            let key = p.key()?;
            p.skip();
            let optional = p.eat(b"?").is_some();
            p.skip();
            p.eat(b":")?;
            p.skip();
            let ty = p.type_expr()?;
            p.skip();
            let _ = p.eat(b",");
            Some(FieldType { key, optional, ty })
        });
        self.skip();
        self.eat(b"}")?;
        Some(fields)
    }

    /// `type_path`, atomic: names joined by `::` or `.`.
    pub(super) fn type_path(&mut self) -> Option<TypePath> {
        let start = self.pos;
        let mut segments = Vec::with_capacity(4);
        segments.push(self.name()?);
        let mut separator = PathSeparator::Dot;
        loop {
            let before = self.pos;
            let colons = self.eat(b"::").is_some();
            if !colons && self.eat(b".").is_none() {
                break;
            }
            match self.name() {
                Some(segment) => segments.push(segment),
                None => {
                    self.pos = before;
                    break;
                }
            }
            if colons {
                separator = PathSeparator::Colons;
            }
        }
        Some(TypePath {
            segments,
            separator,
            span: self.span(start),
        })
    }
}
