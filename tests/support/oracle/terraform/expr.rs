//! HCL native syntax: the expressions and templates inside the strings of a
//! `.tf.json` file. A JSON string is a standalone template (no backslash
//! escapes, JSON already decoded them); quoted strings inside expressions
//! are templates with escapes.

use super::value::V;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Lit(V),
    Template(Vec<Part>),
    /// A root name: `var`, `local`, a resource type, a `for` variable...
    Var(String),
    Paren(Box<Expr>),
    Tuple(Vec<Expr>),
    Object(Vec<(Key, Expr)>),
    GetAttr(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// `src[*].steps` (and the legacy `src.*.steps`).
    Splat(Box<Expr>, Vec<Step>),
    /// Name, arguments, and whether the last is expanded with `...`.
    Call(String, Vec<Expr>, bool),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    For(Box<For>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// A bare identifier: the key is its name, not a variable.
    Name(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Attr(String),
    Index(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Clone, Debug, PartialEq)]
pub struct For {
    pub key_var: Option<String>,
    pub val_var: String,
    pub coll: Expr,
    /// `Some` for an object `for` (`{for k, v in m : key => value}`).
    pub key: Option<Expr>,
    pub val: Expr,
    pub cond: Option<Expr>,
    /// `value...`: values with the same key are grouped into lists.
    pub group: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(String),
    Interp(Expr),
    If(Expr, Vec<Part>, Vec<Part>),
    For(Option<String>, String, Expr, Vec<Part>),
}

/// A JSON string as a standalone template.
pub fn parse_template(src: &str) -> Result<Vec<Part>, String> {
    let mut p = Parser::new(src);
    p.template(false)
}

/// A whole string as one expression (a variable's `type`, a `depends_on`
/// entry).
pub fn parse_expr(src: &str) -> Result<Expr, String> {
    let mut p = Parser::new(src);
    let e = p.expr()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("unexpected text after the expression"));
    }
    Ok(e)
}

/// What a template holds before directives are nested.
enum Tok {
    Lit(String),
    Interp(Expr),
    If(Expr),
    Else,
    EndIf,
    For(Option<String>, String, Expr),
    EndFor,
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn new(src: &str) -> Parser {
        Parser {
            s: src.chars().collect(),
            i: 0,
        }
    }

    fn err(&self, what: &str) -> String {
        let at: String = self.s[self.i.min(self.s.len())..].iter().take(20).collect();
        format!("syntax error: {what} at {:?}", at)
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn looking_at(&self, t: &str) -> bool {
        t.chars()
            .enumerate()
            .all(|(k, c)| self.peek_at(k) == Some(c))
    }

    /// Skips whitespace (newlines included: inside `${}` and brackets HCL
    /// ignores them) and comments.
    fn ws(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => self.i += 1,
                Some('#') => self.skip_line(),
                Some('/') if self.peek_at(1) == Some('/') => self.skip_line(),
                Some('/') if self.peek_at(1) == Some('*') => {
                    self.i += 2;
                    while self.i < self.s.len() && !self.looking_at("*/") {
                        self.i += 1;
                    }
                    self.i = (self.i + 2).min(self.s.len());
                }
                _ => return,
            }
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                return;
            }
            self.i += 1;
        }
    }

    /// After whitespace, consumes `t` if it is next.
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.looking_at(t) {
            self.i += t.chars().count();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &str) -> Result<(), String> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{t}`")))
        }
    }

    /// An identifier: HCL's allow dashes after the first character.
    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        match self.peek() {
            Some(c) if c.is_alphabetic() || c == '_' => self.i += 1,
            _ => return None,
        }
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                self.i += 1;
            } else {
                break;
            }
        }
        Some(self.s[start..self.i].iter().collect())
    }

    fn keyword(&mut self, word: &str) -> bool {
        let save = self.i;
        if self.ident().as_deref() == Some(word) {
            return true;
        }
        self.i = save;
        false
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let cond = self.binary(1)?;
        if self.eat("?") {
            let yes = self.expr()?;
            self.expect(":")?;
            let no = self.expr()?;
            return Ok(Expr::Cond(Box::new(cond), Box::new(yes), Box::new(no)));
        }
        Ok(cond)
    }

    fn peek_op(&mut self) -> Option<(Op, u8, usize)> {
        self.ws();
        let two = [
            ("||", Op::Or, 1),
            ("&&", Op::And, 2),
            ("==", Op::Eq, 3),
            ("!=", Op::Ne, 3),
            ("<=", Op::Le, 4),
            (">=", Op::Ge, 4),
        ];
        for (t, op, prec) in two {
            if self.looking_at(t) {
                return Some((op, prec, 2));
            }
        }
        let op = match self.peek()? {
            '<' => (Op::Lt, 4),
            '>' => (Op::Gt, 4),
            '+' => (Op::Add, 5),
            '-' => (Op::Sub, 5),
            '*' => (Op::Mul, 6),
            '/' => (Op::Div, 6),
            '%' => (Op::Mod, 6),
            _ => return None,
        };
        Some((op.0, op.1, 1))
    }

    /// Operators by precedence climbing, left-associative.
    fn binary(&mut self, min: u8) -> Result<Expr, String> {
        let mut lhs = self.unary()?;
        while let Some((op, prec, len)) = self.peek_op() {
            if prec < min {
                break;
            }
            self.i += len;
            let rhs = self.binary(prec + 1)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let mut e = self.primary()?;
        loop {
            self.ws();
            if self.looking_at("...") {
                return Ok(e);
            }
            if self.looking_at(".*") {
                self.i += 2;
                let steps = self.splat_steps(false)?;
                e = Expr::Splat(Box::new(e), steps);
            } else if self.looking_at(".") {
                self.i += 1;
                e = self.attr_step(e)?;
            } else if self.bracket_star() {
                let steps = self.splat_steps(true)?;
                e = Expr::Splat(Box::new(e), steps);
            } else if self.eat("[") {
                let idx = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else {
                return Ok(e);
            }
        }
    }

    /// `.name` or the legacy `.0` index, after the dot.
    fn attr_step(&mut self, e: Expr) -> Result<Expr, String> {
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            let n: String = self.s[start..self.i].iter().collect();
            let n = n.parse::<f64>().map_err(|_| self.err("bad index"))?;
            return Ok(Expr::Index(Box::new(e), Box::new(Expr::Lit(V::Num(n)))));
        }
        match self.ident() {
            Some(name) => Ok(Expr::GetAttr(Box::new(e), name)),
            None => Err(self.err("expected an attribute name")),
        }
    }

    fn bracket_star(&mut self) -> bool {
        let save = self.i;
        if self.eat("[") && self.eat("*") && self.eat("]") {
            return true;
        }
        self.i = save;
        false
    }

    /// The traversal a splat applies to each element: attributes, and for
    /// the full splat `[*]` indexes too.
    fn splat_steps(&mut self, full: bool) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        loop {
            self.ws();
            let save = self.i;
            if self.looking_at(".") && !self.looking_at(".*") && !self.looking_at("...") {
                self.i += 1;
                match self.attr_step(Expr::Lit(V::Null))? {
                    Expr::GetAttr(_, name) => steps.push(Step::Attr(name)),
                    Expr::Index(_, idx) => steps.push(Step::Index(*idx)),
                    _ => unreachable!("attr_step makes an attribute or an index"),
                }
            } else if full && self.looking_at("[") && !self.bracket_star() {
                self.i += 1;
                let idx = self.expr()?;
                self.expect("]")?;
                steps.push(Step::Index(idx));
            } else {
                self.i = save;
                return Ok(steps);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.ws();
        let Some(c) = self.peek() else {
            return Err(self.err("expected an expression"));
        };
        if c.is_ascii_digit() {
            return self.number();
        }
        match c {
            '"' => {
                self.i += 1;
                Ok(Expr::Template(self.template(true)?))
            }
            '(' => {
                self.i += 1;
                let e = self.expr()?;
                self.expect(")")?;
                Ok(Expr::Paren(Box::new(e)))
            }
            '[' => {
                self.i += 1;
                if self.for_ahead() {
                    return self.for_expr(false);
                }
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.expr()?);
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                Ok(Expr::Tuple(items))
            }
            '{' => {
                self.i += 1;
                if self.for_ahead() {
                    return self.for_expr(true);
                }
                self.object()
            }
            '<' if self.looking_at("<<") => Err(self.err("heredocs are not supported")),
            _ => {
                let Some(name) = self.ident() else {
                    return Err(self.err("expected an expression"));
                };
                match name.as_str() {
                    "true" => return Ok(Expr::Lit(V::Bool(true))),
                    "false" => return Ok(Expr::Lit(V::Bool(false))),
                    "null" => return Ok(Expr::Lit(V::Null)),
                    _ => {}
                }
                let mut full = name;
                // Provider-defined functions: `provider::aws::arn_parse(...)`.
                while self.looking_at("::") {
                    self.i += 2;
                    let part = self.ident().ok_or_else(|| self.err("expected a name"))?;
                    full = format!("{full}::{part}");
                }
                if self.eat("(") {
                    return self.call(full);
                }
                Ok(Expr::Var(full))
            }
        }
    }

    fn number(&mut self) -> Result<Expr, String> {
        let start = self.i;
        let digits = |p: &mut Parser| {
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
        };
        digits(self);
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            digits(self);
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.i;
            self.i += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.i += 1;
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                digits(self);
            } else {
                self.i = save;
            }
        }
        let text: String = self.s[start..self.i].iter().collect();
        text.parse::<f64>()
            .map(|n| Expr::Lit(V::Num(n)))
            .map_err(|_| self.err("bad number"))
    }

    fn call(&mut self, name: String) -> Result<Expr, String> {
        let mut args = Vec::new();
        let mut expand = false;
        while !self.eat(")") {
            args.push(self.expr()?);
            if self.eat("...") {
                expand = true;
                self.eat(",");
                self.expect(")")?;
                break;
            }
            if !self.eat(",") {
                self.expect(")")?;
                break;
            }
        }
        Ok(Expr::Call(name, args, expand))
    }

    fn object(&mut self) -> Result<Expr, String> {
        let mut items = Vec::new();
        while !self.eat("}") {
            let key = match self.expr()? {
                Expr::Var(name) => Key::Name(name),
                e => Key::Expr(e),
            };
            self.ws();
            if self.looking_at("==") || !(self.eat("=") || self.eat(":")) {
                return Err(self.err("expected `=` or `:` after an object key"));
            }
            items.push((key, self.expr()?));
            self.eat(",");
        }
        Ok(Expr::Object(items))
    }

    /// Is a `for` expression next (after an opening bracket)?
    fn for_ahead(&mut self) -> bool {
        let save = self.i;
        let yes = self.keyword("for")
            && self.peek().is_some_and(char::is_whitespace)
            && self.ident().is_some();
        self.i = save;
        yes
    }

    fn for_expr(&mut self, object: bool) -> Result<Expr, String> {
        self.keyword("for");
        let first = self.ident().ok_or_else(|| self.err("expected a name"))?;
        let (key_var, val_var) = if self.eat(",") {
            let second = self.ident().ok_or_else(|| self.err("expected a name"))?;
            (Some(first), second)
        } else {
            (None, first)
        };
        if !self.keyword("in") {
            return Err(self.err("expected `in`"));
        }
        let coll = self.expr()?;
        self.expect(":")?;
        let (key, val) = if object {
            let k = self.expr()?;
            self.expect("=>")?;
            (Some(k), self.expr()?)
        } else {
            (None, self.expr()?)
        };
        let group = object && self.eat("...");
        let cond = if self.keyword("if") {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect(if object { "}" } else { "]" })?;
        Ok(Expr::For(Box::new(For {
            key_var,
            val_var,
            coll,
            key,
            val,
            cond,
            group,
        })))
    }

    /// A template up to its end: the closing quote of a quoted string, or
    /// the end of the text for a standalone template.
    fn template(&mut self, quoted: bool) -> Result<Vec<Part>, String> {
        // Each token with whether it strips the whitespace before and after.
        let mut toks: Vec<(Tok, bool, bool)> = Vec::new();
        let mut lit = String::new();
        loop {
            let Some(c) = self.peek() else {
                if quoted {
                    return Err(self.err("unterminated string"));
                }
                break;
            };
            if quoted && c == '"' {
                self.i += 1;
                break;
            }
            if quoted && c == '\\' {
                lit.push(self.escape()?);
                continue;
            }
            if self.looking_at("$${") || self.looking_at("%%{") {
                lit.push(c);
                lit.push('{');
                self.i += 3;
                continue;
            }
            let interp = self.looking_at("${");
            if !interp && !self.looking_at("%{") {
                lit.push(c);
                self.i += 1;
                continue;
            }
            self.i += 2;
            if !lit.is_empty() {
                toks.push((Tok::Lit(std::mem::take(&mut lit)), false, false));
            }
            let strip_before = self.looking_at("~");
            if strip_before {
                self.i += 1;
            }
            let tok = if interp {
                Tok::Interp(self.expr()?)
            } else {
                self.directive()?
            };
            self.ws();
            let strip_after = self.looking_at("~");
            if strip_after {
                self.i += 1;
            }
            self.expect("}")?;
            toks.push((tok, strip_before, strip_after));
        }
        if !lit.is_empty() {
            toks.push((Tok::Lit(lit), false, false));
        }
        // `~` trims the whitespace of the literal next to it.
        for k in 0..toks.len() {
            let (before, after) = (toks[k].1, toks[k].2);
            if before
                && k > 0
                && let Tok::Lit(s) = &mut toks[k - 1].0
            {
                *s = s.trim_end().to_string();
            }
            if after
                && k + 1 < toks.len()
                && let Tok::Lit(s) = &mut toks[k + 1].0
            {
                *s = s.trim_start().to_string();
            }
        }
        let mut toks = toks.into_iter().map(|t| t.0).peekable();
        let (parts, end) = nest(&mut toks)?;
        match end {
            None => Ok(parts),
            Some(_) => Err(
                "syntax error: `%{else}`, `%{endif}` or `%{endfor}` without its opening directive"
                    .into(),
            ),
        }
    }

    fn directive(&mut self) -> Result<Tok, String> {
        let word = self
            .ident()
            .ok_or_else(|| self.err("expected a directive"))?;
        match word.as_str() {
            "if" => Ok(Tok::If(self.expr()?)),
            "else" => Ok(Tok::Else),
            "endif" => Ok(Tok::EndIf),
            "endfor" => Ok(Tok::EndFor),
            "for" => {
                let first = self.ident().ok_or_else(|| self.err("expected a name"))?;
                let (k, v) = if self.eat(",") {
                    let second = self.ident().ok_or_else(|| self.err("expected a name"))?;
                    (Some(first), second)
                } else {
                    (None, first)
                };
                if !self.keyword("in") {
                    return Err(self.err("expected `in`"));
                }
                Ok(Tok::For(k, v, self.expr()?))
            }
            other => Err(format!(
                "syntax error: unknown template directive `{other}`"
            )),
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        self.i += 1;
        let c = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
        self.i += 1;
        let hex = |p: &mut Parser, n: usize| -> Result<char, String> {
            let digits: String = p.s.get(p.i..p.i + n).unwrap_or_default().iter().collect();
            p.i += n;
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| p.err("bad unicode escape"))
        };
        Ok(match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '"' => '"',
            '\\' => '\\',
            'u' => hex(self, 4)?,
            'U' => hex(self, 8)?,
            _ => return Err(self.err("unknown escape")),
        })
    }
}

/// Nests directives: parts up to an `else`/`endif`/`endfor` (returned) or
/// the end.
fn nest(
    toks: &mut std::iter::Peekable<impl Iterator<Item = Tok>>,
) -> Result<(Vec<Part>, Option<Tok>), String> {
    let mut parts = Vec::new();
    while let Some(t) = toks.next() {
        match t {
            Tok::Lit(s) => parts.push(Part::Lit(s)),
            Tok::Interp(e) => parts.push(Part::Interp(e)),
            Tok::If(c) => {
                let (yes, end) = nest(toks)?;
                let no = match end {
                    Some(Tok::Else) => match nest(toks)? {
                        (no, Some(Tok::EndIf)) => no,
                        _ => return Err("syntax error: `%{if}` without `%{endif}`".into()),
                    },
                    Some(Tok::EndIf) => Vec::new(),
                    _ => return Err("syntax error: `%{if}` without `%{endif}`".into()),
                };
                parts.push(Part::If(c, yes, no));
            }
            Tok::For(k, v, coll) => match nest(toks)? {
                (body, Some(Tok::EndFor)) => parts.push(Part::For(k, v, coll, body)),
                _ => return Err("syntax error: `%{for}` without `%{endfor}`".into()),
            },
            end @ (Tok::Else | Tok::EndIf | Tok::EndFor) => return Ok((parts, Some(end))),
        }
    }
    Ok((parts, None))
}
