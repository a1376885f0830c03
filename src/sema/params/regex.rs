//! Patterns of the `pattern` constraint: the syntax CloudFormation (Java),
//! Heat (Python) and Terraform (RE2) patterns have in common, parsed here
//! and matched in time linear in the value, so that a value of any length
//! is checked.
//!
//! Supported: literals, `.`, classes `[a-z0-9-]` and `[^...]` with POSIX
//! names (`[[:alpha:]]`), the escapes `\d \D \w \W \s \S \b \B \A \z`,
//! `\n \t \r \f \v \0`, `\xhh`, `\x{h..}`, `\uhhhh` and escaped
//! punctuation, the anchors `^ $`, groups `( )`, `(?: )` and named groups,
//! alternation `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (lazy with
//! a trailing `?`). Lookaround, backreferences, flags, possessive
//! quantifiers and Unicode classes are reported as unsupported: such a
//! pattern is not checked at compile time, since the target may accept it.
//!
//! The meaning is the one the three dialects share: `\d`, `\w`, `\s` and
//! `\b` are ASCII (as in Java and RE2), `.` is any character but a line
//! feed, and `$` is the end of the value only. A value is matched by
//! `automaton`, a long value or a large pattern by the `regex` crate, for
//! which the parsed pattern is written again in its syntax.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use automaton::Automaton;

mod automaton;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Regex {
    source: String,
    root: Arc<Node>,
    /// Built when first asked, and shared by the clones; none when it
    /// would be too large.
    automaton: Arc<OnceLock<Option<Automaton>>>,
    /// The values matched so far, by every clone: past
    /// `AUTOMATON_MATCHES`, the pattern is compiled by the `regex` crate,
    /// whose automaton matches each character in a step.
    matched: Arc<AtomicUsize>,
    /// The whole value matching (`\A(?:...)\z`), and any part of it,
    /// compiled when first asked: most patterns a program loads check no
    /// value known at compile time, and compiling is most of their cost.
    /// Shared by the clones: a component param's constraints are cloned
    /// for each value checked against them, and compiled once.
    whole: Arc<OnceLock<regex::Regex>>,
    part: Arc<OnceLock<regex::Regex>>,
}

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.source == other.source
    }
}

/// Why a pattern does not compile, with the offending characters as
/// char offsets into the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// A feature some regex dialects have and this engine lacks: the
    /// pattern may be valid for the target.
    pub unsupported: bool,
}

/// The largest count of a `{n,m}` quantifier.
const MAX_REPEAT: u32 = 1000;
/// The deepest nesting of groups.
const MAX_GROUPS: usize = 50;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Start,
    End,
    /// `\b` (true) or `\B` (false).
    WordBoundary(bool),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
struct Class {
    negated: bool,
    items: Vec<Item>,
}

/// A member of a class; the bool of the named sets negates them
/// (`\D`, `\W`, `\S`).
#[derive(Clone, Debug, PartialEq)]
enum Item {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `\s`: the set `write_item` writes as `SPACE`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C')
}

impl Class {
    /// Whether `c` is in the class: the named sets read as `write_item`
    /// writes them.
    fn contains(&self, c: char) -> bool {
        let any = self.items.iter().any(|item| match *item {
            Item::Range(lo, hi) => lo <= c && c <= hi,
            Item::Digit(negated) => c.is_ascii_digit() != negated,
            Item::Word(negated) => is_word(c) != negated,
            Item::Space(negated) => is_space(c) != negated,
        });
        any != self.negated
    }
}

impl Node {
    fn is_anchor(&self) -> bool {
        matches!(self, Node::Start | Node::End | Node::WordBoundary(_))
    }
}

fn error(message: impl Into<String>, start: usize, end: usize) -> Error {
    Error {
        message: message.into(),
        start,
        end,
        unsupported: false,
    }
}

fn unsupported(what: &str, start: usize, end: usize) -> Error {
    Error {
        message: format!("{what} are not supported"),
        start,
        end,
        unsupported: true,
    }
}

/// What an escape stands for.
enum Escape {
    Char(char),
    Item(Item),
    Node(Node),
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn alternation(&mut self, depth: usize) -> Result<Node, Error> {
        let mut branches = vec![self.concat(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self, depth: usize) -> Result<Node, Error> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            items.push(self.quantifiers(atom)?);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn atom(&mut self, depth: usize) -> Result<Node, Error> {
        let start = self.pos;
        let Some(c) = self.next() else {
            return Ok(Node::Empty);
        };
        match c {
            '(' => self.group(start, depth),
            '[' => self.class(start),
            '.' => Ok(Node::Any),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            '\\' => Ok(match self.escape(start, false)? {
                Escape::Char(c) => Node::Char(c),
                Escape::Item(item) => Node::Class(Class {
                    negated: false,
                    items: vec![item],
                }),
                Escape::Node(node) => node,
            }),
            '*' | '+' | '?' => Err(error(
                format!("nothing to repeat: `{c}` follows nothing"),
                start,
                start + 1,
            )),
            '{' => {
                self.pos = start;
                if let Some((_, _, end)) = self.brace_quantifier() {
                    return Err(error("nothing to repeat: `{` follows nothing", start, end));
                }
                self.pos = start + 1;
                Ok(Node::Char('{'))
            }
            c => Ok(Node::Char(c)),
        }
    }

    fn group(&mut self, start: usize, depth: usize) -> Result<Node, Error> {
        if depth >= MAX_GROUPS {
            return Err(error("groups are nested too deeply", start, start + 1));
        }
        if self.peek() == Some('?') {
            self.pos += 1;
            match (self.peek(), self.peek_at(1)) {
                (Some(':'), _) => self.pos += 1,
                (Some('='), _) | (Some('!'), _) => {
                    return Err(unsupported("lookahead assertions", start, self.pos + 1));
                }
                (Some('<'), Some('=' | '!')) => {
                    return Err(unsupported("lookbehind assertions", start, self.pos + 2));
                }
                (Some('<'), _) | (Some('P'), Some('<')) => {
                    if self.peek() == Some('P') {
                        self.pos += 1;
                    }
                    self.pos += 1;
                    let name_start = self.pos;
                    while self.peek().is_some_and(is_word) {
                        self.pos += 1;
                    }
                    if self.pos == name_start || self.peek() != Some('>') {
                        return Err(error("invalid group name", start, self.pos.max(start + 1)));
                    }
                    self.pos += 1;
                }
                _ => return Err(unsupported("group flags", start, self.pos)),
            }
        }
        let inner = self.alternation(depth + 1)?;
        if self.peek() != Some(')') {
            return Err(error("unclosed group: `(` without `)`", start, start + 1));
        }
        self.pos += 1;
        Ok(inner)
    }

    /// `{n}`, `{n,}` or `{n,m}` at the current position, without moving:
    /// the bounds and the position after it.
    fn brace_quantifier(&self) -> Option<(u64, Option<u64>, usize)> {
        let mut pos = self.pos;
        if self.chars.get(pos) != Some(&'{') {
            return None;
        }
        pos += 1;
        let number = |pos: &mut usize| -> Option<u64> {
            let start = *pos;
            let mut value: u64 = 0;
            while let Some(d) = self.chars.get(*pos).and_then(|c| c.to_digit(10)) {
                value = value.saturating_mul(10).saturating_add(u64::from(d));
                *pos += 1;
            }
            (*pos > start).then_some(value)
        };
        let min = number(&mut pos)?;
        let max = if self.chars.get(pos) == Some(&',') {
            pos += 1;
            number(&mut pos)
        } else {
            Some(min)
        };
        if self.chars.get(pos) != Some(&'}') {
            return None;
        }
        Some((min, max, pos + 1))
    }

    fn quantifiers(&mut self, atom: Node) -> Result<Node, Error> {
        let mut node = atom;
        let mut quantified = false;
        loop {
            let start = self.pos;
            let (min, max) = match self.peek() {
                Some('*') => {
                    self.pos += 1;
                    (0, None)
                }
                Some('+') => {
                    self.pos += 1;
                    (1, None)
                }
                Some('?') => {
                    self.pos += 1;
                    (0, Some(1))
                }
                Some('{') => match self.brace_quantifier() {
                    Some((min, max, end)) => {
                        self.pos = end;
                        if max.is_some_and(|max| max < min) {
                            return Err(error(
                                "invalid repetition: the minimum is larger than the maximum",
                                start,
                                end,
                            ));
                        }
                        if min > u64::from(MAX_REPEAT)
                            || max.is_some_and(|m| m > u64::from(MAX_REPEAT))
                        {
                            return Err(error(
                                format!("repetition count larger than {MAX_REPEAT}"),
                                start,
                                end,
                            ));
                        }
                        (min as u32, max.map(|m| m as u32))
                    }
                    None => break,
                },
                _ => break,
            };
            if quantified {
                return Err(error(
                    "nothing to repeat: a quantifier follows another one",
                    start,
                    self.pos,
                ));
            }
            if node.is_anchor() {
                return Err(error("an anchor cannot be repeated", start, self.pos));
            }
            let mut greedy = true;
            match self.peek() {
                Some('?') => {
                    self.pos += 1;
                    greedy = false;
                }
                Some('+') => {
                    return Err(unsupported("possessive quantifiers", start, self.pos + 1));
                }
                _ => {}
            }
            node = Node::Repeat {
                node: Box::new(node),
                min,
                max,
                greedy,
            };
            quantified = true;
        }
        Ok(node)
    }

    fn hex(&mut self, digits: usize, start: usize) -> Result<char, Error> {
        let mut value: u32 = 0;
        for _ in 0..digits {
            let Some(d) = self.peek().and_then(|c| c.to_digit(16)) else {
                return Err(error(
                    format!("invalid escape: expected {digits} hexadecimal digits"),
                    start,
                    self.pos.max(start + 1),
                ));
            };
            value = value * 16 + d;
            self.pos += 1;
        }
        char::from_u32(value)
            .ok_or_else(|| error("invalid escape: not a character", start, self.pos))
    }

    fn escape(&mut self, start: usize, in_class: bool) -> Result<Escape, Error> {
        let Some(c) = self.next() else {
            return Err(error(
                "trailing backslash: `\\` escapes nothing",
                start,
                start + 1,
            ));
        };
        Ok(match c {
            'd' => Escape::Item(Item::Digit(false)),
            'D' => Escape::Item(Item::Digit(true)),
            'w' => Escape::Item(Item::Word(false)),
            'W' => Escape::Item(Item::Word(true)),
            's' => Escape::Item(Item::Space(false)),
            'S' => Escape::Item(Item::Space(true)),
            'n' => Escape::Char('\n'),
            't' => Escape::Char('\t'),
            'r' => Escape::Char('\r'),
            'f' => Escape::Char('\x0c'),
            'v' => Escape::Char('\x0b'),
            '0' => Escape::Char('\0'),
            'x' if self.peek() == Some('{') => {
                self.pos += 1;
                let digits_start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[digits_start..self.pos].iter().collect();
                if digits.is_empty() || digits.len() > 6 || self.peek() != Some('}') {
                    return Err(error(
                        "invalid escape `\\x{...}`",
                        start,
                        self.pos.max(start + 2),
                    ));
                }
                self.pos += 1;
                let value = u32::from_str_radix(&digits, 16).unwrap_or(u32::MAX);
                Escape::Char(
                    char::from_u32(value)
                        .ok_or_else(|| error("invalid escape: not a character", start, self.pos))?,
                )
            }
            'x' => Escape::Char(self.hex(2, start)?),
            'u' => Escape::Char(self.hex(4, start)?),
            'b' | 'B' | 'A' | 'z' | 'Z' if in_class => {
                return Err(error(
                    format!("`\\{c}` is an anchor and cannot appear in a class"),
                    start,
                    self.pos,
                ));
            }
            'b' => Escape::Node(Node::WordBoundary(true)),
            'B' => Escape::Node(Node::WordBoundary(false)),
            'A' => Escape::Node(Node::Start),
            'z' | 'Z' => Escape::Node(Node::End),
            '1'..='9' => return Err(unsupported("backreferences", start, self.pos)),
            'p' | 'P' => return Err(unsupported("Unicode classes", start, self.pos)),
            'Q' | 'E' => return Err(unsupported("quoted sequences", start, self.pos)),
            c if c.is_ascii_alphanumeric() => {
                return Err(error(format!("unknown escape `\\{c}`"), start, self.pos));
            }
            c => Escape::Char(c),
        })
    }

    fn class(&mut self, start: usize) -> Result<Node, Error> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(error("unclosed class: `[` without `]`", start, start + 1));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            let item_start = self.pos;
            if c == '[' && self.peek_at(1) == Some(':') {
                items.extend(self.posix_class()?);
                continue;
            }
            let lo = self.class_atom()?;
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                self.pos += 1;
                let hi = self.class_atom()?;
                let (Escape::Char(lo), Escape::Char(hi)) = (lo, hi) else {
                    return Err(error(
                        "invalid range: a class such as `\\d` cannot end a range",
                        item_start,
                        self.pos,
                    ));
                };
                if lo > hi {
                    return Err(error(
                        format!("invalid range `{lo}-{hi}`: `{lo}` comes after `{hi}`"),
                        item_start,
                        self.pos,
                    ));
                }
                items.push(Item::Range(lo, hi));
            } else {
                items.push(match lo {
                    Escape::Char(c) => Item::Range(c, c),
                    Escape::Item(item) => item,
                    Escape::Node(_) => unreachable!("anchors are refused in classes"),
                });
            }
        }
        Ok(Node::Class(Class { negated, items }))
    }

    fn class_atom(&mut self) -> Result<Escape, Error> {
        let start = self.pos;
        match self.next() {
            Some('\\') => self.escape(start, true),
            Some(c) => Ok(Escape::Char(c)),
            None => Err(error("unclosed class: `[` without `]`", start, start)),
        }
    }

    /// `[:alpha:]` inside a class.
    fn posix_class(&mut self) -> Result<Vec<Item>, Error> {
        let start = self.pos;
        self.pos += 2;
        let name_start = self.pos;
        while self.peek().is_some_and(|c| c != ':' && c != ']') {
            self.pos += 1;
        }
        let name: String = self.chars[name_start..self.pos].iter().collect();
        if self.peek() != Some(':') || self.peek_at(1) != Some(']') {
            return Err(error(
                "unclosed POSIX class: `[:` without `:]`",
                start,
                self.pos,
            ));
        }
        self.pos += 2;
        let r = Item::Range;
        Ok(match name.as_str() {
            "alpha" => vec![r('a', 'z'), r('A', 'Z')],
            "digit" => vec![Item::Digit(false)],
            "alnum" => vec![r('a', 'z'), r('A', 'Z'), r('0', '9')],
            "upper" => vec![r('A', 'Z')],
            "lower" => vec![r('a', 'z')],
            "space" => vec![Item::Space(false)],
            "blank" => vec![r(' ', ' '), r('\t', '\t')],
            "xdigit" => vec![r('0', '9'), r('a', 'f'), r('A', 'F')],
            "word" => vec![Item::Word(false)],
            "punct" => vec![r('!', '/'), r(':', '@'), r('[', '`'), r('{', '~')],
            "cntrl" => vec![r('\0', '\x1f'), r('\x7f', '\x7f')],
            "print" => vec![r(' ', '~')],
            "graph" => vec![r('!', '~')],
            _ => {
                return Err(error(
                    format!("unknown POSIX class `[:{name}:]`"),
                    start,
                    self.pos,
                ));
            }
        })
    }
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, Error> {
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
        };
        let root = parser.alternation(0)?;
        if parser.pos < parser.chars.len() {
            return Err(error(
                "unmatched `)`: no group is open",
                parser.pos,
                parser.pos + 1,
            ));
        }
        let whole = OnceLock::new();
        // A pattern that may exceed the size the matcher compiles is
        // compiled now, so that its refusal is reported where it is
        // written; a smaller one cannot fail and waits for a value.
        if nfa_states(&root) > SURELY_COMPILED_STATES {
            let compiled = compile(&anchored(&written(&root))).map_err(|_| Error {
                // Valid, but more than the matcher compiles: left to the
                // target, as an unsupported feature is.
                message: "patterns this large are not supported".into(),
                start: 0,
                end: parser.chars.len(),
                unsupported: true,
            })?;
            let _ = whole.set(compiled);
        }
        Ok(Regex {
            source: pattern.to_string(),
            root: Arc::new(root),
            automaton: Arc::default(),
            matched: Arc::default(),
            whole: Arc::new(whole),
            part: Arc::default(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Does the pattern match all of `text`, as CloudFormation and Heat
    /// apply it?
    pub fn full_match(&self, text: &str) -> bool {
        if let Some(automaton) = self.automaton_for(text) {
            return automaton.matches(text, true);
        }
        self.whole
            .get_or_init(|| {
                compile(&anchored(&written(&self.root)))
                    .expect("within the size every pattern this small compiles in")
            })
            .is_match(text)
    }

    /// Does the pattern match some part of `text`, as Terraform's
    /// `regex` applies it?
    pub fn find(&self, text: &str) -> bool {
        if let Some(automaton) = self.automaton_for(text) {
            return automaton.matches(text, false);
        }
        self.part
            .get_or_init(|| {
                // Within the size `whole` compiled in: it is this pattern,
                // anchored.
                compile(&written(&self.root))
                    .expect("smaller than the anchored pattern, which compiles")
            })
            .is_match(text)
    }

    /// The automaton to match `text` with, unless the `regex` crate is
    /// the one for it.
    fn automaton_for(&self, text: &str) -> Option<&Automaton> {
        if self.matched.fetch_add(1, Ordering::Relaxed) >= AUTOMATON_MATCHES {
            return None;
        }
        self.automaton
            .get_or_init(|| Automaton::new(&self.root))
            .as_ref()
            .filter(|automaton| automaton.fits(text))
    }

    /// Is the pattern written to match the whole value: `^` (or `\A`)
    /// first and an unescaped `$` (or `\z`) last?
    pub fn is_anchored(&self) -> bool {
        let s = self.source.as_str();
        let starts = s.starts_with('^') || s.starts_with("\\A");
        let ends = if let Some(body) = s.strip_suffix('$') {
            body.chars().rev().take_while(|c| *c == '\\').count() % 2 == 0
        } else if let Some(body) = s.strip_suffix("\\z") {
            body.chars().rev().take_while(|c| *c == '\\').count() % 2 == 0
        } else {
            false
        };
        starts && ends
    }
}

/// The values a pattern matches with `automaton` before it is compiled:
/// the automaton follows every state at each character, the crate's
/// compiled one takes a step. A program checks one or two values against
/// most patterns, where compiling costs more than it saves; a generated
/// one checks thousands (a 50,000-resource program's subnets took 15%
/// longer to build matched by the automaton alone).
const AUTOMATON_MATCHES: usize = 32;

/// The largest compiled form of a pattern, in bytes (the `regex` crate's
/// size limit): `{n,m}` nested in `{n,m}` multiplies.
const COMPILED_LIMIT: usize = 4 << 20;

fn compile(text: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(text)
        .size_limit(COMPILED_LIMIT)
        .build()
}

/// The pattern in the `regex` crate's syntax.
fn written(root: &Node) -> String {
    let mut written = String::new();
    write_node(root, &mut written);
    written
}

fn anchored(written: &str) -> String {
    format!("\\A(?:{written})\\z")
}

/// At most this many states (as `nfa_states` counts them) compile well
/// within `COMPILED_LIMIT`: each state takes far less than the 1 KiB per
/// state this allows.
const SURELY_COMPILED_STATES: u64 = (COMPILED_LIMIT / 1024) as u64;

/// More states than the matcher's automaton for `node` has: a character
/// is at most 4 UTF-8 bytes, a class or `.` at most 64 states per range
/// (a range of characters splits into few runs of UTF-8 bytes), and a
/// repetition copies its node once per count it may take.
fn nfa_states(node: &Node) -> u64 {
    match node {
        Node::Empty | Node::Start | Node::End | Node::WordBoundary(_) => 1,
        Node::Char(_) => 4,
        Node::Any => 64,
        Node::Class(class) => 64 * (class.items.len() as u64 + 1),
        Node::Concat(nodes) | Node::Alt(nodes) => {
            nodes.iter().fold(1u64 + nodes.len() as u64, |sum, n| {
                sum.saturating_add(nfa_states(n))
            })
        }
        Node::Repeat { node, min, max, .. } => {
            let copies = u64::from(max.unwrap_or(*min)).max(u64::from(*min)) + 1;
            nfa_states(node).saturating_mul(copies).saturating_add(2)
        }
    }
}

/// Writes `node` in the `regex` crate's syntax.
fn write_node(node: &Node, out: &mut String) {
    match node {
        Node::Empty => out.push_str("(?:)"),
        Node::Char(c) => write_char(*c, out),
        Node::Any => out.push_str("[^\\n]"),
        Node::Class(class) => {
            out.push('[');
            if class.negated {
                out.push('^');
            }
            for item in &class.items {
                write_item(item, out);
            }
            out.push(']');
        }
        Node::Start => out.push_str("\\A"),
        Node::End => out.push_str("\\z"),
        Node::WordBoundary(true) => out.push_str("(?-u:\\b)"),
        Node::WordBoundary(false) => out.push_str("(?-u:\\B)"),
        Node::Concat(nodes) => {
            for node in nodes {
                write_node(node, out);
            }
        }
        Node::Alt(branches) => {
            out.push_str("(?:");
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write_node(branch, out);
            }
            out.push(')');
        }
        Node::Repeat {
            node,
            min,
            max,
            greedy,
        } => {
            out.push_str("(?:");
            write_node(node, out);
            out.push(')');
            match max {
                Some(max) if max == min => out.push_str(&format!("{{{min}}}")),
                Some(max) => out.push_str(&format!("{{{min},{max}}}")),
                None => out.push_str(&format!("{{{min},}}")),
            }
            if !greedy {
                out.push('?');
            }
        }
    }
}

/// A character, escaped where the `regex` crate gives it a meaning, in or
/// out of a class.
fn write_char(c: char, out: &mut String) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() && !c.is_control() {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:x}}}", c as u32));
    }
}

/// A member of a class: the named sets as ASCII, as the three dialects
/// read them.
fn write_item(item: &Item, out: &mut String) {
    const DIGIT: &str = "0-9";
    const WORD: &str = "0-9A-Za-z_";
    const SPACE: &str = " \\t\\n\\r\\x0B\\x0C";
    let (set, negated) = match *item {
        Item::Range(lo, hi) => {
            write_char(lo, out);
            if hi != lo {
                out.push('-');
                write_char(hi, out);
            }
            return;
        }
        Item::Digit(negated) => (DIGIT, negated),
        Item::Word(negated) => (WORD, negated),
        Item::Space(negated) => (SPACE, negated),
    };
    if negated {
        out.push_str(&format!("[^{set}]"));
    } else {
        out.push_str(set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(pattern: &str, text: &str) -> bool {
        Regex::new(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
            .full_match(text)
    }

    fn find(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().find(text)
    }

    fn err(pattern: &str) -> Error {
        Regex::new(pattern).expect_err(pattern)
    }

    #[test]
    fn literals_and_dot() {
        assert!(full("abc", "abc"));
        assert!(!full("abc", "abcd"));
        assert!(!full("abc", "ab"));
        assert!(full("a.c", "axc"));
        assert!(!full("a.c", "a\nc"));
        assert!(full("", ""));
        assert!(!full("", "a"));
        assert!(full("héllo", "héllo"));
    }

    #[test]
    fn classes() {
        assert!(full("[a-z0-9-]+", "web-01"));
        assert!(!full("[a-z0-9-]+", "Web-01"));
        assert!(full("[^@ ]+", "user"));
        assert!(!full("[^@ ]+", "us er"));
        assert!(full("[-a]", "-"));
        assert!(full("[a-]", "-"));
        assert!(full("[]a]", "]"));
        assert!(full("[.]", "."));
        assert!(!full("[.]", "x"));
        assert!(full("[\\d.]+", "16.4"));
        assert!(full("[\\w-]+", "a_b-c"));
        assert!(full("[\\]]", "]"));
        assert!(full("[[:alpha:]]+[[:digit:]]", "abc1"));
        assert!(full("[[:upper:][:lower:]]+", "AbC"));
        assert!(!full("[[:xdigit:]]", "g"));
    }

    #[test]
    fn escapes() {
        assert!(full("\\d+", "0123"));
        assert!(!full("\\d+", "12a"));
        assert!(full("\\D", "a"));
        assert!(full("\\w+", "snake_case1"));
        assert!(!full("\\w", "-"));
        assert!(full("\\W", "-"));
        assert!(full("a\\sb", "a b"));
        assert!(full("a\\Sb", "a-b"));
        assert!(full("\\.", "."));
        assert!(!full("\\.", "x"));
        assert!(full("\\\\", "\\"));
        assert!(full("a\\/b", "a/b"));
        assert!(full("\\x41\\u00e9\\x{1F600}", "Aé😀"));
        assert!(full("\\t", "\t"));
    }

    #[test]
    fn anchors() {
        assert!(full("^abc$", "abc"));
        assert!(find("^ab", "abc"));
        assert!(!find("^bc", "abc"));
        assert!(find("bc$", "abc"));
        assert!(!find("ab$", "abc"));
        assert!(find("b", "abc"));
        assert!(find("\\bword\\b", "a word here"));
        assert!(!find("\\bword\\b", "swordfish"));
        assert!(find("\\Bor\\B", "sword"));
        assert!(full("\\Aab\\z", "ab"));
        assert!(full("^a|b$", "a"));
        assert!(full("^a|b$", "b"));
    }

    #[test]
    fn groups_and_alternation() {
        assert!(full("(ab)+", "ababab"));
        assert!(!full("(ab)+", "aba"));
        assert!(full("(?:a|bc)*d", "abcad"));
        assert!(full("a(b|c|)d", "ad"));
        assert!(full("(cat|dog)s?", "dogs"));
        assert!(!full("(cat|dog)s?", "cow"));
        assert!(full("(?<name>a+)b", "aab"));
        assert!(full("(?P<x>a)", "a"));
        assert!(full("((a|b)(c|d))+", "acbdad"));
    }

    #[test]
    fn quantifiers() {
        assert!(full("a*", ""));
        assert!(full("a*", "aaaa"));
        assert!(full("a+", "a"));
        assert!(!full("a+", ""));
        assert!(full("ab?c", "ac"));
        assert!(full("ab?c", "abc"));
        assert!(!full("ab?c", "abbc"));
        assert!(full("a{3}", "aaa"));
        assert!(!full("a{3}", "aa"));
        assert!(!full("a{3}", "aaaa"));
        assert!(full("a{2,}", "aaaaa"));
        assert!(!full("a{2,}", "a"));
        assert!(full("a{2,3}", "aa"));
        assert!(full("a{2,3}", "aaa"));
        assert!(!full("a{2,3}", "aaaa"));
        assert!(full("(ab){2}", "abab"));
        assert!(full("(a|ab){2,3}c", "abaabc"));
        assert!(full("a*?b", "aaab"));
        assert!(full("a+?", "aaa"));
        assert!(full("x{", "x{"), "a brace that is no quantifier is literal");
        assert!(full("x{a}", "x{a}"));
        assert!(full(".*-.*", "a-b-c"));
        assert!(full("(a*)*b", "aaab"), "empty iterations end the loop");
        assert!(full("(a?){3}", ""));
    }

    #[test]
    fn real_world_patterns() {
        let dns = "^([a-z0-9]([a-z0-9-]*[a-z0-9])?[.])+[a-z]{2,}[.]?$";
        assert!(full(dns, "example.com"));
        assert!(full(dns, "a.b-c.example.org."));
        assert!(!full(dns, "-bad.com"));
        assert!(!full(dns, "example"));
        let bucket = "^[a-z0-9][a-z0-9.-]*[a-z0-9]$";
        assert!(full(bucket, "my-bucket.logs"));
        assert!(!full(bucket, "My-bucket"));
        assert!(!full(bucket, "bucket-"));
        let email = "^[^@ ]+@[^@ ]+$";
        assert!(full(email, "ops@example.com"));
        assert!(!full(email, "ops@@example.com"));
        let cidr = "^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})$";
        assert!(full(cidr, "10.0.0.0/16"));
        assert!(!full(cidr, "10.0.0/16"));
        let version = "^[0-9]+([.][0-9]+)*$";
        assert!(full(version, "16.4"));
        assert!(!full(version, "16."));
        let ami = "^ami-[0-9a-f]{8}([0-9a-f]{9})?$";
        assert!(full(ami, "ami-0abcdef1"));
        assert!(full(ami, "ami-0abcdef1234567890"));
        assert!(!full(ami, "ami-0abcdef12"));
    }

    #[test]
    fn values_of_any_length_are_decided() {
        // Patterns a backtracking engine takes exponential time on.
        let text = "a".repeat(30);
        assert!(!full("(a*)*b", &text));
        assert!(!full("(a|aa)+$", &format!("{}b", "a".repeat(60))));
        assert!(full("(a|aa)+$", &"a".repeat(60)));
        // A value far longer than any cap: the end of it still counts.
        let long = "a".repeat(1 << 20);
        assert!(full("a*", &long));
        assert!(!full("[a-z]*", &format!("{long};$(curl evil)")));
        assert!(find("curl", &format!("{long};$(curl evil)")));
        let deep = "ab".repeat(20_000);
        assert!(full("(ab)*", &deep));
    }

    #[test]
    fn named_sets_are_ascii_and_dot_stops_at_a_line_feed() {
        assert!(!full("\\d", "٣"), "an Arabic-Indic digit is no \\d");
        assert!(!full("\\w", "é"));
        assert!(full("\\W", "é"));
        assert!(!full("\\s", "\u{a0}"));
        assert!(full("[\\D]", "é"));
        assert!(!find("\\bé", "é"), "é is no word character for \\b");
        assert!(full(".", "é"));
        assert!(!full(".", "\n"));
        assert!(!full("a$", "a\n"), "`$` is the end of the value only");
        assert!(full("[^\\s]+", "a-b"));
        assert!(full("[\\s\\d]+", " 1\t2"));
        assert!(full("[*+?{}()|^$.-]+", "*+?{}()|^$.-"));
    }

    #[test]
    fn syntax_errors_point_at_the_fault() {
        let e = err("(abc");
        assert_eq!((e.start, e.end), (0, 1));
        assert!(e.message.contains("unclosed group"), "{e:?}");
        let e = err("abc)");
        assert_eq!((e.start, e.end), (3, 4));
        let e = err("[a-z");
        assert_eq!((e.start, e.end), (0, 1));
        assert!(e.message.contains("unclosed class"));
        let e = err("x[z-a]");
        assert_eq!((e.start, e.end), (2, 5));
        assert!(e.message.contains("invalid range"));
        let e = err("*a");
        assert_eq!((e.start, e.end), (0, 1));
        assert!(e.message.contains("nothing to repeat"));
        let e = err("a**");
        assert_eq!((e.start, e.end), (2, 3));
        let e = err("a{3,2}");
        assert_eq!((e.start, e.end), (1, 6));
        let e = err("a{1001}");
        assert!(e.message.contains("larger than 1000"));
        let e = err("ab\\");
        assert_eq!((e.start, e.end), (2, 3));
        assert!(e.message.contains("trailing backslash"));
        let e = err("\\q");
        assert_eq!((e.start, e.end), (0, 2));
        assert!(e.message.contains("unknown escape"));
        let e = err("^*");
        assert!(e.message.contains("anchor"));
        let e = err("[[:alfa:]]");
        assert!(e.message.contains("POSIX"));
        for pattern in ["(abc", "[a", "*", "\\k"] {
            assert!(!err(pattern).unsupported, "{pattern}");
        }
    }

    #[test]
    fn unsupported_features_are_told_apart() {
        for pattern in [
            "(?=a)", "(?!a)", "(?<=a)b", "(a)\\1", "\\p{L}", "(?i)abc", "a++",
        ] {
            let e = err(pattern);
            assert!(e.unsupported, "{pattern}: {e:?}");
        }
    }

    #[test]
    fn clones_share_what_is_compiled() {
        // A component param's constraints are cloned for each value
        // checked: the first check builds for every clone.
        let pattern = Regex::new("^[a-z]+-[0-9]+$").unwrap();
        let (first, second) = (pattern.clone(), pattern.clone());
        assert!(first.full_match("web-1"));
        assert!(first.find("web-1"));
        assert!(second.automaton.get().is_some_and(Option::is_some));
        // A short value needs no compiled pattern; a long one does.
        assert!(pattern.whole.get().is_none() && pattern.part.get().is_none());
        let long = format!("web-{}", "1".repeat(1 << 20));
        assert!(second.full_match(&long) && second.find(&long));
        assert!(pattern.whole.get().is_some() && pattern.part.get().is_some());
        assert!(!second.full_match("web"));
    }

    #[test]
    fn a_pattern_too_large_for_the_automaton_is_matched_by_the_crate() {
        let pattern = Regex::new("(?:(?:a|b){1000}){5}").unwrap();
        assert!(pattern.full_match(&"ab".repeat(2500)));
        assert!(!pattern.full_match(&"ab".repeat(2499)));
        assert!(pattern.automaton.get().is_some_and(Option::is_none));
        assert!(pattern.whole.get().is_some());
        // Repetitions of nothing in large counts are not walked.
        let empty = Regex::new("(?:(?:(?:){1000}){1000}){1000}").unwrap();
        assert!(empty.full_match("") && !empty.full_match("a"));
    }

    #[test]
    fn a_pattern_matched_often_is_compiled() {
        let pattern = Regex::new("^[a-z]+-[0-9]+$").unwrap();
        for i in 0..AUTOMATON_MATCHES {
            assert!(pattern.clone().full_match(&format!("web-{i}")));
        }
        assert!(pattern.whole.get().is_none());
        assert!(pattern.full_match("web-1") && !pattern.full_match("web"));
        assert!(pattern.whole.get().is_some());
    }

    /// Generated patterns, each matched against every text by the
    /// automaton and by the `regex` crate: their answers must agree.
    #[test]
    fn the_automaton_agrees_with_the_regex_crate() {
        const ATOMS: &[&str] = &[
            "a",
            "b",
            ".",
            "[a-c]",
            "[^a]",
            "\\d",
            "\\w",
            "\\s",
            "\\W",
            "\\b",
            "\\B",
            "^",
            "$",
            "-",
            "é",
            "[[:alpha:]]",
            "[\\d_]",
            "[^\\s]",
            "\\A",
            "\\z",
            "[^\\W\\d]",
        ];
        const QUANTIFIERS: &[&str] = &["", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?", "{0}"];
        const TEXTS: &[&str] = &[
            "", "a", "b", "ab", "ba", "aab", "abc", "a b", "a-1", "1", "é", "\n", "a\nb", "abab",
            "__", "ccc", " a", "-", "bé", "a1_b", "aaaaaaaa",
        ];
        // xorshift: the same patterns on every run.
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        fn pattern(next: &mut dyn FnMut(usize) -> usize, depth: usize) -> String {
            let mut out = String::new();
            for _ in 0..1 + next(4) {
                if depth < 2 && next(4) == 0 {
                    let alternatives = 1 + next(3);
                    let branches: Vec<String> = (0..alternatives)
                        .map(|_| pattern(next, depth + 1))
                        .collect();
                    out.push('(');
                    out.push_str(&branches.join("|"));
                    out.push(')');
                } else {
                    out.push_str(ATOMS[next(ATOMS.len())]);
                }
                out.push_str(QUANTIFIERS[next(QUANTIFIERS.len())]);
            }
            out
        }
        let mut compared = 0;
        for _ in 0..3000 {
            let source = pattern(&mut next, 0);
            let Ok(regex) = Regex::new(&source) else {
                continue;
            };
            let automaton = Automaton::new(&regex.root).expect(&source);
            let whole = compile(&anchored(&written(&regex.root))).unwrap();
            let part = compile(&written(&regex.root)).unwrap();
            for text in TEXTS {
                assert_eq!(
                    automaton.matches(text, true),
                    whole.is_match(text),
                    "{source} against {text:?}, whole"
                );
                assert_eq!(
                    automaton.matches(text, false),
                    part.is_match(text),
                    "{source} against {text:?}, some part"
                );
                compared += 1;
            }
        }
        assert!(compared > 20_000, "only {compared} comparisons");
    }

    #[test]
    fn nested_loops_match_in_linear_time() {
        // Backtracking takes exponential time on these; the automaton
        // follows each state once a character.
        let text = "a".repeat(5000);
        assert!(!full("(a*)*b", &text));
        assert!(find("(a|aa)+$", &text));
        assert!(!full("(a?){30}a{30}b", &"a".repeat(30)));
    }

    #[test]
    fn anchoring() {
        assert!(Regex::new("^a$").unwrap().is_anchored());
        assert!(Regex::new("\\Aa\\z").unwrap().is_anchored());
        assert!(!Regex::new("^a").unwrap().is_anchored());
        assert!(!Regex::new("a$").unwrap().is_anchored());
        assert!(!Regex::new("^a\\$").unwrap().is_anchored());
        assert!(Regex::new("^a\\\\$").unwrap().is_anchored());
    }

    #[test]
    fn a_pattern_compiled_on_first_use_is_one_that_compiles() {
        // The largest of each shape below the size compiled at once.
        for pattern in [
            ".{61}",
            "[^a]{30}",
            "[\\x{80}-\\x{10FFFF}]{30}",
            "[a-z\\d\\W\\s]{11}",
            "(?:\\w|\\S|[^x]){9}",
            "^([0-9]{1,3}[.]){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$",
        ] {
            let regex = Regex::new(pattern).unwrap();
            let mut parser = Parser {
                chars: pattern.chars().collect(),
                pos: 0,
            };
            let states = nfa_states(&parser.alternation(0).unwrap());
            assert!(states <= SURELY_COMPILED_STATES, "{pattern}: {states}");
            assert!(regex.whole.get().is_none(), "{pattern}");
            assert!(
                compile(&anchored(&written(&regex.root))).is_ok(),
                "{pattern}"
            );
            assert!(compile(&written(&regex.root)).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn a_pattern_too_large_to_compile_is_refused_where_it_is_written() {
        let e = err("(.{1000}){1000}");
        assert!(e.unsupported, "{e:?}");
        assert!(e.message.contains("this large"), "{e:?}");
    }
}
