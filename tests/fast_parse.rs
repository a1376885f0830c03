//! The hand-written parser against pest: on every program in the repository,
//! on thousands of damaged copies and on targeted cases, `syntax::parse`
//! (fast path first) gives exactly what `syntax::parse_with_pest` gives, tree
//! and diagnostics; the fast path answers only for valid programs and falls
//! back on everything else.

use std::path::{Path, PathBuf};

use infra::diagnostics::Diagnostic;
use infra::source::FileId;
use infra::syntax::ast::SourceFile;
use infra::syntax::{parse, parse_fast, parse_with_pest};

/// Checks one text; returns whether it is valid (pest reports nothing).
fn same_as_pest(text: &str, what: &str) -> bool {
    compare(text, what, parse_with_pest(FileId(0), text))
}

fn compare(text: &str, what: &str, pest: (SourceFile, Vec<Diagnostic>)) -> bool {
    let (tree, diagnostics) = pest;
    let fast = parse_fast(FileId(0), text);
    if diagnostics.is_empty() {
        let fast = fast.unwrap_or_else(|| panic!("{what}: valid, but the fast parser gave up"));
        assert_eq!(fast, tree, "{what}: trees differ");
    } else {
        assert!(
            fast.is_none(),
            "{what}: pest reports {:?}, the fast parser accepted it",
            diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code.id, d.message))
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(
        parse(FileId(0), text),
        (tree, diagnostics.clone()),
        "{what}: parse differs from pest"
    );
    diagnostics.is_empty()
}

fn valid(text: &str) {
    assert!(
        same_as_pest(text, &format!("{text:?}")),
        "{text:?} is invalid"
    );
}

fn invalid(text: &str) {
    assert!(
        !same_as_pest(text, &format!("{text:?}")),
        "{text:?} is valid"
    );
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && !name.starts_with("target") {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "infra" || e == "md") {
            out.push(path);
        }
    }
}

/// Every `.infra` file in the repository, and every ```infra block of its
/// Markdown (the language reference, the error explanations), as
/// (name, text).
fn corpus() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    collect(Path::new("."), &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // invalid UTF-8 never reaches the parser
        };
        if path.extension().is_some_and(|e| e == "infra") {
            out.push((path.display().to_string(), text));
            continue;
        }
        let mut block: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```infra" => block = Some(String::new()),
                Some(code) if line.trim_start() == "```" => {
                    out.push((
                        format!("{}:{}", path.display(), n + 1),
                        std::mem::take(code),
                    ));
                    block = None;
                }
                Some(code) => {
                    code.push_str(line);
                    code.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

#[test]
fn every_program_in_the_repository() {
    let corpus = corpus();
    let valid = corpus
        .iter()
        .filter(|(name, text)| same_as_pest(text, name))
        .count();
    assert!(corpus.len() > 300, "found {} programs", corpus.len());
    assert!(valid > 250, "only {valid} valid programs");
}

// ------------------------------------------------------------------ mutations

#[path = "support/xorshift.rs"]
mod xorshift;
use xorshift::XorShift;

/// Splits text into tokens: words, runs of whitespace, and single other
/// characters, so that edits keep most of the program readable.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let class = |c: char| {
            if c.is_ascii_alphanumeric() || c == '_' {
                0
            } else if c.is_whitespace() {
                1
            } else {
                2
            }
        };
        match (prev, out.last_mut()) {
            (Some(p), Some(last)) if class(p) == class(c) && class(c) != 2 => last.push(c),
            _ => out.push(c.to_string()),
        }
        prev = Some(c);
    }
    out
}

/// Replacement tokens: every operator and bracket, keywords, literals at
/// the edges of what the lowering accepts, comments and odd whitespace.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "${",
    "?",
    ":",
    "::",
    ".",
    "..",
    ",",
    "=",
    "=>",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "&&",
    "||",
    "|",
    "for",
    "in",
    "if",
    "true",
    "false",
    "null",
    "string",
    "property",
    "attribute",
    "target",
    "unsupported",
    "on",
    "as",
    "type",
    "let ",
    "param ",
    "resource ",
    "output ",
    "native ",
    "persistent ",
    "component ",
    "0",
    "42",
    "1.5",
    "2.5e3",
    "9223372036854775807",
    "9223372036854775808",
    "\"a\"",
    "\"\\n\"",
    "\"\\q\"",
    "\"${x}\"",
    "x",
    "a.b",
    "// c\n",
    "/// doc\n",
    "//// not doc\n",
    "/* c */",
    "\n",
    "\n\n",
    " ",
    "\t",
    "\r\n",
    "\u{a0}",
    "\u{2028}",
    "\u{feff}",
    "\u{3000}",
    "é",
];

fn mutate(text: &str, random: &mut XorShift) -> String {
    let mut toks = tokens(text);
    for _ in 0..1 + random.below(3) {
        if toks.is_empty() {
            toks.push(String::new());
        }
        let at = random.below(toks.len());
        match random.below(7) {
            0 => {
                toks.remove(at);
            }
            1 => {
                let copy = toks[at].clone();
                toks.insert(at, copy);
            }
            2 => {
                let other = random.below(toks.len());
                toks.swap(at, other);
            }
            3 if at + 1 < toks.len() => toks.swap(at, at + 1),
            4 => {
                let fragment = FRAGMENTS[random.below(FRAGMENTS.len())];
                toks[at] = fragment.to_string();
            }
            5 => {
                let fragment = FRAGMENTS[random.below(FRAGMENTS.len())];
                toks.insert(at, fragment.to_string());
            }
            _ => {
                // One character out of a token.
                let mut chars: Vec<char> = toks[at].chars().collect();
                if !chars.is_empty() {
                    chars.remove(random.below(chars.len()));
                }
                toks[at] = chars.into_iter().collect();
            }
        }
    }
    toks.concat()
}

#[test]
fn damaged_programs_parse_as_pest_parses_them() {
    let corpus: Vec<(String, String)> = corpus()
        .into_iter()
        .filter(|(_, text)| !text.is_empty() && text.len() < 8_000)
        .collect();
    let mut random = XorShift(0x2545_f491_4f6c_dd1d);
    let cases = 4_000;
    let mut valid = 0;
    for n in 0..cases {
        let (name, text) = &corpus[random.below(corpus.len())];
        let damaged = mutate(text, &mut random);
        let what = format!("case {n} from {name}: {damaged:?}");
        if compare(&damaged, &what, parse_with_pest(FileId(0), &damaged)) {
            valid += 1;
        }
    }
    // Both paths are exercised: some damage leaves a valid program.
    assert!(valid > cases / 10, "{valid} valid cases");
    assert!(valid < cases * 9 / 10, "{valid} valid cases");
}

// ------------------------------------------------------------ targeted cases

#[test]
fn precedence_and_associativity() {
    for expr in [
        "a || b && c == d < e + f * g",
        "a * b + c < d == e && f || g",
        "-a * -b",
        "!a || !!b",
        "- - 1",
        "-a.b[c](d)",
        "a ? b : c ? d : e",
        "a ? b ? c : d : e",
        "a || b ? c + 1 : d .. e",
        "1 .. 2 .. 3",
        "0..n",
        "a..b + 1",
        "a - b - c",
        "a / b / c % d",
        "a <= b >= c < d > e",
        "a != b == c",
        "(a + b) * c",
        "f(a, b,)",
        "f()",
        "f(\n  a,\n  b\n)",
        "a\n[0]",
        "a . b",
        "a./* c */b",
        "1.foo",
        "1.5.x",
        "\"s\".length",
        "1.5e3 + 2.5E-2 + 3.0e+1",
        "[1, 2, 3,]",
        "[]",
        "{}",
        "{ a = 1, b = 2 c = 3 }",
        "{ for = 1, if = 2, \"quoted key\" = 3 }",
        "[for x in xs: x]",
        "[for i, x in xs if i > 0: x * 2]",
        "{for k, v in m if v: k => v}",
        "[for x in a ? b : c: x]",
        "x ? { a = 1 } : [1]",
        "9223372036854775807",
        "007",
        "true_ish || false_flag || null_x",
        "type.target.on.as",
        "a - -1",
        "a--1",
        "a -/* c */- 1",
        "a /b",
    ] {
        valid(&format!("let v = {expr}\n"));
        valid(&format!("let v = {expr}"));
        valid(&format!("resource r: T {{\n  k = {expr}\n}}\n"));
    }
}

#[test]
fn strings_escapes_and_interpolation() {
    for string in [
        r#""""#,
        r#""plain""#,
        r#""\n\t\r\\\"\$\0""#,
        r#""\${not}""#,
        r#""$x and $ alone""#,
        r#""a ${b} c ${ d + 1 } e""#,
        r#""${ "inner ${ x } y" }""#,
        r#""${ /* c */ x // not a comment: strings hold the rest of the line
}""#,
        r#""${x}${y}""#,
        r#""http://x/*y*/""#,
        "\"unicode: é ✓ \u{feff}\"",
        "\"\"\"\n  line\n    deeper\n\n  last\n  \"\"\"",
        "\"\"\"\n\tTabbed ${x}\n\t  more\n\t\"\"\"",
        "\"\"\"  \r\n  crlf\r\n  \"\"\"",
        "\"\"\"inline\"\"\"",
        "\"\"\"\n  ${a} starts\n  \"quoted\" \"\"inner\"\"\n  \"\"\"",
        "\"\"\"\n  escaped \\\"\"\" here\n\"\"\"",
        "\"\"\"\"\"\"",
    ] {
        valid(&format!("let s = {string}\n"));
    }
    // Unknown escapes, interpolated keys and literal types, and line breaks
    // are pest's to report.
    invalid("let s = \"\\q\"\n");
    invalid("let s = \"\"\"\n  \\q\n\"\"\"\n");
    invalid("let s = \"a\\\nb\"\n");
    invalid("let s = \"a\rb\"\n");
    invalid("let o = { \"${k}\" = 1 }\n");
    invalid("resource r: T { \"${k}\" = 1 }\n");
    invalid("type T = { \"${k}\": int }\n");
    invalid("type T = \"${k}\" | \"b\"\n");
}

#[test]
fn numbers_at_the_limits() {
    valid("let a = 9223372036854775807\n");
    invalid("let a = 9223372036854775808\n");
    invalid("let a = -9223372036854775808\n");
    invalid("let a = \"${ 99999999999999999999 }\"\n");
    invalid("let a = 1x\n");
    invalid("let a = 1.5x\n");
    invalid("let a = 1.5e\n");
    invalid("let a = 1.\n");
}

/// Runs `f` on a stack as large as the CLI's compiler thread: trees as deep
/// as the limits allow are compared and dropped recursively.
fn on_large_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("test thread");
}

#[test]
fn expression_depth_limit() {
    on_large_stack(|| {
        let limit = infra::syntax::MAX_EXPR_DEPTH as usize;
        // A leaf is depth 1; each prefix operator adds one.
        valid(&format!("let a = {}1\n", "-".repeat(limit - 1)));
        invalid(&format!("let a = {}1\n", "-".repeat(limit)));
        // A chain of one operator counts once toward the nesting: a tree
        // as deep as the limit allows is one of `MAX_EXPR_TREE` nodes.
        let tree = infra::syntax::MAX_EXPR_TREE as usize;
        let chain = |n: usize| format!("let a = 1{}\n", " + 1".repeat(n));
        valid(&chain(limit));
        valid(&chain(tree - 1));
        invalid(&chain(tree));
        let mixed = |n: usize| format!("let a = 1{}\n", " + 2 * 3 - 4 / 5".repeat(n));
        valid(&mixed(tree / 2 - 1));
        // Nested objects' trees count with the tree around them.
        let nested = format!("let a = {{ a = 1{} }}\n", " + 1".repeat(tree - 1));
        invalid(&nested);
        let ternaries = |n: usize| format!("let a = {}0\n", "c ? 1 : ".repeat(n));
        valid(&ternaries(limit - 1));
        invalid(&ternaries(limit));
        let lists = |n: usize| format!("let a = {}1{}\n", "[".repeat(n), "]".repeat(n));
        valid(&lists(20));
        // An object's entries start counting again.
        let objects = |n: usize| format!("{}1{}", "{ a = ".repeat(n), " }".repeat(n));
        let negated = format!("a = {}", "-".repeat(limit - 2));
        valid(&format!(
            "let a = {}\n",
            objects(4).replace("a = ", &negated)
        ));
    });
}

#[test]
fn deep_input_does_not_overflow_the_fast_parser() {
    // On a small stack the fast parser gives up (pest then reports or
    // accepts), and never recurses as deep as the input.
    let half = infra::syntax::scan::MAX_NESTING / 2 - 1;
    let deep = [
        format!("let a = {}1\n", "!".repeat(100_000)),
        format!("let a = 1{}\n", " + 1".repeat(100_000)),
        format!("let a = {}0\n", "c ? 1 : ".repeat(100_000)),
        format!(
            "let a = {}1{}\n",
            "c ? ".repeat(20_000),
            " : 2".repeat(20_000)
        ),
        format!("let a = {}1{}\n", "[(".repeat(half), ")]".repeat(half)),
        format!(
            "let a = {}1{}\n",
            "{ a = ".repeat(2 * half),
            " }".repeat(2 * half)
        ),
        format!(
            "let a = {}1{}\n",
            "\"${".repeat(2 * half),
            "}\"".repeat(2 * half)
        ),
        format!(
            "type T = {}int{}\n",
            "[".repeat(2 * half),
            "]".repeat(2 * half)
        ),
    ];
    let fast = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn({
            let deep = deep.clone();
            move || {
                deep.iter()
                    .map(|text| parse_fast(FileId(0), text))
                    .collect::<Vec<_>>()
            }
        })
        .expect("thread")
        .join()
        .expect("no overflow");
    // What it accepts is what pest gives.
    on_large_stack(move || {
        for (text, fast) in deep.iter().zip(fast) {
            if let Some(tree) = fast {
                assert_eq!(tree, parse_with_pest(FileId(0), text).0);
            }
        }
    });
}

#[test]
fn doc_comments() {
    valid("/// One.\n/// Two.\nparam a: int\n");
    valid("/// Detached.\n\nparam a: int\n");
    valid("/// Doc.\n// plain\nparam a: int\n");
    valid("//// Not a doc.\nparam a: int\n");
    valid("///No space.\n///   Indented.\nlet a = 1\n");
    valid("/// Doc. \t \nlet a = 1 /// trailing\nlet b = 2\n");
    valid("resource r: T {\n  /// The key.\n  k = 1\n  /// Other.\n\n  j = 2\n}\n");
    valid("let o = {\n  /// In an object.\n  k = 1\n}\n");
    valid(
        "/// A component.\npersistent component C {\n  /// A param.\n  param p: int\n  target heat {\n    /// A let.\n    let x = 1\n    unsupported \"no\"\n  }\n}\n",
    );
    valid(
        "/// A schema.\nnative \"AWS::X::Y\" on cloudformation {\n  /// A property.\n  property Name: string\n  /// An attribute.\n  attribute Arn: string = \"x\"\n  /// A setting.\n  property = 1\n  attribute = \"a\"\n}\n",
    );
    valid("/* block */ /// doc after a block\nlet a = 1\n");
}

#[test]
fn declarations_and_their_spans() {
    valid("param x\n");
    valid("param x");
    valid("param x // trailing comment\n\n\n");
    valid("param x: int = 1 { min = 0 }\n");
    valid("param x = a\n{ b = 1 }\n");
    valid("param env: \"a\" | \"b\" /* c */ = \"a\"\n");
    valid("output o\noutput p: string\noutput q = 1 { export = \"q\" }\n");
    valid("import \"./x.infra\" as x\nimport \"${p}\" as y\n");
    valid("let a: [string]? = null\nlet b: {string: int} = {}\n");
    valid("type T = { a?: int, b: [string] c: (\"x\" | \"y\")? }\n");
    valid("type M = {string : int}\ntype O = {string: int, a: b}\ntype S = {stringy: int}\n");
    valid("type P = AWS::EC2::Instance | network.Subnet | a.b::c\n");
    valid("resource r: \"AWS::IoT::Thing\" for i in 0..3 if i > 0 { a = i }\n");
    valid("resource r: T for k, v in m { a = v }\n");
    valid("stateless native \"T\" on terraform-aws { }\n");
    valid("volatile component C { }\n");
    valid("persistent // why\ncomponent C {}\n");
    valid("component C { param p let l = 1 resource r: T {} output o = l type X = int }\n");
    valid("component C { target aws-x { let a = 1\n resource r: T {} output o = 1 } }\n");
    valid("let a = 1 let b = 2\n  let c = 3\n");
    valid("let type = 1\nlet target = type\n");
    // A component item must be followed by a declaration, `}` or the end.
    invalid("component C { param p: int = 1 2 }\n");
    invalid("component C { target heat { unsupported \"x\" x } }\n");
    invalid("let in = 1\n");
    invalid("let a = b ==\ntype == c\n");
    invalid("param\n");
    invalid("let a = 1 junk\n");
    invalid("resource r: T if a == {} \n");
    // The guard takes the object; the block follows it.
    valid("resource r: T if a == {} { k = 1 }\n");
    valid("param p: {string: int}? { min = 1 }\n");
    valid("native \"X\" on aws-x-y { property property: int attribute attribute: int }\n");
    invalid("native \"X\" on aws- { }\n");
    invalid("let a = [for x in xs: x, y]\n");
    invalid("let o = { for x = 1 }\n");
}

#[test]
fn whitespace_and_comments_in_odd_places() {
    valid("\u{feff}let a = 1\n");
    valid("let\u{feff}a = 1\n");
    valid("let\u{a0}a\u{2028}=\u{3000}1\u{85}\n");
    valid("let a = 1\r\nlet b = 2\r\n");
    valid("let a = 1\rlet b = 2 // cr\rlet c = 3");
    valid("let a = /* c */ - /* d */ 1 /* e */ + /** f **/ 2 // g");
    valid("let a = f( /* c */ ) [ /* d */ 0 ] . /* e */ b\n");
    valid("let a = \"${\u{a0}x\u{3000}/* c */}\"\n");
    valid("let a = [for /* c */ x in /* d */ xs /* e */ if c /* f */ : x /* g */]\n");
    valid("resource r /* a */ : /* b */ T /* c */ { /* d */ k /* e */ = /* f */ 1 /* g */ , }\n");
    valid("type T = /* a */ [ /* b */ int /* c */ ] /* d */ ? /* e */\n");
    valid("// only a comment");
    valid("/* only a comment */");
    valid("");
    valid("\n\n   \n");
    invalid("let a = 1 /* unterminated\n");
    invalid("let a = \u{1c}1\n");
    invalid("let é = 1\n");
}

/// A file large enough to be read in two halves on two threads: every
/// declaration has a doc comment, so wherever the halves meet, the second's
/// first declaration takes its doc from the first half.
#[test]
fn a_large_file_read_in_halves() {
    let corpus = corpus();
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 600 * 1024 {
        for (_, program) in &corpus {
            if parse_fast(FileId(0), program).is_some() {
                text.push_str(&format!(
                    "/// Declaration {n}.\n/// Second line.\nlet doc_{n} = {n}\n"
                ));
                text.push_str(program);
                text.push('\n');
                n += 1;
            }
        }
    }
    assert!(same_as_pest(&text, "the concatenated programs"));
    let tree = parse_fast(FileId(0), &text).expect("valid");
    let docs = tree.items.iter().filter(|i| i.doc.is_some()).count();
    assert!(docs > n, "{docs} docs for {n} generated doc comments");
}
