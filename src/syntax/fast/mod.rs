//! A hand-written parser for valid programs: the fast path of [`super::parse`].
//!
//! [`parse`] reads a file that the pest grammar accepts and the lowering
//! turns into a tree without a diagnostic, and returns exactly the tree the
//! pest path builds: the same spans, docs and comments. On anything else (a
//! syntax error, an integer that does not fit, a key or literal type with an interpolation,
//! an unknown escape, an expression nested too deeply, input deeper than
//! this parser wants to recurse) it returns `None` and the caller parses the
//! file again with pest, which reports the diagnostics. Error messages never
//! come from here.
//!
//! # How it matches pest
//!
//! The parser is a transcription of `grammar/infra.pest` as a PEG, one
//! function per rule, with the grammar's own semantics:
//!
//! - ordered choice: alternatives are tried in the grammar's order (most are
//!   decided by the first byte, and then only one alternative can match);
//! - greedy repetition and optional parts that never give back what they
//!   matched;
//! - backtracking: a rule function returns `None` when its rule does not
//!   match, leaving the cursor anywhere, and whoever goes on after a failure
//!   (an optional part, a repetition, the next alternative) first returns to
//!   a checkpoint: position and comment count ([`Parser::attempt`]);
//! - implicit whitespace and comments ([`Parser::skip`]) exactly where pest
//!   skips them: between the elements of a sequence in a non-atomic rule, and
//!   between the repetitions of `e*`, never inside atomic rules (strings,
//!   numbers, names, type paths, target names).
//!
//! The last point decides spans. In `a ~ b?` pest skips after `a` even when
//! `b` is absent, so a rule ending in an optional part spans the whitespace
//! and comments after it: `param x: int` followed by a blank line spans the
//! blank line, and so does an expression whose operand has no postfix
//! (`primary ~ postfix*`). A rule ending in a repetition does not: the
//! failed repetition gives back the skip before it. Every function here
//! skips in the same places so that every span ends where pest's does.
//!
//! Files are parsed chunk by chunk at the declaration starts found by
//! [`super::scan`], each chunk as if it were the whole input, because that is
//! what the pest path does: a declaration cannot run into the next chunk, and
//! lookaheads see the chunk's end as the end of input.
//!
//! The lowering's conventions are kept too: operator precedence through a
//! Pratt loop with pest's binding powers, the depth counted as the lowering
//! counts it (refused above
//! [`MAX_EXPR_DEPTH`](super::lower::MAX_EXPR_DEPTH)), doc comments through
//! the lowering's own [`doc_before`], escapes and `"""` dedent through its
//! helpers.
//!
//! # Files
//!
//! One file per part of the grammar: this one holds [`parse`], the chunks,
//! and the [`Parser`]'s machinery (checkpoints, implicit skipping, words and
//! names); `declarations`, `types`, `exprs` and `strings` hold the rule
//! functions.

mod declarations;
mod exprs;
mod strings;
mod types;

use super::ast::*;
use super::lower::doc_before;
use crate::source::{FileId, Span};

/// The stack this parser may use, in bytes, before it gives the file to
/// pest. Nesting is bounded (the scan allows 128 brackets, the lowering 256
/// operators), but a debug build spends kilobytes per level and the caller
/// may be a test thread with a small stack; real programs nest a few levels.
const STACK_BUDGET: usize = 256 * 1024;

/// Words that are not identifiers (`reserved` in the grammar).
const RESERVED: &[&[u8]] = &[
    b"true",
    b"false",
    b"null",
    b"if",
    b"in",
    b"import",
    b"for",
    b"param",
    b"let",
    b"resource",
    b"output",
    b"component",
    b"native",
];

/// Words that may follow a declaration inside a component or target block
/// (`decl_word`): those of a top-level declaration, and two more.
fn is_declaration_word(word: &[u8]) -> bool {
    super::scan::DECLARATION_WORDS.contains(&word) || word == b"target" || word == b"unsupported"
}

/// Files at least this large are parsed in two halves on two threads: below
/// it, starting a thread costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// Parses `text`, already scanned into chunks starting at `starts`, or
/// returns `None` when the pest path would report anything. With
/// `targets`, the `target` blocks of other targets are skipped, left empty.
/// Without `comments`, comments are skipped unkept, and no declaration
/// has a doc. The declarations that start in one of `gaps` (sorted byte
/// ranges, each ending where a declaration does) are passed over unread.
pub fn parse(
    file: FileId,
    text: &str,
    starts: &[usize],
    targets: Option<&[&str]>,
    comments: bool,
    gaps: &[(usize, usize)],
) -> Option<SourceFile> {
    // Chunks are independent: a large file's second half is read on another
    // thread while this one reads the first.
    let split = (text.len() >= PARALLEL_MIN_BYTES)
        .then(|| starts.partition_point(|&start| start < text.len() / 2))
        .filter(|&at| at > 0 && at < starts.len())
        .filter(|_| several_cores());
    let (items, comments) = match split {
        None => parse_chunks(
            file,
            text,
            starts,
            (text.len(), starts.len()),
            targets,
            comments,
            gaps,
        )?,
        Some(at) => {
            let second_half = || {
                parse_chunks(
                    file,
                    text,
                    &starts[at..],
                    (text.len(), 0),
                    targets,
                    comments,
                    gaps,
                )
            };
            let (first, second) = std::thread::scope(|scope| {
                let thread = std::thread::Builder::new().spawn_scoped(scope, second_half);
                // Room for both halves' items, which the second joins.
                let first = parse_chunks(
                    file,
                    text,
                    &starts[..at],
                    (starts[at], starts.len()),
                    targets,
                    comments,
                    gaps,
                );
                let second = match thread {
                    // A parse that panicked is a bug; pest still gets the file.
                    Ok(thread) => thread.join().ok().flatten(),
                    Err(_) => second_half(),
                };
                (first, second)
            });
            let (mut items, mut comments) = first?;
            let (more_items, more_comments) = second?;
            let first_of_second = items.len();
            items.extend(more_items);
            comments.extend(more_comments);
            // The doc comments of the second half's first declaration lie
            // in the first half, unseen by the thread that read it.
            if let Some(item) = items.get_mut(first_of_second) {
                item.doc = doc_before(text, &comments, item.span.start as usize);
            }
            (items, comments)
        }
    };
    Some(SourceFile {
        items,
        comments,
        span: Span::new(file, 0, text.len()),
    })
}

/// Whether the machine runs two threads at once. Asked once: the answer
/// comes from the OS's cgroup files.
fn several_cores() -> bool {
    static SEVERAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SEVERAL.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// The items and comments of the chunks starting at `starts`, the last one
/// ending at `last_end`, with room for `capacity` items (most chunks hold
/// one declaration).
fn parse_chunks(
    file: FileId,
    text: &str,
    starts: &[usize],
    (last_end, capacity): (usize, usize),
    targets: Option<&[&str]>,
    keep_comments: bool,
    mut gaps: &[(usize, usize)],
) -> Option<(Vec<Item>, Vec<Comment>)> {
    let mut parser = Parser {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        comments: Vec::new(),
        bail: false,
        inner_tree: 0,
        stack_base: 0,
        open_properties: Vec::new(),
        open_items: Vec::new(),
        targets,
        keep_comments,
    };
    parser.stack_base = stack_address();
    // Growing a vector of large items costs more than guessing its size.
    let mut items = Vec::with_capacity(capacity.max(starts.len()));
    let ends = starts.iter().skip(1).copied().chain([last_end]);
    for (start, end) in starts.iter().copied().zip(ends) {
        // file = { SOI ~ item* ~ EOI }, with every item a declaration: a
        // `bad_item` would be an error.
        parser.bytes = &text.as_bytes()[..end];
        parser.pos = start;
        parser.skip();
        while parser.pos < end {
            while gaps
                .first()
                .is_some_and(|&(_, gap_end)| gap_end <= parser.pos)
            {
                gaps = &gaps[1..];
            }
            match gaps.first() {
                Some(&(gap_start, gap_end)) if gap_start <= parser.pos => {
                    parser.pos = gap_end.min(end);
                }
                _ => items.push(parser.declaration()?),
            }
            parser.skip();
        }
    }
    if parser.bail {
        return None;
    }
    Some((items, parser.comments))
}

struct Parser<'t> {
    file: FileId,
    /// The whole file, for names and doc comments.
    text: &'t str,
    /// The file up to the end of the chunk being parsed: the end of input.
    bytes: &'t [u8],
    pos: usize,
    /// Every comment skipped so far, in source order.
    comments: Vec<Comment>,
    /// Set when pest would accept the text but the lowering would report a
    /// diagnostic, or the input is too deep for this parser: give up.
    bail: bool,
    /// The deepest tree among the expressions read since the innermost
    /// object, comprehension or string began (see `Parser::scoped`).
    inner_tree: u32,
    /// [`stack_address`] when parsing started.
    stack_base: usize,
    /// The properties of the blocks and objects being read, innermost last,
    /// and the items of the lists and calls: gathered here, then moved into
    /// vectors of their exact size. A large file's tree is mostly these, and
    /// a vector grown one push at a time is mostly empty room.
    open_properties: Vec<Property>,
    open_items: Vec<Expr>,
    /// The targets whose `target` blocks are read; `None`: every target's.
    targets: Option<&'t [&'t str]>,
    /// Whether comments are kept (and docs read from them).
    keep_comments: bool,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The address of a local of the caller's frame: how deep the stack is.
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(std::ptr::addr_of!(marker)) as usize
}

impl<'t> Parser<'t> {
    // ------------------------------------------------------------ machinery

    /// Called where the parser recurses (expressions, types): past the stack
    /// budget, gives up.
    fn deep(&mut self) -> bool {
        if stack_address().abs_diff(self.stack_base) > STACK_BUDGET {
            self.bail = true;
        }
        self.bail
    }

    /// Where the parser is: enough to backtrack to.
    fn checkpoint(&self) -> (usize, usize) {
        (self.pos, self.comments.len())
    }

    /// Returns to `checkpoint`, dropping the comments skipped since, as pest
    /// does on a failed sequence.
    fn restore(&mut self, (pos, comments): (usize, usize)) {
        self.pos = pos;
        self.comments.truncate(comments);
    }

    /// Runs `rule`; when it fails, returns to where it started.
    fn attempt<T>(&mut self, rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let checkpoint = self.checkpoint();
        let result = rule(self);
        if result.is_none() {
            self.restore(checkpoint);
        }
        result
    }

    /// `e*` in a non-atomic rule: `(e ~ (skip ~ e)*)?`. A failed repetition
    /// gives back the skip before it.
    fn repeat<T>(&mut self, mut rule: impl FnMut(&mut Self) -> Option<T>) -> Vec<T> {
        let mut out = Vec::new();
        loop {
            let checkpoint = self.checkpoint();
            if !out.is_empty() {
                self.skip();
            }
            match rule(self) {
                Some(item) => out.push(item),
                None => {
                    self.restore(checkpoint);
                    return out;
                }
            }
        }
    }

    /// pest's implicit `(WHITESPACE | COMMENT)*`, recording the comments.
    /// `WHITESPACE` is Unicode `White_Space` (what `char::is_whitespace`
    /// tests) and the byte order mark.
    fn skip(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'/' => match self.bytes.get(self.pos + 1) {
                    Some(b'/') => {
                        // To the end of the line: `\n`, `\r\n` or `\r`.
                        let start = self.pos;
                        let rest = &self.bytes[start + 2..];
                        let len =
                            crate::bytes::find_either(b'\n', b'\r', rest).unwrap_or(rest.len());
                        self.pos = start + 2 + len;
                        self.push_comment(start);
                    }
                    Some(b'*') => {
                        let start = self.pos;
                        let rest = &self.text[start + 2..self.bytes.len()];
                        // Unterminated: not a comment (the scan refuses
                        // such files before parsing).
                        let Some(len) = rest.find("*/") else { return };
                        self.pos = start + 2 + len + 2;
                        self.push_comment(start);
                    }
                    _ => return,
                },
                0x80.. => match self.text[self.pos..].chars().next() {
                    Some(c) if c.is_whitespace() || c == '\u{feff}' => self.pos += c.len_utf8(),
                    _ => return,
                },
                _ => return,
            }
        }
    }

    fn push_comment(&mut self, start: usize) {
        if self.keep_comments {
            let text = &self.text[start..self.pos];
            self.comments.push(super::comment(self.file, start, text));
        }
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at(&self, literal: &[u8]) -> bool {
        self.bytes[self.pos..].starts_with(literal)
    }

    /// A literal token.
    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        if self.at(literal) {
            self.pos += literal.len();
            Some(())
        } else {
            None
        }
    }

    /// The run of identifier characters at the cursor (possibly empty or
    /// starting with a digit): a keyword matches when it is all of it.
    fn word(&self) -> &'t [u8] {
        let bytes: &'t [u8] = self.bytes;
        let rest = &bytes[self.pos..];
        let len = rest
            .iter()
            .position(|&b| !is_ident_char(b))
            .unwrap_or(rest.len());
        &rest[..len]
    }

    /// `kw_*`: the word, not followed by an identifier character.
    fn keyword(&mut self, keyword: &str) -> Option<()> {
        if self.word() == keyword.as_bytes() {
            self.pos += keyword.len();
            Some(())
        } else {
            None
        }
    }

    fn doc(&self, start: usize) -> Option<String> {
        doc_before(self.text, &self.comments, start)
    }

    fn item(&self, start: usize, kind: ItemKind) -> Item {
        Item {
            doc: self.doc(start),
            kind,
            span: self.span(start),
        }
    }

    // ------------------------------------------------------------ names

    /// The `name` at the cursor (a word starting with a letter or `_`),
    /// without moving.
    fn peek_name(&self) -> Option<&'t [u8]> {
        let word = self.word();
        match word.first() {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => Some(word),
            _ => None,
        }
    }

    /// Moves past `len` bytes and returns them as an identifier.
    fn take_ident(&mut self, len: usize) -> Ident {
        let start = self.pos;
        self.pos += len;
        Ident {
            name: self.text[start..self.pos].to_string(),
            span: self.span(start),
        }
    }

    /// `name`, as an identifier (members, type path segments).
    fn name(&mut self) -> Option<Ident> {
        let name = self.peek_name()?;
        Some(self.take_ident(name.len()))
    }

    /// `ident`: a name that is not a reserved word.
    fn ident(&mut self) -> Option<Ident> {
        let name = self.peek_name()?;
        if RESERVED.contains(&name) {
            return None;
        }
        Some(self.take_ident(name.len()))
    }
}
