//! Syntax errors a person can act on: no pest rule names, the exact span,
//! what was expected and what was found, and a did-you-mean for keywords.

use std::sync::Mutex;

use pest::Parser;
use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::{InfraParser, Rule};
use super::scan::{MAX_NESTING, ScanError};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{FileId, Span};
use crate::suggest;

const DECLARATION_KEYWORDS: &[&str] = &[
    "import",
    "param",
    "let",
    "resource",
    "existing",
    "output",
    "type",
    "component",
    "native",
    "target",
    "persistent",
    "stateless",
    "volatile",
];

pub fn scan_error(error: ScanError) -> Diagnostic {
    match error {
        ScanError::UnterminatedString(span, true) => {
            Diagnostic::new(&codes::E0002, span, "unterminated multi-line string")
                .label("this string has no closing `\"\"\"`")
                .help("close the string with `\"\"\"` on a line of its own")
        }
        ScanError::UnterminatedString(span, false) => {
            Diagnostic::new(&codes::E0002, span, "unterminated string")
                .label("this string has no closing quote")
                .help("close the string with `\"`; for text over several lines use `\"\"\"`")
        }
        ScanError::UnterminatedComment(span) => {
            Diagnostic::new(&codes::E0003, span, "unterminated block comment")
                .label("this comment is never closed")
                .help("close the comment with `*/`")
        }
        ScanError::TooDeep(span) => Diagnostic::new(&codes::E0004, span, "nesting too deep")
            .label(format!("more than {MAX_NESTING} levels deep here"))
            .help("split the value with `let` declarations"),
    }
}

/// The error in a chunk that the file grammar skipped. The chunk's
/// declaration is parsed alone; the declaration before it is parsed again
/// requiring that nothing follows it, which finds an unfinished optional tail
/// (`param x: int =`). The error that reaches further wins.
pub fn chunk_error(file: FileId, text: &str, start: usize, previous: Option<usize>) -> Diagnostic {
    let alone = parse_with_detail(Rule::decl_prefix, &text[start..])
        .map(|e| (start + error_offset(&e), start, e));
    let strict = previous.and_then(|p| {
        parse_with_detail(Rule::decl_strict, &text[p..]).map(|e| (p + error_offset(&e), p, e))
    });
    let best = match (alone, strict) {
        (Some(a), Some(s)) if s.0 > a.0 => Some(s),
        (Some(a), _) => Some(a),
        (None, s) => s,
    };
    match best {
        Some((_, base, error)) => pest_error(file, text, base, &error),
        None => {
            let end = token_end(text, start);
            Diagnostic::new(
                &codes::E0001,
                Span::new(file, start, end),
                "this declaration cannot be read here",
            )
            .label("unexpected text")
        }
    }
}

/// Error detail (the literal tokens expected) halves pest's speed, so it is
/// switched on only to re-parse a broken declaration. The switch is global:
/// the lock keeps concurrent re-parses from turning it off under each other.
fn parse_with_detail(rule: Rule, text: &str) -> Option<Error<Rule>> {
    static DETAIL: Mutex<()> = Mutex::new(());
    let _guard = DETAIL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    pest::set_error_detail(true);
    let result = InfraParser::parse(rule, text).err();
    pest::set_error_detail(false);
    result
}

fn error_offset(error: &Error<Rule>) -> usize {
    match error.parse_attempts() {
        Some(attempts) => attempts.max_position,
        None => match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        },
    }
}

/// Converts a pest error at `base + offset` into a diagnostic.
pub fn pest_error(file: FileId, text: &str, base: usize, error: &Error<Rule>) -> Diagnostic {
    let mut expected: Vec<String> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            push_unique(&mut expected, rule_name(*rule));
        }
    }
    let offset = match error.parse_attempts() {
        Some(attempts) => {
            // Literal tokens; ranges and built-in rules print as neither.
            let tokens: Vec<String> = attempts
                .expected_tokens()
                .iter()
                .map(ToString::to_string)
                .filter(|t| t != "BUILTIN_RULE" && !(t.chars().count() == 4 && t.contains("..")))
                .collect();
            // `-` and `!` alone are prefixes of an expression; with `+` or
            // `==` beside them they are binary operators, and so are `(`, `[`.
            let binary = tokens
                .iter()
                .any(|t| BINARY_ONLY_TOKENS.contains(&t.as_str()));
            for token in &tokens {
                let name = match token.as_str() {
                    "-" | "!" if !binary => "an expression".to_string(),
                    "(" | "[" if binary => "an operator".to_string(),
                    t => token_name(t),
                };
                push_unique(&mut expected, name);
            }
            attempts.max_position
        }
        None => match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        },
    };
    let at = back_to_reserved_word(text, (base + offset).min(text.len()));
    expected.retain(|e| !e.is_empty());
    simplify(&mut expected);
    let found = describe_found(text, at);
    let end = token_end(text, at);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_alternatives(&expected))
    };
    let mut diagnostic = Diagnostic::new(&codes::E0001, Span::new(file, at, end), message).label(
        if expected.is_empty() {
            "unexpected here".to_string()
        } else {
            format!("expected {}", join_alternatives(&expected))
        },
    );
    let word = word_at(text, at);
    if !word.is_empty()
        && expected.iter().any(|e| e.contains("declaration"))
        && let Some(keyword) = suggest::best_match(word, DECLARATION_KEYWORDS.iter().copied())
    {
        diagnostic = diagnostic.help(format!("did you mean `{keyword}`?"));
    }
    if text[at..].starts_with(':') && expected.iter().any(|e| e == "`=`") {
        diagnostic = diagnostic.help("properties are set with `=`, as in `name = value`");
    }
    diagnostic
}

/// pest's furthest position can stop just after a reserved word it tried as
/// a name; the error is that word, so point at its start.
fn back_to_reserved_word(text: &str, at: usize) -> usize {
    const RESERVED: &[&str] = &[
        "true",
        "false",
        "null",
        "if",
        "for",
        "in",
        "import",
        "param",
        "let",
        "resource",
        "output",
        "component",
        "native",
    ];
    let before = &text[..at];
    // The word starts after the last character that cannot be in one; that
    // character may take several bytes.
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    if start < at && RESERVED.contains(&&before[start..]) {
        start
    } else {
        at
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Human names for the rules a user may meet in "expected ..." messages.
fn rule_name(rule: Rule) -> String {
    let name = match rule {
        Rule::file | Rule::decl_prefix | Rule::decl_strict | Rule::bad_item => "a declaration",
        Rule::import_decl
        | Rule::param_decl
        | Rule::let_decl
        | Rule::resource_decl
        | Rule::existing_decl
        | Rule::output_decl
        | Rule::type_decl
        | Rule::component_decl
        | Rule::native_decl => "a declaration",
        Rule::target_block | Rule::unsupported => "a declaration",
        Rule::ident | Rule::name | Rule::binding => "a name",
        Rule::expr
        | Rule::postfix_expr
        | Rule::paren
        | Rule::list
        | Rule::list_comp
        | Rule::object
        | Rule::object_comp
        | Rule::comp_filter
        | Rule::int
        | Rule::float
        | Rule::kw_true
        | Rule::kw_false
        | Rule::kw_null => "an expression",
        Rule::string | Rule::mstring | Rule::str_text | Rule::mstr_text | Rule::escape => {
            "a string"
        }
        Rule::interp => "an expression",
        Rule::type_expr
        | Rule::type_term
        | Rule::type_path
        | Rule::list_type
        | Rule::map_type
        | Rule::object_type
        | Rule::paren_type
        | Rule::resource_type => "a type",
        Rule::field_type => "a field",
        Rule::optional_mark => "`?`",
        Rule::block => "`{`",
        Rule::property | Rule::schema_member => "a property",
        Rule::member_kind | Rule::kw_property | Rule::kw_attribute => "`property` or `attribute`",
        Rule::target_name => "a target name",
        Rule::state_class => "a state class",
        Rule::for_guard | Rule::kw_for => "`for`",
        Rule::if_guard | Rule::kw_if => "`if`",
        Rule::kw_in => "`in`",
        Rule::kw_as => "`as`",
        Rule::kw_on => "`on`",
        Rule::ternary
        | Rule::range
        | Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::le
        | Rule::ge
        | Rule::lt
        | Rule::gt
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem
        | Rule::member
        | Rule::index
        | Rule::call => "an operator",
        Rule::neg | Rule::not => "an expression",
        Rule::EOI => "end of file",
        _ => "",
    };
    name.to_string()
}

const OPERATOR_TOKENS: &[&str] = &[
    "!", "|", "?", "..", "||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", ".",
];
const BINARY_ONLY_TOKENS: &[&str] = &[
    "|", "?", "..", "||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "*", "/", "%", ".",
];
const EXPRESSION_START_TOKENS: &[&str] = &["(", "[", "{", "\"", "\"\"\"", "-", "!"];

fn token_name(token: &str) -> String {
    match token {
        "//" | "/*" | " " | "\t" | "\r" | "\n" | "\u{FEFF}" | "\r\n" => String::new(),
        "///" | "_" => String::new(),
        "true" | "false" | "null" => "an expression".to_string(),
        t if DECLARATION_KEYWORDS.contains(&t) || t == "unsupported" => "a declaration".to_string(),
        "stateless" | "persistent" | "volatile" => "a declaration".to_string(),
        t if OPERATOR_TOKENS.contains(&t) => "an operator".to_string(),
        t => format!("`{t}`"),
    }
}

/// Folds overlapping alternatives so the message names what matters.
fn simplify(expected: &mut Vec<String>) {
    let has_expression = expected.iter().any(|e| e == "an expression");
    if has_expression {
        expected.retain(|e| {
            !EXPRESSION_START_TOKENS
                .iter()
                .any(|t| *e == format!("`{t}`"))
                && e != "a name"
                && e != "a string"
        });
    }
    if expected.iter().any(|e| e == "a type") {
        expected
            .retain(|e| e != "`[`" && e != "`{`" && e != "`(`" && e != "a name" && e != "a string");
    }
    if expected.iter().any(|e| e == "a declaration") {
        expected.retain(|e| e != "end of file");
    }
    // Operators are rarely what the user meant to write; name them last.
    if let Some(pos) = expected.iter().position(|e| e == "an operator") {
        let op = expected.remove(pos);
        expected.push(op);
    }
}

fn join_alternatives(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn word_at(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..len]
}

/// End of the token starting at `at`, so the primary label covers it.
fn token_end(text: &str, at: usize) -> usize {
    let word = word_at(text, at);
    if !word.is_empty() {
        return at + word.len();
    }
    match text[at..].chars().next() {
        Some(c) if !c.is_whitespace() => at + c.len_utf8(),
        _ => at,
    }
}

fn describe_found(text: &str, at: usize) -> String {
    let word = word_at(text, at);
    if !word.is_empty() {
        return format!("`{word}`");
    }
    match text[at..].chars().next() {
        None => "end of file".to_string(),
        Some('\n') | Some('\r') => "end of line".to_string(),
        Some(c) if c.is_whitespace() => "whitespace".to_string(),
        Some(c) => format!("`{c}`"),
    }
}
