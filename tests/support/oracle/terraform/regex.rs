//! A small backtracking matcher for the RE2 syntax Terraform's `regex`,
//! `regexall` and `replace` take (the crate has no regex dependency).
//! Syntax it does not know is an error, never a silent mismatch.

#[derive(Debug)]
enum Node {
    Char(char),
    /// `.`: any character but a newline.
    Any,
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    WordBoundary(bool),
    Group(Box<Node>, Option<usize>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>, bool),
}

pub struct Regex {
    root: Node,
    /// Capture group names, by group number - 1 (`None` when unnamed).
    pub names: Vec<Option<String>>,
}

/// A match: the span and each group's span, by char index.
pub type Captures = Vec<Option<(usize, usize)>>;

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let mut p = Parse {
            s: pattern.chars().collect(),
            i: 0,
            names: Vec::new(),
        };
        let root = p.alt()?;
        if p.i < p.s.len() {
            return Err(format!("invalid regex {pattern:?}: unbalanced `)`"));
        }
        Ok(Regex {
            root,
            names: p.names,
        })
    }

    /// The leftmost match in `text` at or after char `from`: group 0 is the
    /// whole match.
    pub fn find(&self, text: &[char], from: usize) -> Option<Captures> {
        for start in from..=text.len() {
            let mut caps: Captures = vec![None; self.names.len() + 1];
            let mut end = None;
            let m = Matcher { text };
            if m.node(&self.root, start, &mut caps, &mut |j, _| {
                end = Some(j);
                true
            }) {
                caps[0] = Some((start, end.expect("set on success")));
                return Some(caps);
            }
        }
        None
    }
}

struct Parse {
    s: Vec<char>,
    i: usize,
    names: Vec<Option<String>>,
}

impl Parse {
    fn unsupported(&self, what: &str) -> String {
        let s: String = self.s.iter().collect();
        format!("regex {s:?}: {what} is not supported by the oracle")
    }

    fn alt(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.concat()?];
        while self.s.get(self.i) == Some(&'|') {
            self.i += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().expect("one branch")
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(&c) = self.s.get(self.i) {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.repeat(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn repeat(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.s.get(self.i) {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.counted() {
                Some(r) => r,
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        // Past the operator, or the closing brace `counted` stopped on.
        self.i += 1;
        let greedy = if self.s.get(self.i) == Some(&'?') {
            self.i += 1;
            false
        } else {
            true
        };
        Ok(Node::Repeat(Box::new(atom), min, max, greedy))
    }

    /// `{n}`, `{n,}`, `{n,m}`, leaving `i` on the closing brace; `None`
    /// (nothing consumed) when the brace is a literal.
    fn counted(&mut self) -> Option<(u32, Option<u32>)> {
        let rest: String = self.s[self.i..].iter().collect();
        let close = rest.find('}')?;
        let body = &rest[1..close];
        let (min, max) = match body.split_once(',') {
            None => {
                let n = body.parse().ok()?;
                (n, Some(n))
            }
            Some((a, "")) => (a.parse().ok()?, None),
            Some((a, b)) => (a.parse().ok()?, Some(b.parse().ok()?)),
        };
        self.i += rest[..close].chars().count();
        Some((min, max))
    }

    fn atom(&mut self) -> Result<Node, String> {
        let c = self.s[self.i];
        self.i += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '(' => {
                let mut index = None;
                if self.s.get(self.i) == Some(&'?') {
                    if self.s.get(self.i + 1) == Some(&':') {
                        self.i += 2;
                    } else if self.s.get(self.i + 1) == Some(&'P')
                        && self.s.get(self.i + 2) == Some(&'<')
                    {
                        self.i += 3;
                        let start = self.i;
                        while self.s.get(self.i).is_some_and(|c| *c != '>') {
                            self.i += 1;
                        }
                        let name: String = self.s[start..self.i].iter().collect();
                        self.i += 1;
                        self.names.push(Some(name));
                        index = Some(self.names.len());
                    } else {
                        return Err(self.unsupported("a `(?` flag group"));
                    }
                } else {
                    self.names.push(None);
                    index = Some(self.names.len());
                }
                let inner = self.alt()?;
                if self.s.get(self.i) != Some(&')') {
                    return Err(self.unsupported("an unclosed group"));
                }
                self.i += 1;
                Node::Group(Box::new(inner), index)
            }
            '[' => self.class()?,
            '\\' => self.escape(false)?,
            '*' | '+' | '?' => return Err(self.unsupported("a repetition of nothing")),
            c => Node::Char(c),
        })
    }

    fn escape(&mut self, in_class: bool) -> Result<Node, String> {
        let Some(&c) = self.s.get(self.i) else {
            return Err(self.unsupported("a trailing backslash"));
        };
        self.i += 1;
        let class = |ranges: &[(char, char)], neg: bool| Node::Class(ranges.to_vec(), neg);
        Ok(match c {
            'd' => class(DIGIT, false),
            'D' => class(DIGIT, true),
            'w' => class(WORD, false),
            'W' => class(WORD, true),
            's' => class(SPACE, false),
            'S' => class(SPACE, true),
            'b' if !in_class => Node::WordBoundary(true),
            'B' if !in_class => Node::WordBoundary(false),
            'n' => Node::Char('\n'),
            't' => Node::Char('\t'),
            'r' => Node::Char('\r'),
            c if c.is_ascii_punctuation() => Node::Char(c),
            _ => return Err(self.unsupported(&format!("the escape `\\{c}`"))),
        })
    }

    fn class(&mut self) -> Result<Node, String> {
        let mut ranges = Vec::new();
        let negated = self.s.get(self.i) == Some(&'^');
        if negated {
            self.i += 1;
        }
        let mut first = true;
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.unsupported("an unclosed `[`"));
            };
            if c == ']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == '[' && self.s.get(self.i + 1) == Some(&':') {
                let end = (self.i + 2..self.s.len().saturating_sub(1))
                    .find(|&j| self.s[j] == ':' && self.s[j + 1] == ']')
                    .ok_or_else(|| self.unsupported("`[:`"))?;
                let name: String = self.s[self.i + 2..end].iter().collect();
                self.i = end + 2;
                ranges.extend_from_slice(match name.as_str() {
                    "alpha" => ALPHA,
                    "digit" => DIGIT,
                    "alnum" => ALNUM,
                    "space" => SPACE,
                    "upper" => &[('A', 'Z')],
                    "lower" => &[('a', 'z')],
                    "xdigit" => &[('0', '9'), ('a', 'f'), ('A', 'F')],
                    _ => return Err(self.unsupported(&format!("[:{name}:]"))),
                });
                continue;
            }
            self.i += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Node::Char(ch) => ch,
                    Node::Class(r, false) => {
                        ranges.extend(r);
                        continue;
                    }
                    _ => return Err(self.unsupported("a negated class escape inside `[]`")),
                }
            } else {
                c
            };
            if self.s.get(self.i) == Some(&'-') && self.s.get(self.i + 1).is_some_and(|c| *c != ']')
            {
                let mut hi = self.s[self.i + 1];
                self.i += 2;
                if hi == '\\' {
                    match self.escape(true)? {
                        Node::Char(ch) => hi = ch,
                        _ => return Err(self.unsupported("a class as a range end")),
                    }
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Node::Class(ranges, negated))
    }
}

const DIGIT: &[(char, char)] = &[('0', '9')];
const ALPHA: &[(char, char)] = &[('a', 'z'), ('A', 'Z')];
const ALNUM: &[(char, char)] = &[('a', 'z'), ('A', 'Z'), ('0', '9')];
const WORD: &[(char, char)] = &[('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
const SPACE: &[(char, char)] = &[
    (' ', ' '),
    ('\t', '\t'),
    ('\n', '\n'),
    ('\r', '\r'),
    ('\x0c', '\x0c'),
];

struct Matcher<'t> {
    text: &'t [char],
}

type Cont<'k> = &'k mut dyn FnMut(usize, &mut Captures) -> bool;

impl Matcher<'_> {
    fn is_word(&self, i: usize) -> bool {
        self.text
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
    }

    /// Matches `n` at `i`, then asks `k` whether the rest matches from
    /// where `n` ended; backtracks through `n`'s choices until `k` agrees.
    fn node(&self, n: &Node, i: usize, caps: &mut Captures, k: Cont) -> bool {
        match n {
            Node::Char(c) => self.text.get(i) == Some(c) && k(i + 1, caps),
            Node::Any => self.text.get(i).is_some_and(|c| *c != '\n') && k(i + 1, caps),
            Node::Class(ranges, neg) => {
                self.text
                    .get(i)
                    .is_some_and(|c| ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *neg)
                    && k(i + 1, caps)
            }
            Node::Start => i == 0 && k(i, caps),
            Node::End => i == self.text.len() && k(i, caps),
            Node::WordBoundary(want) => {
                let at =
                    i > 0 && self.is_word(i - 1) != self.is_word(i) || i == 0 && self.is_word(0);
                at == *want && k(i, caps)
            }
            Node::Group(inner, index) => self.node(inner, i, caps, &mut |j, caps| {
                let Some(g) = index else {
                    return k(j, caps);
                };
                let saved = caps[*g];
                caps[*g] = Some((i, j));
                k(j, caps) || {
                    caps[*g] = saved;
                    false
                }
            }),
            Node::Concat(items) => self.seq(items, i, caps, k),
            Node::Alt(branches) => branches.iter().any(|b| self.node(b, i, caps, k)),
            Node::Repeat(inner, min, max, greedy) => {
                self.repeat(inner, (*min, *max, *greedy), 0, i, caps, k)
            }
        }
    }

    fn seq(&self, items: &[Node], i: usize, caps: &mut Captures, k: Cont) -> bool {
        match items.split_first() {
            None => k(i, caps),
            Some((first, rest)) => {
                self.node(first, i, caps, &mut |j, caps| self.seq(rest, j, caps, k))
            }
        }
    }

    fn repeat(
        &self,
        inner: &Node,
        (min, max, greedy): (u32, Option<u32>, bool),
        done: u32,
        i: usize,
        caps: &mut Captures,
        k: Cont,
    ) -> bool {
        // A repeated single character needs no recursion per iteration:
        // count how far it matches, then try the rest from each length.
        if let Node::Char(_) | Node::Any | Node::Class(..) = inner
            && done == 0
        {
            let one = |j: usize| self.node(inner, j, &mut Vec::new(), &mut |_, _| true);
            let limit = max.map_or(usize::MAX, |m| m as usize);
            let mut n = 0;
            while n < limit && one(i + n) {
                n += 1;
            }
            if n < min as usize {
                return false;
            }
            let mut lengths = min as usize..=n;
            return if greedy {
                lengths.rev().any(|l| k(i + l, caps))
            } else {
                lengths.any(|l| k(i + l, caps))
            };
        }
        let more = |caps: &mut Captures, k: Cont| {
            max.is_none_or(|m| done < m)
                && self.node(inner, i, caps, &mut |j, caps| {
                    // An empty iteration past the minimum cannot help.
                    (j != i || done < min)
                        && self.repeat(inner, (min, max, greedy), done + 1, j, caps, k)
                })
        };
        if done < min {
            return more(caps, k);
        }
        // Greedy tries one more iteration before the rest; lazy the reverse.
        if greedy {
            if more(caps, k) {
                return true;
            }
            k(i, caps)
        } else {
            if k(i, caps) {
                return true;
            }
            more(caps, k)
        }
    }
}
