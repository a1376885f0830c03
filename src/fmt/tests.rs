//! Round-trip tests of the formatter: the same tree and the same comments
//! after formatting, and formatting twice changes nothing.

use super::format;
use crate::source::FileId;
use crate::syntax::ast::SourceFile;
use crate::syntax::parse;

/// Zeroes every span of the tree, so that trees compare by content only.
mod clear {
    use crate::source::Span;
    use crate::syntax::ast::*;

    pub fn file(f: &mut SourceFile) {
        f.span = Span::default();
        f.items.iter_mut().for_each(item);
        for c in &mut f.comments {
            c.span = Span::default();
        }
    }

    fn item(i: &mut Item) {
        i.span = Span::default();
        match &mut i.kind {
            ItemKind::Import(x) => {
                string(&mut x.path);
                ident(&mut x.alias);
            }
            ItemKind::Param(x) => {
                ident(&mut x.name);
                x.ty.iter_mut().for_each(ty);
                x.default.iter_mut().for_each(expr);
                x.options.iter_mut().for_each(block);
            }
            ItemKind::Let(x) => {
                ident(&mut x.name);
                x.ty.iter_mut().for_each(ty);
                expr(&mut x.value);
            }
            ItemKind::Resource(x) => {
                ident(&mut x.name);
                match &mut x.ty {
                    ResourceType::Path(p) => path(p),
                    ResourceType::Raw(s) => string(s),
                }
                if let Some(g) = &mut x.for_guard {
                    g.span = Span::default();
                    binding(&mut g.binding);
                    expr(&mut g.iterable);
                    g.key.iter_mut().for_each(|k| expr(k));
                }
                x.if_guard.iter_mut().for_each(expr);
                block(&mut x.body);
            }
            ItemKind::Output(x) => {
                ident(&mut x.name);
                x.ty.iter_mut().for_each(ty);
                x.value.iter_mut().for_each(expr);
                x.options.iter_mut().for_each(block);
            }
            ItemKind::TypeAlias(x) => {
                ident(&mut x.name);
                ty(&mut x.ty);
            }
            ItemKind::Component(x) => {
                ident(&mut x.name);
                x.items.iter_mut().for_each(item);
            }
            ItemKind::Target(x) => {
                ident(&mut x.target);
                x.items.iter_mut().for_each(item);
            }
            ItemKind::Unsupported(x) => {
                string(&mut x.reason);
                x.condition.iter_mut().for_each(expr);
            }
            ItemKind::Native(x) => {
                string(&mut x.type_name);
                ident(&mut x.target);
                for m in &mut x.members {
                    m.span = Span::default();
                    match &mut m.kind {
                        MemberKind::Property(f) | MemberKind::Attribute(f) => {
                            ident(&mut f.name);
                            ty(&mut f.ty);
                            f.value.iter_mut().for_each(expr);
                        }
                        MemberKind::Setting(p) => property(p),
                    }
                }
            }
            ItemKind::Error => {}
        }
    }

    fn ident(i: &mut Ident) {
        i.span = Span::default();
    }

    fn binding(b: &mut Binding) {
        ident(&mut b.first);
        b.second.iter_mut().for_each(ident);
    }

    fn path(p: &mut TypePath) {
        p.span = Span::default();
        p.segments.iter_mut().for_each(ident);
    }

    fn block(b: &mut Block) {
        b.span = Span::default();
        b.properties.iter_mut().for_each(property);
    }

    fn property(p: &mut Property) {
        p.span = Span::default();
        p.key.span = Span::default();
        expr(&mut p.value);
    }

    fn string(s: &mut StringLit) {
        s.span = Span::default();
        for part in &mut s.parts {
            if let StrPart::Interp(e) = part {
                expr(e);
            }
        }
    }

    fn ty(t: &mut TypeExpr) {
        t.span = Span::default();
        match &mut t.kind {
            TypeKind::Path(p) => path(p),
            TypeKind::Literal(_) => {}
            TypeKind::List(x) | TypeKind::Map(x) | TypeKind::Optional(x) | TypeKind::Paren(x) => {
                ty(x)
            }
            TypeKind::Object(fields) => {
                for f in fields {
                    f.key.span = Span::default();
                    ty(&mut f.ty);
                }
            }
            TypeKind::Union(terms) => terms.iter_mut().for_each(ty),
        }
    }

    fn comprehension(c: &mut Comprehension) {
        binding(&mut c.binding);
        expr(&mut c.iterable);
        c.filter.iter_mut().for_each(expr);
        expr(&mut c.body);
    }

    fn expr(e: &mut Expr) {
        e.span = Span::default();
        match &mut e.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Error => {}
            ExprKind::Str(s) => string(s),
            ExprKind::Name(i) => ident(i),
            ExprKind::List(items) => items.iter_mut().for_each(expr),
            ExprKind::Object(props) => props.iter_mut().for_each(property),
            ExprKind::Member(base, name) => {
                expr(base);
                ident(name);
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
                expr(a);
                expr(b);
            }
            ExprKind::Call(callee, args) => {
                expr(callee);
                args.iter_mut().for_each(expr);
            }
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => expr(x),
            ExprKind::Conditional(a, b, c) => {
                expr(a);
                expr(b);
                expr(c);
            }
            ExprKind::ListComp(c) => comprehension(c),
            ExprKind::ObjectComp(c, v) => {
                comprehension(c);
                expr(v);
            }
        }
    }
}

fn parse_clean(text: &str) -> crate::syntax::ast::SourceFile {
    let (file, diagnostics) = parse(FileId(0), text);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics {diagnostics:#?} in:\n{text}"
    );
    file
}

/// Formats `text` and checks the round trip: same AST without spans, same
/// comments in the same order, and formatting again changes nothing.
fn check(text: &str) -> String {
    let (file, diagnostics) = parse(FileId(0), text);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics {diagnostics:#?} in:\n{text}"
    );
    check_parsed(&file, text)
}

fn check_parsed(before: &SourceFile, text: &str) -> String {
    let formatted = format(before, text);
    let after = parse_clean(&formatted);
    let (mut a, mut b) = (before.clone(), after.clone());
    clear::file(&mut a);
    clear::file(&mut b);
    if a.items != b.items {
        assert_eq!(
            format!("{:#?}", a.items),
            format!("{:#?}", b.items),
            "the AST changed; source:\n{text}\nformatted:\n{formatted}"
        );
    }
    assert_eq!(
        a.comments, b.comments,
        "comments changed; source:\n{text}\nformatted:\n{formatted}"
    );
    let again = format(&after, &formatted);
    assert_eq!(
        formatted, again,
        "not idempotent; source:\n{text}\nfirst:\n{formatted}\nsecond:\n{again}"
    );
    formatted
}

/// A program using every construct of the grammar, in parts that each
/// parse alone (the comment-insertion tests parse each part many times).
const PARTS: &[&str] = &[
    r#"// File header comment.

/* A block comment
   spanning lines. */
import "./network.infra" as net // trailing on an import
import "./db.infra" as db



"#,
    r#"/// Deployment environment.
param env: "staging" | "production" = "staging"
param count: int = 2 { min = 1 // lower bound
  max = 20, }

/// Master password.
/// Second doc line.
param password: string {
  secret = true
  pattern = "^[A-Za-z0-9]+$"

  "quoted key" = "x"
}
"#,
    r#"param tags: {string: string}? = {}
param ports: [int] = [80,443]
param shape: { name: string, size?: int, "odd-key": [string] } = { name = "a" }
param pair: (string | int)? = null
param empty_options: int {}
"#,
    r#"let prefix = "shop-${env}"
let is_prod = env == "production"   // trailing on a let
let math = -(1 + 2) * 3 / 4 % 5 - -6 + !!true
let logic = !is_prod && (count > 1 || count <= 0) != false
let cmp = count >= 2 == (count < 3)
let pick = is_prod ? "large" : count > 1 ? "medium" : "small"
let range = 0..count+1
let float = 1.5e3 + 0.25
let nothing = null
let access = net.subnets[0].id
let called = join(",", [prefix, "b"], f()).items[1 + 2]
"#,
    r#"let escapes = "tab\there \"quoted\" back\\slash newline\n dollar \${not} nul\0 cr\r done"
let nested = "outer ${ "inner ${env}" } end ${ {a = 1}.a }$"
let script = """
    #!/bin/sh
    echo "${prefix}" ""quoted""
      indented line
	tab line

    echo done \${literal} \\ back
    """
let no_newline = """
  last line has no break"""
let interp_first = """${prefix}
  kept as is
"""
let empty_ml = """"""
let blank_ml = """
"""
"#,
    r#"let comp = [for i, x in ports if x > 80: x * 2]
let ocomp = {for k, v in tags: k => upper(v)}
let obj = {
  a = 1 // one
  /// doc on b
  b = [1, 2, 3]
  "c d" = { e = true, f = [] }
}
let long = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc", "ddddddddddddddd"]
let nested_long = { outer = { inner = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc"] } }
"#,
    r#"let list_comments = [
  1, // first

  /* before two */ 2,
  [3, 4],
  // dangling at the end
]
let inside = 1 + /* inside an operand */ 2
let inside_call = f(a, // line comment inside a call
  b)
let scripts = ["""
  one
  """, "two"]

"#,
    r#"type Size = "small" | "large"
type Pair = (string | int)?
type Shape = { "quoted": int, plain?: [{string: bool}] }
type Table = {string: [Size]}

"#,
    r#"resource vpc: network.Network {
  cidr = "10.0.0.0/16"
}
resource web: compute.Server for i in 0..3 if is_prod {
  name = "${prefix}-web-${i}" /* block trailing */
  size = pick
  // own-line comment before a property

  tags = {
    role = "web" // trailing in an object
  }
  depends_on = [vpc]
  user_data = """
    #!/bin/sh
    echo ${i}
    """
}
"#,
    r#"resource thing: "AWS::IoT::Thing" {}
resource inst: AWS::EC2::Instance for k, v in tags { ImageId = v }

"#,
    r#"output web_ips: [string] = [for w in web: w.private_ip]
output endpoint = db.endpoint {
  export = "${prefix}-db"
}
output declared: string

"#,
    r#"persistent component Database {
  /// Volume size.
  param size: string = "small"
  resource main: storage.Volume {
    size = size
  }
  output id = main.id
  target terraform-aws {
    resource vol: aws_ebs_volume { size = 10 }
  }
  target heat { unsupported "no volumes on heat" }
}
component Empty {}
stateless component Tiny { let x = 1 }

"#,
    r#"volatile native "AWS::SQS::Queue" on cloudformation {
  ref = "QueueUrl"
  /// Size in GiB.
  property Size: int
  property "Odd-Name": string?
  attribute Arn: string = "Ref"
}
native "AWS::Empty" on cloudformation {}
"#,
    r#"/// The platform team's VPC.
existing   shared_vpc :AWS::EC2::VPC{ id=vpc_id // the param
export = "net-VpcId" }

// End of file comment.
"#,
];

fn rich() -> String {
    PARTS.concat()
}

#[test]
fn rich_program_round_trips() {
    let formatted = check(&rich());
    assert!(
        formatted.contains("param count: int = 2 {\n  min = 1 // lower bound\n  max = 20\n}\n")
    );
    assert!(formatted.contains("import \"./network.infra\" as net // trailing on an import\nimport \"./db.infra\" as db\n\n/// Deployment"));
    assert!(formatted.contains("let inside_call = f(a, b) // line comment inside a call\n"));
    assert!(formatted.contains(
        "\n\nresource vpc: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n\nresource web:"
    ));
    assert!(formatted.contains("resource thing: \"AWS::IoT::Thing\" {}\n"));
    assert!(formatted.contains(
        "/// The platform team's VPC.\nexisting shared_vpc: AWS::EC2::VPC {\n  id = vpc_id // the param\n  export = \"net-VpcId\"\n}\n"
    ));
    assert!(formatted.ends_with("// End of file comment.\n"));
}

/// Offsets between tokens in code (not in strings or comments): the ends
/// of whitespace runs and the places after an opening bracket or a comma.
fn boundaries(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // Per nesting level: `None` for a bracket, `Some(multiline)` for `${`.
    let mut stack: Vec<Option<bool>> = Vec::new();
    let mut in_string: Option<bool> = None;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(multiline) = in_string {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' if multiline && bytes[i..].starts_with(b"\"\"\"") => {
                    in_string = None;
                    i += 3;
                }
                b'"' if !multiline => {
                    in_string = None;
                    i += 1;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Some(multiline));
                    in_string = None;
                    i += 2;
                    out.push(i);
                }
                _ => i += 1,
            }
            continue;
        }
        let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += text[i..].find("*/").map_or(bytes.len(), |e| e + 2);
            }
            b'"' => {
                let multiline = bytes[i..].starts_with(b"\"\"\"");
                in_string = Some(multiline);
                i += if multiline { 3 } else { 1 };
            }
            b'(' | b'[' | b'{' | b',' => {
                if bytes[i] != b',' {
                    stack.push(None);
                }
                i += 1;
                out.push(i);
            }
            b')' | b']' | b'}' => {
                out.push(i);
                if let Some(Some(multiline)) = stack.pop() {
                    in_string = Some(multiline);
                }
                i += 1;
            }
            b if is_space(b) => {
                if i == 0 || !is_space(bytes[i - 1]) {
                    out.push(i);
                }
                if bytes.get(i + 1).is_some_and(|&n| !is_space(n)) {
                    out.push(i + 1);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn insert_everywhere(text: &str, insertions: &[&str]) {
    let mut checked = 0;
    let mut refused = Vec::new();
    for at in boundaries(text) {
        for insertion in insertions {
            let variant = format!("{}{insertion}{}", &text[..at], &text[at..]);
            let (file, diagnostics) = parse(FileId(0), &variant);
            if diagnostics.is_empty() {
                check_parsed(&file, &variant);
                checked += 1;
            } else {
                refused.push(at);
            }
        }
    }
    assert!(checked > 0, "no variant parsed");
    assert!(
        refused.len() * 20 < checked,
        "{} variants did not parse, e.g. at {:?}",
        refused.len(),
        &refused[..refused.len().min(10)]
    );
}

#[test]
fn comments_anywhere_are_kept_in_order() {
    for part in PARTS {
        insert_everywhere(part, &[" /* c */ ", "// c\n", "/// d\n"]);
    }
}

#[test]
fn blank_lines_and_comment_groups_anywhere() {
    for part in PARTS {
        insert_everywhere(part, &["\n\n// c\n\n", "\n\n", "\n/// d\n\n"]);
    }
}

#[test]
fn crlf_source_round_trips() {
    let crlf = rich().replace('\n', "\r\n");
    check(&crlf);
    for part in PARTS {
        insert_everywhere(&part.replace('\n', "\r\n"), &["// c\r\n"]);
    }
}

/// Formats `text`, checks the round trip, and compares with `expected`.
fn expect(text: &str, expected: &str) {
    let formatted = check(text);
    assert_eq!(formatted, expected, "source:\n{text}");
}

#[test]
fn empty_and_comment_only_files() {
    expect("", "");
    expect("\n\n  \n", "");
    expect("\n\n// only a comment   \n\n\n", "// only a comment\n");
    expect("/* a */ /* b */\n\n\n// c", "/* a */\n/* b */\n\n// c\n");
}

#[test]
fn blank_lines_between_declarations() {
    expect(
        "import \"a\" as a\nimport \"b\" as b\nparam x = 1\nparam y = 2\n\n\n\nparam z = 3\nlet a = 1\nlet b = 2\noutput o = a\noutput p = b\n",
        "import \"a\" as a\nimport \"b\" as b\n\nparam x = 1\nparam y = 2\n\nparam z = 3\n\nlet a = 1\nlet b = 2\n\noutput o = a\n\noutput p = b\n",
    );
    // A multi-line declaration is always set apart, even among lets.
    expect(
        "let a = 1\nlet b = { c = 1 // c\n}\nlet d = 2\n",
        "let a = 1\n\nlet b = {\n  c = 1 // c\n}\n\nlet d = 2\n",
    );
    // Comments between grouped declarations keep their own blank lines.
    expect(
        "let a = 1\n// about b\n\nlet b = 2\n",
        "let a = 1\n// about b\n\nlet b = 2\n",
    );
    // Forced separation goes before the comments of the next declaration.
    expect(
        "resource a: T {}\n/// Doc of b.\nresource b: T {}\n",
        "resource a: T {}\n\n/// Doc of b.\nresource b: T {}\n",
    );
}

#[test]
fn blocks_print_one_property_per_line() {
    expect(
        "resource web: compute.Server for i in 0..3 if on { name = \"w${i}\", size = 2, }",
        "resource web: compute.Server for i in 0..3 if on {\n  name = \"w${i}\"\n  size = 2\n}\n",
    );
    expect("param p: int {   }", "param p: int {}\n");
    expect(
        "output o: string = x {\n\n\n  export = \"e\"\n\n\n  other = 1\n\n}",
        "output o: string = x {\n  export = \"e\"\n\n  other = 1\n}\n",
    );
}

#[test]
fn lists_and_objects_inline_when_short() {
    expect(
        "let a = [ 1 ,2,3, ]\nlet b = {x=1 y=[ ] \"k k\"={}}\n",
        "let a = [1, 2, 3]\nlet b = { x = 1, y = [], \"k k\" = {} }\n",
    );
    // Too long: one element per line, nested values decide for themselves.
    expect(
        "let a = [\"aaaaaaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbbbbbb\", \"cccccccccccccccccccc\", [1, 2]]\n",
        "let a = [\n  \"aaaaaaaaaaaaaaaaaaaa\",\n  \"bbbbbbbbbbbbbbbbbbbb\",\n  \"cccccccccccccccccccc\",\n  [1, 2],\n]\n",
    );
    // A comment inside breaks the object; a multi-line value breaks its parents.
    expect(
        "let o = { a = 1 /* one */, b = 2 }\nlet p = [{ s = \"\"\"\n  x\n  \"\"\"\n}]\n",
        "let o = {\n  a = 1 /* one */\n  b = 2\n}\n\nlet p = [\n  {\n    s = \"\"\"\n      x\n    \"\"\"\n  },\n]\n",
    );
    // Exactly 80 columns stays inline; 81 breaks.
    let fits = format!("let a = [\"{}\"]\n", "x".repeat(68));
    assert_eq!(fits.len(), 81);
    expect(&fits, &fits);
    let long = format!("let a = [\"{}\"]\n", "x".repeat(69));
    expect(&long, &format!("let a = [\n  \"{}\",\n]\n", "x".repeat(69)));
}

#[test]
fn expressions_keep_their_shape() {
    expect(
        "let a = - ( 1+2 )*3/4%5 - -6\nlet b = !x&&(y||z)==w!=v\nlet c = a<b ? \"y\" : c>=d ? \"m\" : \"n\"\nlet d = 0 .. n+1\nlet e = f( x , y ).items[ 0 ].name\n",
        "let a = -(1 + 2) * 3 / 4 % 5 - -6\nlet b = !x && (y || z) == w != v\nlet c = a < b ? \"y\" : c >= d ? \"m\" : \"n\"\nlet d = 0..n + 1\nlet e = f(x, y).items[0].name\n",
    );
    expect(
        "output a = [ for i , w in web if i>0 : w.ip ]\noutput b = { for w in web : w.name=>w.id }\n",
        "output a = [for i, w in web if i > 0: w.ip]\n\noutput b = {for w in web: w.name => w.id}\n",
    );
    expect(
        "let n = 007 + 1.50 + 2.5E-3\n",
        "let n = 7 + 1.50 + 2.5E-3\n",
    );
}

#[test]
fn strings_are_re_escaped() {
    expect(
        "let s = \"tab\\t q\\\" bs\\\\ nl\\n cr\\r nul\\0 d\\${x} $ ${ a + \"${b}\" }\"\n",
        "let s = \"tab\\t q\\\" bs\\\\ nl\\n cr\\r nul\\0 d\\${x} $ ${a + \"${b}\"}\"\n",
    );
    expect(
        "resource r: \"AWS::IoT::Thing\" { \"a\\\"b\" = 1, \"\\${k}\" = 2 }",
        "resource r: \"AWS::IoT::Thing\" {\n  \"a\\\"b\" = 1\n  \"\\${k}\" = 2\n}\n",
    );
}

#[test]
fn types_print_canonically() {
    expect(
        "type A = { string : [ int ] }\ntype B = {a:int,b ? :string}\ntype C = ( \"x\"|\"y\" ) ?\ntype D = {}\ntype E = {string: int,}\ntype F = network.Subnet | AWS::EC2::VPC\n",
        "type A = {string: [int]}\n\ntype B = { a: int, b?: string }\n\ntype C = (\"x\" | \"y\")?\n\ntype D = {}\n\ntype E = { string: int, }\n\ntype F = network.Subnet | AWS::EC2::VPC\n",
    );
}

#[test]
fn components_targets_and_natives() {
    expect(
        "persistent component Db { param size: int = 1\n target heat { unsupported \"no\" } target terraform-aws {} }\ncomponent E { }\n",
        "persistent component Db {\n  param size: int = 1\n\n  target heat {\n    unsupported \"no\"\n  }\n\n  target terraform-aws {}\n}\n\ncomponent E {}\n",
    );
    expect(
        "volatile native \"AWS::SQS::Queue\" on cloudformation { ref = \"Url\" property Size : int? attribute \"Odd-Name\": string = \"Ref\" property \"Plain\": int }",
        "volatile native \"AWS::SQS::Queue\" on cloudformation {\n  ref = \"Url\"\n  property Size: int?\n  attribute \"Odd-Name\": string = \"Ref\"\n  property Plain: int\n}\n",
    );
}

#[test]
fn comments_trailing_leading_and_dangling() {
    expect(
        "resource r: T { // after brace\n  a = 1 // after a\n  // before b\n  b = [ // after bracket\n    1, // after 1\n    // dangling in list\n  ]\n  // dangling in block\n} // after block\n",
        "resource r: T { // after brace\n  a = 1 // after a\n  // before b\n  b = [ // after bracket\n    1, // after 1\n    // dangling in list\n  ]\n  // dangling in block\n} // after block\n",
    );
    // Comments inside an expression move to the end of its line.
    expect(
        "let a = f(x, // inside a call\n  y) + /* operand */ 2\nlet b = 1\n",
        "let a = f(x, y) + 2 // inside a call\n/* operand */\nlet b = 1\n",
    );
    // Comments between a header and its brace follow the brace.
    expect(
        "resource r: T /* before brace */ {\n  a = 1\n}\nresource s: T /* empty */ {}\n",
        "resource r: T { /* before brace */\n  a = 1\n}\n\nresource s: T {} /* empty */\n",
    );
}

#[test]
fn trailing_doc_comment_keeps_documenting_the_next_declaration() {
    let text = "let a = 1 /// Doc of b.\noutput b = 2 {\n  x = 1 /// Doc of y.\n  y = 2\n}\n";
    let formatted = check(text);
    assert_eq!(formatted, text);
    let file = parse_clean(&formatted);
    assert_eq!(file.items[1].doc.as_deref(), Some("Doc of b."));
}

#[test]
fn moved_doc_comment_does_not_attach() {
    // `/// d` documents nothing here; once moved above `param size` it
    // must stay apart from that parameter's own doc.
    let formatted = check(
        "persistent /// d\ncomponent C {\n  /// Size.\n  param size: int\n}\nlet a = 1 + /// e\n  2\nlet b = 2\n",
    );
    assert_eq!(
        formatted,
        "persistent component C { /// d\n\n  /// Size.\n  param size: int\n}\n\nlet a = 1 + 2 /// e\n\nlet b = 2\n"
    );
}

#[test]
fn multiline_strings_round_trip_exactly() {
    let cases = [
        "\"\"\"\n  line\n    deeper\n\n  last\n  \"\"\"",
        "\"\"\"\n\tindented with a tab\n\t  and more\n\"\"\"",
        "\"\"\"\n  no final break\"\"\"",
        "\"\"\"inline\"\"\"",
        "\"\"\"  leading spaces\"\"\"",
        "\"\"\"   \"\"\"",
        "\"\"\"\"\"\"",
        "\"\"\"\n\"\"\"",
        "\"\"\"\n\n\"\"\"",
        "\"\"\"\n   \n\t\n\"\"\"",
        "\"\"\"${x}\"\"\"",
        "\"\"\"${x}\n    after ${y}\n\"\"\"",
        "\"\"\"\n${x}\n\"\"\"",
        "\"\"\"\n    ${x} text\n  ${y}\"\"\"",
        "\"\"\"\n  a\n     \n  b\n\"\"\"",
        "\"\"\"\n  quotes \"\" and \\\"\"\" and end\\\"\"\"\"",
        "\"\"\"\n  ends with two \"\\\"\"\"\"",
        "\"\"\"\n  escapes \\\\ \\${x} \\t \\r \\0 \\n done\n\"\"\"",
        "\"\"\"\r\n  crlf\r\n\r\n  lines\r\n  \"\"\"",
        "\"\"\"\n  nested ${ \"\"\"\n    inner\n    \"\"\" } end\n\"\"\"",
        "\"a${ \"\"\"\n  inner\n  \"\"\" }b\"",
    ];
    for case in cases {
        check(&format!("let s = {case}\n"));
        check(&format!(
            "component C {{ target t {{ resource r: T {{ v = [{case}] }} }} }}\n"
        ));
    }
    expect(
        "resource r: T {\n  user_data = [\"\"\"\n#!/bin/sh\n  echo ${x}\n\"\"\"]\n}\n",
        "resource r: T {\n  user_data = [\n    \"\"\"\n      #!/bin/sh\n        echo ${x}\n    \"\"\",\n  ]\n}\n",
    );
}

#[test]
fn broken_declarations_are_printed_verbatim() {
    let text = "let a = 1\nlet b = = 2\nlet c = 3\n";
    let (file, diagnostics) = parse(FileId(0), text);
    assert!(!diagnostics.is_empty());
    assert_eq!(format(&file, text), "let a = 1\nlet b = = 2\nlet c = 3\n");
}

#[test]
fn deep_nesting_within_the_parser_limits() {
    let depth = crate::syntax::scan::MAX_NESTING - 2;
    let lists = format!(
        "let a = {}1 // c\n{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    check(&lists);
    let objects = format!(
        "let o = {}1{}\n",
        "{ a = ".repeat(depth),
        " }".repeat(depth)
    );
    check(&objects);
    let chain = (0..200)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    check(&format!("let s = {chain}\nlet t = [{chain}]\n"));
}
