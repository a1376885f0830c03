//! `--message-format sarif`: one SARIF 2.1.0 log for code-scanning services.
//!
//! One run, whose tool lists a rule for each distinct code in the report (in
//! order of first use) and one result per diagnostic. Columns count Unicode
//! characters (`columnKind` is `unicodeCodePoints`), and so do `charOffset`
//! and `charLength`. Notes and help lines go in the result's `properties`.
//! A file name that is not UTF-8 is its bytes percent-encoded in the URI,
//! whole. A failure of the command itself (exit status 2) is a tool
//! execution notification of the run's invocation ([`with_failure`]).

use serde_json::{Value, json};

use super::json::{Location, file_name, raw_name};
use super::{Code, Diagnostic, Label, Severity};
use crate::source::{SourceDb, Span};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The whole SARIF log, pretty-printed, ending in a newline.
pub fn report(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    let mut rules: Vec<&'static Code> = Vec::new();
    let mut results = Vec::new();
    for diagnostic in diagnostics {
        let index = match rules.iter().position(|c| c.id == diagnostic.code.id) {
            Some(index) => index,
            None => {
                rules.push(diagnostic.code);
                rules.len() - 1
            }
        };
        results.push(result(db, diagnostic, index));
    }
    let mut driver = serde_json::Map::new();
    driver.insert("name".into(), json!("infra"));
    driver.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Some(uri) = information_uri() {
        driver.insert("informationUri".into(), json!(uri));
    }
    driver.insert(
        "rules".into(),
        Value::Array(rules.iter().map(|c| rule(c)).collect()),
    );
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a SARIF log always serializes");
    text.push('\n');
    text
}

/// `log` (a [`report`]) with the failure of the command itself: the run's
/// invocation did not succeed, with `message` as its notification.
pub fn with_failure(log: &str, message: &str) -> String {
    let mut log: Value = serde_json::from_str(log).expect("a SARIF log is JSON");
    if let Some(run) = log["runs"].get_mut(0).and_then(Value::as_object_mut) {
        run.insert(
            "invocations".into(),
            json!([{
                "executionSuccessful": false,
                "toolExecutionNotifications": [{
                    "level": "error",
                    "message": { "text": message },
                }],
            }]),
        );
    }
    let mut text = serde_json::to_string_pretty(&log).expect("a SARIF log always serializes");
    text.push('\n');
    text
}

/// The project's address from the package metadata, when it has one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

fn rule(code: &Code) -> Value {
    let full = first_paragraph(code.explanation);
    json!({
        "id": code.id,
        "shortDescription": { "text": code.title },
        "fullDescription": { "text": if full.is_empty() { code.title.to_string() } else { full } },
        "help": { "text": code.explanation, "markdown": code.explanation },
        "defaultConfiguration": { "level": level(code.severity) },
    })
}

/// The first paragraph of a Markdown explanation, after its heading, joined
/// into one line.
fn first_paragraph(markdown: &str) -> String {
    markdown
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty() || line.starts_with('#'))
        .take_while(|line| !line.is_empty() && !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result(db: &SourceDb, diagnostic: &Diagnostic, rule_index: usize) -> Value {
    let mut result = serde_json::Map::new();
    result.insert("ruleId".into(), json!(diagnostic.code.id));
    result.insert("ruleIndex".into(), json!(rule_index));
    result.insert("level".into(), json!(level(diagnostic.severity)));
    result.insert("message".into(), json!({ "text": diagnostic.message }));
    result.insert(
        "locations".into(),
        json!([location(db, &diagnostic.primary, None)]),
    );
    if !diagnostic.secondary.is_empty() {
        let related: Vec<Value> = diagnostic
            .secondary
            .iter()
            .enumerate()
            .map(|(id, label)| location(db, label, Some(id)))
            .collect();
        result.insert("relatedLocations".into(), Value::Array(related));
    }
    if !diagnostic.notes.is_empty() || !diagnostic.help.is_empty() {
        result.insert(
            "properties".into(),
            json!({ "notes": diagnostic.notes, "help": diagnostic.help }),
        );
    }
    Value::Object(result)
}

fn location(db: &SourceDb, label: &Label, id: Option<usize>) -> Value {
    let mut location = serde_json::Map::new();
    if let Some(id) = id {
        location.insert("id".into(), json!(id));
    }
    location.insert(
        "physicalLocation".into(),
        json!({
            "artifactLocation": { "uri": match raw_name(db, label.span) {
                Some(bytes) => uri_of_bytes(bytes),
                None => uri(file_name(db, label.span)),
            } },
            "region": region(db, label.span),
        }),
    );
    if !label.message.is_empty() {
        location.insert("message".into(), json!({ "text": label.message }));
    }
    Value::Object(location)
}

fn region(db: &SourceDb, span: Span) -> Value {
    let at = Location::of(db, span);
    let (char_offset, char_length) = if (span.file.0 as usize) < db.len() {
        let text = db.text(span.file);
        let chars =
            |range: std::ops::Range<usize>| text.get(range).map_or(0, |s| s.chars().count());
        (chars(0..at.start), chars(at.start..at.end))
    } else {
        (at.start, at.end.saturating_sub(at.start))
    };
    // SARIF lines and columns start at 1.
    json!({
        "startLine": at.line_start.max(1),
        "startColumn": at.column_start.max(1),
        "endLine": at.line_end.max(1),
        "endColumn": at.column_end.max(1),
        "charOffset": char_offset,
        "charLength": char_length,
    })
}

/// A file name as a relative URI reference: `/` separators, and every byte
/// outside the unreserved and path characters percent-encoded (`a b.infra`
/// becomes `a%20b.infra`; a stdlib file, `stdlib:portable/compute.infra`,
/// is a URI of the scheme `stdlib`).
fn uri(name: &str) -> String {
    uri_of_bytes(name.replace('\\', "/").as_bytes())
}

fn uri_of_bytes(name: &[u8]) -> String {
    let mut out = String::new();
    for &byte in name {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::codes;

    fn sample() -> (SourceDb, Vec<Diagnostic>) {
        let mut db = SourceDb::new();
        let text = "let a = 1\nlet b = \"é\" +\nlet c = 3\n".to_string();
        let file = db.add("dir/main file.infra", None, text);
        let first = Diagnostic::new(
            &codes::E0001,
            Span::new(file, 25, 28),
            "expected an expression, found `let`",
        )
        .label("expected an expression")
        .secondary(Span::new(file, 19, 21), "the string before")
        .help("finish the expression");
        let second = Diagnostic::new(&codes::E0007, Span::new(file, 33, 34), "too large");
        let third = Diagnostic::new(&codes::E0001, Span::new(file, 0, 3), "again");
        (db, vec![first, second, third])
    }

    fn parse(db: &SourceDb, diagnostics: &[Diagnostic]) -> Value {
        serde_json::from_str(&report(db, diagnostics)).unwrap()
    }

    #[test]
    fn log_has_version_schema_and_driver() {
        let (db, diagnostics) = sample();
        let log = parse(&db, &diagnostics);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "infra");
        let rules = driver["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["E0001", "E0007"]);
        assert_eq!(rules[0]["shortDescription"]["text"], codes::E0001.title);
        let full = rules[0]["fullDescription"]["text"].as_str().unwrap();
        assert!(!full.is_empty() && !full.starts_with('#'), "{full}");
    }

    #[test]
    fn results_point_at_the_right_region() {
        let (db, diagnostics) = sample();
        let log = parse(&db, &diagnostics);
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        let first = &results[0];
        assert_eq!(first["ruleId"], "E0001");
        assert_eq!(first["ruleIndex"], 0);
        assert_eq!(first["level"], "error");
        assert_eq!(
            first["message"]["text"],
            "expected an expression, found `let`"
        );
        let physical = &first["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "dir/main%20file.infra");
        let region = &physical["region"];
        assert_eq!(region["startLine"], 3);
        assert_eq!(region["startColumn"], 1);
        assert_eq!(region["endLine"], 3);
        assert_eq!(region["endColumn"], 4);
        // `é` is two bytes but one character.
        assert_eq!(region["charOffset"], 24);
        assert_eq!(region["charLength"], 3);
        let related = &first["relatedLocations"][0];
        assert_eq!(related["id"], 0);
        assert_eq!(related["message"]["text"], "the string before");
        let region = &related["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 2);
        assert_eq!(region["startColumn"], 10);
        assert_eq!(region["endColumn"], 11);
        assert_eq!(region["charLength"], 1);
        assert_eq!(first["properties"]["help"][0], "finish the expression");
        assert_eq!(results[1]["ruleIndex"], 1);
        assert!(results[1].get("relatedLocations").is_none());
        assert_eq!(results[2]["ruleIndex"], 0);
    }

    #[test]
    fn empty_report_is_a_valid_log() {
        let log = parse(&SourceDb::new(), &[]);
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"], json!([]));
    }

    #[test]
    fn pseudo_paths_become_uri_references() {
        assert_eq!(uri("<stdlib/compute.infra>"), "%3Cstdlib/compute.infra%3E");
        assert_eq!(uri(r"dir\a.infra"), "dir/a.infra");
        assert_eq!(uri("é.infra"), "%C3%A9.infra");
    }

    #[test]
    fn first_paragraph_skips_the_heading() {
        assert_eq!(
            first_paragraph("# E9999: title\n\nOne line\nand two.\n\n## Example\n"),
            "One line and two."
        );
    }

    /// The `infra` fences of an explanation, in order.
    fn fences(markdown: &str) -> Vec<String> {
        let mut fences = Vec::new();
        let mut current: Option<String> = None;
        for line in markdown.lines() {
            match (&mut current, line.trim_end()) {
                (None, "```infra") => current = Some(String::new()),
                (Some(_), "```") => fences.extend(current.take()),
                (Some(text), _) => {
                    text.push_str(line);
                    text.push('\n');
                }
                (None, _) => {}
            }
        }
        fences
    }

    fn parse_codes(text: &str) -> Vec<&'static str> {
        let (_, diagnostics) = crate::syntax::parse(crate::source::FileId(0), text);
        diagnostics.iter().map(|d| d.code.id).collect()
    }

    /// The explanations feed the rules' descriptions and `infra explain`:
    /// each has its heading and sections, and a syntax code's example really
    /// produces the code beside a fix that parses cleanly.
    #[test]
    fn explanations_are_well_formed_and_their_examples_hold() {
        for code in codes::ALL {
            let doc = code.explanation;
            let heading = format!("# {}: {}\n", code.id, code.title);
            assert!(doc.starts_with(&heading), "{}: heading", code.id);
            assert!(!first_paragraph(doc).is_empty(), "{}: paragraph", code.id);
            assert!(doc.contains("\n## Example\n"), "{}: example", code.id);
            assert!(doc.contains("\n## Fix\n"), "{}: fix", code.id);
            let fences = fences(doc);
            match code.id {
                // No program should produce an internal error.
                "E0000" => assert!(fences.is_empty()),
                // The example is abridged; the real one is 200 levels deep.
                "E0004" => {
                    assert_eq!(fences.len(), 2, "{}", code.id);
                    assert_eq!(parse_codes(&fences[1]), Vec::<&str>::new(), "{}", code.id);
                }
                // The example is the same text saved as Latin-1.
                "E0005" => {
                    assert_eq!(fences.len(), 2, "{}", code.id);
                    let latin1: Vec<u8> = fences[0].chars().map(|c| c as u32 as u8).collect();
                    let error = crate::syntax::decode(crate::source::FileId(0), latin1);
                    assert_eq!(error.unwrap_err().code.id, "E0005");
                    let fixed = crate::syntax::decode(
                        crate::source::FileId(0),
                        fences[1].clone().into_bytes(),
                    );
                    assert_eq!(parse_codes(&fixed.unwrap()), Vec::<&str>::new());
                }
                // Codes reported by the parser: the example parses with them,
                // the fix without diagnostics.
                id @ ("E0001" | "E0002" | "E0003" | "E0006" | "E0007" | "E0008") => {
                    assert_eq!(fences.len(), 2, "{id}");
                    let found = parse_codes(&fences[0]);
                    assert!(found.contains(&id), "{id}: {found:?}");
                    assert_eq!(parse_codes(&fences[1]), Vec::<&str>::new(), "{id}");
                }
                // Later phases' examples are checked by their ui tests.
                _ => {}
            }
        }
    }
}
