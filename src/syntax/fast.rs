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
//! counts it (refused above [`MAX_EXPR_DEPTH`]), doc comments through the
//! lowering's own [`doc_before`], escapes and `"""` dedent through its
//! helpers.

use super::ast::*;
use super::lower::{MAX_EXPR_DEPTH, dedent, doc_before, known_escape, push_text};
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
/// returns `None` when the pest path would report anything.
pub fn parse(file: FileId, text: &str, starts: &[usize]) -> Option<SourceFile> {
    // Chunks are independent: a large file's second half is read on another
    // thread while this one reads the first.
    let split = (text.len() >= PARALLEL_MIN_BYTES)
        .then(|| starts.partition_point(|&start| start < text.len() / 2))
        .filter(|&at| at > 0 && at < starts.len())
        .filter(|_| several_cores());
    let (items, comments) = match split {
        None => parse_chunks(file, text, starts, text.len(), starts.len())?,
        Some(at) => {
            let second_half = || parse_chunks(file, text, &starts[at..], text.len(), 0);
            let (first, second) = std::thread::scope(|scope| {
                let thread = std::thread::Builder::new().spawn_scoped(scope, second_half);
                // Room for both halves' items, which the second joins.
                let first = parse_chunks(file, text, &starts[..at], starts[at], starts.len());
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
    last_end: usize,
    capacity: usize,
) -> Option<(Vec<Item>, Vec<Comment>)> {
    let mut parser = Parser {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        comments: Vec::new(),
        bail: false,
        stack_base: 0,
        open_properties: Vec::new(),
        open_items: Vec::new(),
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
            items.push(parser.declaration()?);
            parser.skip();
        }
    }
    if parser.bail {
        return None;
    }
    Some((items, parser.comments))
}

/// An operand with its depth, counted as the lowering counts it: a leaf is
/// 1, a node one more than its deepest child.
type Operand = (Expr, u32);

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
    Call((Vec<Expr>, u32)),
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
    /// [`stack_address`] when parsing started.
    stack_base: usize,
    /// The properties of the blocks and objects being read, innermost last,
    /// and the items of the lists and calls: gathered here, then moved into
    /// vectors of their exact size. A large file's tree is mostly these, and
    /// a vector grown one push at a time is mostly empty room.
    open_properties: Vec<Property>,
    open_items: Vec<Expr>,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `operator_start`: the bytes an infix operator can start with.
fn is_operator_start(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'%' | b'&' | b'*' | b'+' | b'-' | b'.' | b'/' | b'<' | b'=' | b'>' | b'?' | b'|'
    )
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
                        let len = rest
                            .iter()
                            .position(|&b| b == b'\n' || b == b'\r')
                            .unwrap_or(rest.len());
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
        let text = &self.text[start..self.pos];
        self.comments.push(super::comment(self.file, start, text));
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

    // ------------------------------------------------------------ declarations

    /// `decl`, at the top level of a chunk.
    fn declaration(&mut self) -> Option<Item> {
        let start = self.pos;
        let kind = match self.word() {
            b"import" => ItemKind::Import(self.import_decl()?),
            b"param" => ItemKind::Param(self.param_decl()?),
            b"let" => ItemKind::Let(self.let_decl()?),
            b"resource" => ItemKind::Resource(self.resource_decl()?),
            b"output" => ItemKind::Output(self.output_decl()?),
            b"type" => ItemKind::TypeAlias(self.type_decl()?),
            b"component" | b"native" | b"stateless" | b"persistent" | b"volatile" => {
                match self.attempt(Self::component_decl) {
                    Some(component) => ItemKind::Component(component),
                    None => ItemKind::Native(self.native_decl()?),
                }
            }
            _ => return None,
        };
        Some(self.item(start, kind))
    }

    /// `component_item`: a declaration, then `&decl_end`.
    fn component_item(&mut self) -> Option<Item> {
        let start = self.pos;
        let kind = match self.word() {
            b"param" => ItemKind::Param(self.param_decl()?),
            b"let" => ItemKind::Let(self.let_decl()?),
            b"resource" => ItemKind::Resource(self.resource_decl()?),
            b"output" => ItemKind::Output(self.output_decl()?),
            b"type" => ItemKind::TypeAlias(self.type_decl()?),
            b"target" => ItemKind::Target(self.target_block()?),
            _ => return None,
        };
        // The item's span ends with its rule; the skip is the silent
        // `component_item`'s.
        let item = self.item(start, kind);
        self.skip();
        self.at_decl_end().then_some(item)
    }

    /// `target_item`: a declaration, then `&decl_end`.
    fn target_item(&mut self) -> Option<Item> {
        let start = self.pos;
        let kind = match self.word() {
            b"let" => ItemKind::Let(self.let_decl()?),
            b"resource" => ItemKind::Resource(self.resource_decl()?),
            b"output" => ItemKind::Output(self.output_decl()?),
            b"unsupported" => {
                self.keyword("unsupported")?;
                self.skip();
                ItemKind::Unsupported(self.string()?)
            }
            _ => return None,
        };
        let item = self.item(start, kind);
        self.skip();
        self.at_decl_end().then_some(item)
    }

    /// `decl_end`, as a lookahead: the end, `}` or a declaration word.
    fn at_decl_end(&self) -> bool {
        self.pos == self.bytes.len() || self.at(b"}") || is_declaration_word(self.word())
    }

    fn import_decl(&mut self) -> Option<Import> {
        self.keyword("import")?;
        self.skip();
        let path = self.string()?;
        self.skip();
        self.keyword("as")?;
        self.skip();
        let alias = self.ident()?;
        Some(Import { path, alias })
    }

    /// `(":" ~ type_expr)?`, after the skip before it.
    fn type_annotation(&mut self) -> Option<TypeExpr> {
        self.attempt(|p| {
            p.eat(b":")?;
            p.skip();
            p.type_expr()
        })
    }

    /// `("=" ~ expr)?`, after the skip before it.
    fn optional_value(&mut self) -> Option<Expr> {
        self.attempt(|p| {
            p.eat(b"=")?;
            p.skip();
            p.expr()
        })
    }

    /// `KEYWORD name (: type)? (= value)? block?`: a param, and the shape of
    /// an output too.
    fn param_shaped(&mut self, keyword: &str) -> Option<Param> {
        self.keyword(keyword)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let ty = self.type_annotation();
        self.skip();
        let default = self.optional_value();
        self.skip();
        let options = self.attempt(Self::block);
        Some(Param {
            name,
            ty,
            default,
            options,
        })
    }

    fn param_decl(&mut self) -> Option<Param> {
        self.param_shaped("param")
    }

    fn let_decl(&mut self) -> Option<Let> {
        self.keyword("let")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let ty = self.type_annotation();
        self.skip();
        self.eat(b"=")?;
        self.skip();
        let value = self.expr()?;
        Some(Let { name, ty, value })
    }

    fn resource_decl(&mut self) -> Option<Resource> {
        self.keyword("resource")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.eat(b":")?;
        self.skip();
        // resource_type = { string | type_path }
        let ty = if self.peek() == Some(b'"') {
            ResourceType::Raw(self.string()?)
        } else {
            ResourceType::Path(self.type_path()?)
        };
        self.skip();
        let for_guard = self.attempt(|p| {
            let start = p.pos;
            p.keyword("for")?;
            p.skip();
            let binding = p.binding()?;
            p.skip();
            p.keyword("in")?;
            p.skip();
            let iterable = p.expr()?;
            Some(ForGuard {
                binding,
                iterable,
                span: p.span(start),
            })
        });
        self.skip();
        let if_guard = self.attempt(|p| {
            p.keyword("if")?;
            p.skip();
            p.expr()
        });
        self.skip();
        let body = self.block()?;
        Some(Resource {
            name,
            ty,
            for_guard,
            if_guard,
            body,
        })
    }

    fn output_decl(&mut self) -> Option<Output> {
        let Param {
            name,
            ty,
            default: value,
            options,
        } = self.param_shaped("output")?;
        Some(Output {
            name,
            ty,
            value,
            options,
        })
    }

    fn type_decl(&mut self) -> Option<TypeAlias> {
        self.keyword("type")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.eat(b"=")?;
        self.skip();
        let ty = self.type_expr()?;
        Some(TypeAlias { name, ty })
    }

    /// `state_class`.
    fn state_class(&mut self) -> Option<StateClass> {
        let state = match self.word() {
            b"stateless" => StateClass::Stateless,
            b"persistent" => StateClass::Persistent,
            b"volatile" => StateClass::Volatile,
            _ => return None,
        };
        self.pos += state.as_str().len();
        Some(state)
    }

    fn component_decl(&mut self) -> Option<Component> {
        let state = self.state_class();
        self.skip();
        self.keyword("component")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.eat(b"{")?;
        self.skip();
        let items = self.repeat(Self::component_item);
        self.skip();
        self.eat(b"}")?;
        Some(Component { state, name, items })
    }

    fn target_block(&mut self) -> Option<TargetBlock> {
        self.keyword("target")?;
        self.skip();
        let target = self.target_name()?;
        self.skip();
        self.eat(b"{")?;
        self.skip();
        let items = self.repeat(Self::target_item);
        self.skip();
        self.eat(b"}")?;
        Some(TargetBlock { target, items })
    }

    fn native_decl(&mut self) -> Option<Native> {
        let state = self.state_class();
        self.skip();
        self.keyword("native")?;
        self.skip();
        let type_name = self.string()?;
        self.skip();
        self.keyword("on")?;
        self.skip();
        let target = self.target_name()?;
        self.skip();
        self.eat(b"{")?;
        self.skip();
        // (schema_member | property)*
        let members = self.repeat(|p| {
            let start = p.pos;
            let kind = match p.attempt(Self::schema_member) {
                Some(kind) => kind,
                None => MemberKind::Setting(p.property()?),
            };
            Some(SchemaMember {
                doc: p.doc(start),
                kind,
                span: p.span(start),
            })
        });
        self.skip();
        self.eat(b"}")?;
        Some(Native {
            state,
            type_name,
            target,
            members,
        })
    }

    /// `schema_member`: `property name: type = default` or `attribute ...`.
    fn schema_member(&mut self) -> Option<MemberKind> {
        let is_property = match self.word() {
            b"property" => true,
            b"attribute" => false,
            _ => return None,
        };
        self.pos += self.word().len();
        self.skip();
        let key = self.key()?;
        let name = Ident {
            name: key.name,
            span: key.span,
        };
        self.skip();
        self.eat(b":")?;
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        let value = self.optional_value();
        let field = Field { name, ty, value };
        Some(if is_property {
            MemberKind::Property(field)
        } else {
            MemberKind::Attribute(field)
        })
    }

    /// `target_name`: words joined by `-`, atomic.
    fn target_name(&mut self) -> Option<Ident> {
        let start = self.pos;
        self.pos += self.peek_name()?.len();
        // ("-" ~ name)*: a dash without a name after it is not part of it.
        while self.peek() == Some(b'-') {
            self.pos += 1;
            match self.peek_name() {
                Some(name) => self.pos += name.len(),
                None => {
                    self.pos -= 1;
                    break;
                }
            }
        }
        let len = self.pos - start;
        self.pos = start;
        Some(self.take_ident(len))
    }

    /// `block`: `{ key = value ... }`, commas optional.
    fn block(&mut self) -> Option<Block> {
        let start = self.pos;
        let properties = self.properties()?;
        Some(Block {
            properties,
            span: self.span(start),
        })
    }

    /// `"{" ~ (property ~ ","?)* ~ "}"`, shared by `block` and `object`.
    fn properties(&mut self) -> Option<Vec<Property>> {
        let base = self.open_properties.len();
        match self.open_properties_until_close() {
            Some(()) => Some(self.open_properties.split_off(base)),
            None => {
                self.open_properties.truncate(base);
                None
            }
        }
    }

    fn open_properties_until_close(&mut self) -> Option<()> {
        self.eat(b"{")?;
        self.skip();
        // (property ~ ","?)*, by hand: the hottest loop of a large file.
        let mut first = true;
        loop {
            let checkpoint = self.checkpoint();
            if !first {
                self.skip();
            }
            first = false;
            if self.open_property().is_none() {
                self.restore(checkpoint);
                break;
            }
            self.skip();
            let _ = self.eat(b",");
        }
        self.skip();
        self.eat(b"}")
    }

    fn property(&mut self) -> Option<Property> {
        self.open_property()?;
        self.open_properties.pop()
    }

    /// `property`, pushed onto `open_properties`.
    fn open_property(&mut self) -> Option<()> {
        let start = self.pos;
        let key = self.key()?;
        self.skip();
        self.eat(b"=")?;
        self.skip();
        let value = self.expr()?;
        self.open_properties.push(Property {
            doc: self.doc(start),
            key,
            value,
            span: self.span(start),
        });
        Some(())
    }

    /// `key = _{ name | string }`; a string key must be plain text.
    fn key(&mut self) -> Option<Key> {
        if self.peek() == Some(b'"') {
            let string = self.string()?;
            let Some(name) = string.as_plain() else {
                // The lowering reports E0008.
                self.bail = true;
                return None;
            };
            return Some(Key {
                name,
                quoted: true,
                span: string.span,
            });
        }
        let name = self.name()?;
        Some(Key {
            name: name.name,
            quoted: false,
            span: name.span,
        })
    }

    /// `binding`: `x` or `i, x`.
    fn binding(&mut self) -> Option<Binding> {
        let first = self.ident()?;
        self.skip();
        let second = self.attempt(|p| {
            p.eat(b",")?;
            p.skip();
            p.ident()
        });
        Some(Binding { first, second })
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

    // ------------------------------------------------------------ types

    /// `type_expr`: terms joined by `|`.
    fn type_expr(&mut self) -> Option<TypeExpr> {
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
    fn type_path(&mut self) -> Option<TypePath> {
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

    // ------------------------------------------------------------ expressions

    // The functions on the way from an expression to its primary are inlined
    // into one another: operands are large values, and each call boundary
    // costs a copy of one (a tenth of the parse time of a large file).
    #[inline(always)]
    fn expr(&mut self) -> Option<Expr> {
        Some(self.expr_with_depth()?.0)
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
            let (lhs_expr, rhs_expr) = (Box::new(lhs.0), Box::new(rhs.0));
            lhs = match op {
                Infix::Ternary((then, then_depth)) => self.node(
                    ExprKind::Conditional(lhs_expr, Box::new(then), rhs_expr),
                    span,
                    depth.max(then_depth),
                )?,
                Infix::Range => self.node(ExprKind::Range(lhs_expr, rhs_expr), span, depth)?,
                Infix::Binary(op) => {
                    self.node(ExprKind::Binary(op, lhs_expr, rhs_expr), span, depth)?
                }
            };
        }
        Some(lhs)
    }

    /// Wraps `kind` one level above `depth`; deeper than the limit, the
    /// lowering reports E0004.
    fn node(&mut self, kind: ExprKind, span: Span, depth: u32) -> Option<Operand> {
        if depth + 1 > MAX_EXPR_DEPTH {
            self.bail = true;
            return None;
        }
        Some((Expr { kind, span }, depth + 1))
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
    fn sequence(&mut self, open: u8, close: u8) -> Option<(Vec<Expr>, u32)> {
        let base = self.open_items.len();
        match self.open_items_until(open, close) {
            Some(depth) => Some((self.open_items.split_off(base), depth)),
            None => {
                self.open_items.truncate(base);
                None
            }
        }
    }

    fn open_items_until(&mut self, open: u8, close: u8) -> Option<u32> {
        self.eat(&[open])?;
        self.skip();
        let checkpoint = self.checkpoint();
        let mut depth = 0;
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
                let multiline = if self.at(b"\"\"\"") {
                    self.attempt(Self::mstring)
                } else {
                    None
                };
                let string = match multiline {
                    Some(string) => string,
                    None => self.string()?,
                };
                let span = string.span;
                Some((
                    Expr {
                        kind: ExprKind::Str(string),
                        span,
                    },
                    1,
                ))
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
                    1,
                ));
            }
        };
        self.pos += word.len();
        Some((
            Expr {
                kind,
                span: self.span(start),
            },
            1,
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
        if let Some((comp, _)) = self.attempt(|p| p.comprehension(false)) {
            let span = self.span(start);
            return self.node(ExprKind::ListComp(Box::new(comp)), span, 1);
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
        if let Some((comp, value)) = self.attempt(|p| p.comprehension(true)) {
            let span = self.span(start);
            let kind = ExprKind::ObjectComp(Box::new(comp), Box::new(value?));
            return self.node(kind, span, 1);
        }
        let entries = self.properties()?;
        let span = self.span(start);
        self.node(ExprKind::Object(entries), span, 0)
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
                    1,
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
            1,
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

    // ------------------------------------------------------------ strings

    /// `string`: one line, escapes, `${}` interpolation.
    fn string(&mut self) -> Option<StringLit> {
        let start = self.pos;
        self.eat(b"\"")?;
        // Most strings are one part.
        let mut parts = Vec::with_capacity(1);
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.escape(&mut parts)?,
                b'$' if self.at(b"${") => parts.push(StrPart::Interp(self.interpolation()?)),
                // str_text stops at NEWLINE, and nothing else matches there.
                b'\n' | b'\r' => return None,
                _ => {
                    let text_start = self.pos;
                    self.pos += 1;
                    while let Some(b) = self.peek() {
                        match b {
                            b'"' | b'\\' | b'\n' | b'\r' => break,
                            b'$' if self.at(b"${") => break,
                            _ => self.pos += 1,
                        }
                    }
                    push_text(&mut parts, &self.text[text_start..self.pos]);
                }
            }
        }
        self.pos += 1;
        Some(StringLit {
            parts,
            multiline: false,
            span: self.span(start),
        })
    }

    /// `mstring`: `"""` ... `"""` over lines, dedented.
    fn mstring(&mut self) -> Option<StringLit> {
        let start = self.pos;
        self.eat(b"\"\"\"")?;
        // Most strings are one part.
        let mut parts = Vec::with_capacity(1);
        loop {
            match self.peek()? {
                b'"' if self.at(b"\"\"\"") => break,
                b'\\' => self.escape(&mut parts)?,
                b'$' if self.at(b"${") => parts.push(StrPart::Interp(self.interpolation()?)),
                _ => {
                    let text_start = self.pos;
                    self.pos += 1;
                    while let Some(b) = self.peek() {
                        match b {
                            b'\\' => break,
                            b'"' if self.at(b"\"\"\"") => break,
                            b'$' if self.at(b"${") => break,
                            _ => self.pos += 1,
                        }
                    }
                    push_text(&mut parts, &self.text[text_start..self.pos]);
                }
            }
        }
        self.pos += 3;
        Some(StringLit {
            parts: dedent(parts),
            multiline: true,
            span: self.span(start),
        })
    }

    /// `escape = @{ "\\" ~ ANY }`; the lowering reports an unknown one.
    fn escape(&mut self, parts: &mut Vec<StrPart>) -> Option<()> {
        let escaped = self.text[self.pos + 1..self.bytes.len()].chars().next()?;
        let at = self.pos + 1;
        self.pos = at + escaped.len_utf8();
        match known_escape(&self.text[at..self.pos]) {
            Some(text) => {
                push_text(parts, text);
                Some(())
            }
            None => {
                self.bail = true;
                None
            }
        }
    }

    /// `interp = !{ "${" ~ expr ~ "}" }`: whitespace and comments count again.
    fn interpolation(&mut self) -> Option<Expr> {
        self.eat(b"${")?;
        self.skip();
        let expr = self.expr()?;
        self.skip();
        self.eat(b"}")?;
        Some(expr)
    }
}
