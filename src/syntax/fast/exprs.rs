//! Expressions: operators through a Pratt loop with pest's binding
//! powers, postfixes, primaries, numbers and comprehensions.

use crate::source::Span;
use crate::syntax::ast::*;
use crate::syntax::lower::{Depth, MAX_EXPR_DEPTH};

use super::{Parser, RESERVED, is_ident_char};

/// An operand with its depth, counted as the lowering counts it: a leaf is
/// 1, a node one more than its deepest child.
type Operand = (Expr, Depth);

/// A binary operator between two operands (`infix_op`).
enum Infix {
    /// `? then :`, holding `then`.
    Ternary(Operand),
    Range,
    Binary(BinaryOp),
}

impl Infix {
    /// Binding power, in the order of the lowering's `PrattParser`: ternary
    /// lowest, multiplication highest. Prefix operators bind tighter than
    /// all of them, so they are applied to their operand directly.
    fn power(&self) -> u8 {
        match self {
            Infix::Ternary(_) => 1,
            Infix::Range => 2,
            Infix::Binary(op) => match op {
                BinaryOp::Or => 3,
                BinaryOp::And => 4,
                BinaryOp::Eq | BinaryOp::Ne => 5,
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 6,
                BinaryOp::Add | BinaryOp::Sub => 7,
                BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 8,
            },
        }
    }
}

/// What follows an operand (`postfix`).
enum Postfix {
    Member(Ident),
    Index(Operand),
    /// The arguments, with the depth of the deepest.
    Call((Vec<Expr>, Depth)),
}

/// `operator_start`: the bytes an infix operator can start with.
fn is_operator_start(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'%' | b'&' | b'*' | b'+' | b'-' | b'.' | b'/' | b'<' | b'=' | b'>' | b'?' | b'|'
    )
}

impl<'t> Parser<'t> {
    // The functions on the way from an expression to its primary are inlined
    // into one another: operands are large values, and each call boundary
    // costs a copy of one (a tenth of the parse time of a large file).
    #[inline(always)]
    pub(super) fn expr(&mut self) -> Option<Expr> {
        let (expr, depth) = self.expr_with_depth()?;
        self.inner_tree = self.inner_tree.max(depth.tree);
        Some(expr)
    }

    /// Runs `f`, which reads expressions of their own (an object's values,
    /// a comprehension's parts, a string's interpolations), and returns the
    /// deepest tree among them, as the lowering counts it.
    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<(T, u32)> {
        let outer = std::mem::replace(&mut self.inner_tree, 0);
        let out = f(self);
        let inner = std::mem::replace(&mut self.inner_tree, outer);
        Some((out?, inner))
    }

    /// `expr = { prefix_op* ~ postfix_expr ~ (infix_op ~ prefix_op* ~
    /// postfix_expr)* }`, read flat and then folded by precedence.
    fn expr_with_depth(&mut self) -> Option<Operand> {
        if self.deep() {
            return None;
        }
        let first = self.unary()?;
        self.skip();
        // Most operands stand alone: `infix_op` starts with its lookahead.
        if !self.peek().is_some_and(is_operator_start) {
            return Some(first);
        }
        let rest = self.repeat(|p| {
            let op = p.infix_op()?;
            p.skip();
            Some((op, p.unary()?))
        });
        let mut rest = rest.into_iter().peekable();
        self.fold(first, &mut rest, 0, 0)
    }

    /// pest's Pratt loop over the operators after `lhs`: an operator binds
    /// while it is stronger than `floor`; its right operand takes the
    /// operators stronger than it (left associative) or as strong (the
    /// right-associative ternary).
    fn fold(
        &mut self,
        mut lhs: Operand,
        rest: &mut std::iter::Peekable<std::vec::IntoIter<(Infix, Operand)>>,
        floor: u8,
        level: u32,
    ) -> Option<Operand> {
        // Only a chain of ternaries nests deeper than the number of
        // precedence levels, and one longer than the depth limit is refused.
        if level > MAX_EXPR_DEPTH {
            self.bail = true;
            return None;
        }
        while let Some((op, _)) = rest.peek()
            && op.power() > floor
        {
            let (op, first) = rest.next()?;
            let power = op.power();
            let right_floor = if matches!(op, Infix::Ternary(_)) {
                power - 1
            } else {
                power
            };
            let rhs = self.fold(first, rest, right_floor, level + 1)?;
            let span = lhs.0.span.to(rhs.0.span);
            let depth = lhs.1.max(rhs.1);
            let link = match &op {
                Infix::Binary(op) => Some(lhs.1.link(&lhs.0, *op, rhs.1)),
                _ => None,
            };
            let (lhs_expr, rhs_expr) = (Box::new(lhs.0), Box::new(rhs.0));
            lhs = match op {
                Infix::Ternary((then, then_depth)) => self.node(
                    ExprKind::Conditional(lhs_expr, Box::new(then), rhs_expr),
                    span,
                    depth.max(then_depth),
                )?,
                Infix::Range => self.node(ExprKind::Range(lhs_expr, rhs_expr), span, depth)?,
                Infix::Binary(op) => self.within(
                    ExprKind::Binary(op, lhs_expr, rhs_expr),
                    span,
                    link.unwrap_or(depth),
                )?,
            };
        }
        Some(lhs)
    }

    /// Wraps `kind` one level above `depth`; deeper than the limit, the
    /// lowering reports E0004.
    fn node(&mut self, kind: ExprKind, span: Span, depth: Depth) -> Option<Operand> {
        self.within(kind, span, depth.above())
    }

    /// `kind` at `depth`, when within the lowering's limits.
    fn within(&mut self, kind: ExprKind, span: Span, depth: Depth) -> Option<Operand> {
        if !depth.allowed() {
            self.bail = true;
            return None;
        }
        Some((Expr { kind, span }, depth))
    }

    /// `infix_op`, in the grammar's order of alternatives.
    fn infix_op(&mut self) -> Option<Infix> {
        if self.peek() == Some(b'?') {
            // ternary = { "?" ~ expr ~ ":" }
            self.pos += 1;
            self.skip();
            let then = self.expr_with_depth()?;
            self.skip();
            self.eat(b":")?;
            return Some(Infix::Ternary(then));
        }
        const OPERATORS: &[(&[u8], Option<BinaryOp>)] = &[
            (b"..", None),
            (b"||", Some(BinaryOp::Or)),
            (b"&&", Some(BinaryOp::And)),
            (b"==", Some(BinaryOp::Eq)),
            (b"!=", Some(BinaryOp::Ne)),
            (b"<=", Some(BinaryOp::Le)),
            (b">=", Some(BinaryOp::Ge)),
            (b"<", Some(BinaryOp::Lt)),
            (b">", Some(BinaryOp::Gt)),
            (b"+", Some(BinaryOp::Add)),
            (b"-", Some(BinaryOp::Sub)),
            (b"*", Some(BinaryOp::Mul)),
            (b"/", Some(BinaryOp::Div)),
            (b"%", Some(BinaryOp::Rem)),
        ];
        let &(token, op) = OPERATORS.iter().find(|(token, _)| self.at(token))?;
        self.pos += token.len();
        Some(op.map_or(Infix::Range, Infix::Binary))
    }

    /// `prefix_op* ~ postfix_expr`. Prefix operators bind tighter than any
    /// infix one, so they apply to this operand alone, innermost first.
    #[inline(always)]
    fn unary(&mut self) -> Option<Operand> {
        let mut prefixes = Vec::new();
        loop {
            let op = match self.peek() {
                Some(b'-') => UnaryOp::Neg,
                Some(b'!') => UnaryOp::Not,
                _ => break,
            };
            prefixes.push((op, self.pos));
            self.pos += 1;
            self.skip();
        }
        let (mut expr, mut depth) = self.postfix_expr()?;
        for (op, at) in prefixes.into_iter().rev() {
            let span = Span::new(self.file, at, at + 1).to(expr.span);
            (expr, depth) = self.node(ExprKind::Unary(op, Box::new(expr)), span, depth)?;
        }
        Some((expr, depth))
    }

    /// `postfix_expr = { primary ~ postfix* }`.
    #[inline(always)]
    fn postfix_expr(&mut self) -> Option<Operand> {
        let (mut expr, mut depth) = self.primary()?;
        self.skip();
        let mut first = true;
        loop {
            // postfix*, by hand: a failed repetition gives back its skip.
            let checkpoint = self.checkpoint();
            if !first {
                self.skip();
            }
            first = false;
            let start = self.pos;
            let post = match self.peek() {
                Some(b'.' | b'[' | b'(') => self.postfix(),
                _ => None,
            };
            let Some(post) = post else {
                self.restore(checkpoint);
                return Some((expr, depth));
            };
            let span = expr.span.to(self.span(start));
            let base = Box::new(expr);
            let kind = match post {
                Postfix::Member(name) => ExprKind::Member(base, name),
                Postfix::Index((index, d)) => {
                    depth = depth.max(d);
                    ExprKind::Index(base, Box::new(index))
                }
                Postfix::Call((args, d)) => {
                    depth = depth.max(d);
                    ExprKind::Call(base, args)
                }
            };
            (expr, depth) = self.node(kind, span, depth)?;
        }
    }

    /// `postfix`: `.name`, `[index]` or `(arguments)`.
    #[inline(never)]
    fn postfix(&mut self) -> Option<Postfix> {
        match self.peek()? {
            b'.' => {
                self.pos += 1;
                self.skip();
                Some(Postfix::Member(self.name()?))
            }
            b'[' => {
                self.pos += 1;
                self.skip();
                let index = self.expr_with_depth()?;
                self.skip();
                self.eat(b"]")?;
                Some(Postfix::Index(index))
            }
            b'(' => Some(Postfix::Call(self.sequence(b'(', b')')?)),
            _ => None,
        }
    }

    /// `open ~ (expr ~ ("," ~ expr)* ~ ","?)? ~ close`: call arguments and
    /// list items, with the depth of the deepest.
    fn sequence(&mut self, open: u8, close: u8) -> Option<(Vec<Expr>, Depth)> {
        let base = self.open_items.len();
        match self.open_items_until(open, close) {
            Some(depth) => Some((self.open_items.split_off(base), depth)),
            None => {
                self.open_items.truncate(base);
                None
            }
        }
    }

    fn open_items_until(&mut self, open: u8, close: u8) -> Option<Depth> {
        self.eat(&[open])?;
        self.skip();
        let checkpoint = self.checkpoint();
        let mut depth = Depth::NONE;
        match self.expr_with_depth() {
            None => self.restore(checkpoint),
            Some((first, d)) => {
                self.open_items.push(first);
                depth = d;
                self.skip();
                // ("," ~ expr)*
                let mut first = true;
                loop {
                    let checkpoint = self.checkpoint();
                    if !first {
                        self.skip();
                    }
                    first = false;
                    let next = self.eat(b",").and_then(|()| {
                        self.skip();
                        self.expr_with_depth()
                    });
                    let Some((item, d)) = next else {
                        self.restore(checkpoint);
                        break;
                    };
                    self.open_items.push(item);
                    depth = depth.max(d);
                }
                self.skip();
                let _ = self.eat(b",");
            }
        }
        self.skip();
        self.eat(&[close])?;
        Some(depth)
    }

    /// `primary = _{ mstring | string | ident | float | int | kw_true |
    /// kw_false | kw_null | paren | list_comp | list | object_comp | object }`:
    /// the first byte decides which alternatives can match.
    #[inline(always)]
    fn primary(&mut self) -> Option<Operand> {
        match self.peek()? {
            b'"' => {
                let (string, inner) = self.scoped(|p| {
                    let multiline = if p.at(b"\"\"\"") {
                        p.attempt(Self::mstring)
                    } else {
                        None
                    };
                    match multiline {
                        Some(string) => Some(string),
                        None => p.string(),
                    }
                })?;
                let span = string.span;
                self.within(ExprKind::Str(string), span, Depth::string(inner))
            }
            b'0'..=b'9' => self.number(),
            b'(' => self.paren(),
            b'[' => self.list(),
            b'{' => self.object(),
            _ => self.word_primary(),
        }
    }

    /// `ident | kw_true | kw_false | kw_null`.
    fn word_primary(&mut self) -> Option<Operand> {
        let start = self.pos;
        let word = self.peek_name()?;
        let kind = match word {
            b"true" => ExprKind::Bool(true),
            b"false" => ExprKind::Bool(false),
            b"null" => ExprKind::Null,
            _ if RESERVED.contains(&word) => return None,
            _ => {
                let name = self.take_ident(word.len());
                return Some((
                    Expr {
                        span: name.span,
                        kind: ExprKind::Name(name),
                    },
                    Depth::LEAF,
                ));
            }
        };
        self.pos += word.len();
        Some((
            Expr {
                kind,
                span: self.span(start),
            },
            Depth::LEAF,
        ))
    }

    /// `paren = { "(" ~ expr ~ ")" }`. Kept out of line, like the other
    /// bracketed forms, so that the recursion through an operand takes only
    /// the stack its own form needs.
    #[inline(never)]
    fn paren(&mut self) -> Option<Operand> {
        let start = self.pos;
        self.eat(b"(")?;
        self.skip();
        let (inner, depth) = self.expr_with_depth()?;
        self.skip();
        self.eat(b")")?;
        let span = self.span(start);
        self.node(ExprKind::Paren(Box::new(inner)), span, depth)
    }

    /// `list_comp | list`.
    #[inline(never)]
    fn list(&mut self) -> Option<Operand> {
        let start = self.pos;
        if let Some(((comp, _), inner)) = self.scoped(|p| p.attempt(|p| p.comprehension(false))) {
            let span = self.span(start);
            let depth = Depth::comprehension(inner);
            return self.node(ExprKind::ListComp(Box::new(comp)), span, depth);
        }
        let (items, depth) = self.sequence(b'[', b']')?;
        let span = self.span(start);
        self.node(ExprKind::List(items), span, depth)
    }

    /// `object_comp | object`. An object's depth starts again: its entries
    /// are lowered as separate expressions.
    #[inline(never)]
    fn object(&mut self) -> Option<Operand> {
        let start = self.pos;
        if let Some(((comp, value), inner)) = self.scoped(|p| p.attempt(|p| p.comprehension(true)))
        {
            let span = self.span(start);
            let kind = ExprKind::ObjectComp(Box::new(comp), Box::new(value?));
            return self.node(kind, span, Depth::comprehension(inner));
        }
        let (entries, inner) = self.scoped(Self::properties)?;
        let span = self.span(start);
        self.node(ExprKind::Object(entries), span, Depth::entries(inner))
    }

    /// `float` or `int`, atomic, neither followed by an identifier character.
    fn number(&mut self) -> Option<Operand> {
        let start = self.pos;
        let digits = |from: usize| {
            self.bytes[from..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(self.bytes.len(), |n| from + n)
        };
        let ident_char_at = |at: usize| self.bytes.get(at).is_some_and(|&b| is_ident_char(b));
        let int_end = digits(start);
        // float = @{ ASCII_DIGIT+ ~ "." ~ ASCII_DIGIT+ ~ (^"e" ~ ("+" | "-")? ~ ASCII_DIGIT+)? ~ !ident_char }
        if self.bytes.get(int_end) == Some(&b'.')
            && self.bytes.get(int_end + 1).is_some_and(u8::is_ascii_digit)
        {
            let mut end = digits(int_end + 1);
            if matches!(self.bytes.get(end), Some(b'e' | b'E')) {
                let mut exponent = end + 1;
                if matches!(self.bytes.get(exponent), Some(b'+' | b'-')) {
                    exponent += 1;
                }
                if self.bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
                    end = digits(exponent);
                }
            }
            if !ident_char_at(end) {
                self.pos = end;
                let text = self.text[start..end].to_string();
                return Some((
                    Expr {
                        kind: ExprKind::Number(text),
                        span: self.span(start),
                    },
                    Depth::LEAF,
                ));
            }
        }
        // int = @{ ASCII_DIGIT+ ~ !ident_char }
        if ident_char_at(int_end) {
            return None;
        }
        let Ok(value) = self.text[start..int_end].parse::<i64>() else {
            // The lowering reports E0007.
            self.bail = true;
            return None;
        };
        self.pos = int_end;
        Some((
            Expr {
                kind: ExprKind::Int(value),
                span: self.span(start),
            },
            Depth::LEAF,
        ))
    }

    /// `list_comp` (`[for x in xs if c: body]`) or, with `is_object`,
    /// `object_comp` (`{for x in xs if c: key => value}`).
    fn comprehension(&mut self, is_object: bool) -> Option<(Comprehension, Option<Expr>)> {
        self.eat(if is_object { b"{" } else { b"[" })?;
        self.skip();
        self.keyword("for")?;
        self.skip();
        let binding = self.binding()?;
        self.skip();
        self.keyword("in")?;
        self.skip();
        let iterable = self.expr()?;
        self.skip();
        let filter = self.attempt(|p| {
            p.keyword("if")?;
            p.skip();
            p.expr()
        });
        self.skip();
        self.eat(b":")?;
        self.skip();
        let body = self.expr()?;
        self.skip();
        let value = if is_object {
            self.eat(b"=>")?;
            self.skip();
            let value = self.expr()?;
            self.skip();
            Some(value)
        } else {
            None
        };
        self.eat(if is_object { b"}" } else { b"]" })?;
        Some((
            Comprehension {
                binding,
                iterable,
                filter,
                body,
            },
            value,
        ))
    }
}
