//! `cargo bench --bench lsp`: what `infra lsp` spends after a one-character
//! edit of a 2,000-line file, as the server does it: the edit applied to
//! the buffer, the file checked again (parse, names, params, types: the
//! checker's diagnostics) and published (turned into the protocol's and
//! serialized as the notification the server writes); then, as the server
//! does next when no message waits, lowered and emitted for every target
//! and published again with the targets' diagnostics. Both times are
//! measured from the edit. The debounce the server waits before checking
//! is not counted. Every figure is the median of several runs, each of a
//! different edit; a program with an error is not lowered (as `infra
//! check`), so the first publish is the last.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use infra::lsp::{analysis, text};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LINES: usize = 2_000;
const RUNS: usize = 31;

/// `LINES` lines: params, lets, portable networks, subnets and servers
/// reading them, outputs; with `typo`, one unknown property (an error:
/// nothing is lowered), else none (lowered and emitted for every target).
fn program(typo: bool) -> String {
    let mut text = String::from(
        "/// A generated program.\nparam env: \"staging\" | \"production\" = \"staging\"\n\n\
         /// The machine image.\nparam image: string\n\nlet prefix = \"app-${env}\"\n\n\
         resource net: network.Network {\n  name = prefix\n  cidr = \"10.0.0.0/8\"\n}\n\n",
    );
    let mut i = 0;
    while text.lines().count() < LINES - 8 {
        text.push_str(&format!(
            "/// Subnet {i}.\nresource subnet_{i}: network.Subnet {{\n  network = net\n  \
             cidr = \"10.{}.{}.0/24\"\n}}\n\n\
             resource server_{i}: compute.Server {{\n  name = \"${{prefix}}-{i}\"\n  image = image\n  \
             subnet = subnet_{i}\n  size = env == \"production\" ? \"large\" : \"small\"\n}}\n\n\
             output address_{i} = server_{i}.private_ip\n\n",
            i / 250,
            i % 250
        ));
        i += 1;
    }
    let last = if typo { "nme" } else { "name" };
    text.push_str(&format!(
        "resource extra: network.Subnet {{\n  network = net\n  cidr = \"10.255.0.0/24\"\n  {last} = \"typo\"\n}}\n"
    ));
    while text.lines().count() < LINES {
        text.push_str("// end\n");
    }
    text
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    measure("with an error (not lowered)", true);
    measure(
        "without errors (lowered and emitted for every target)",
        false,
    );
}

fn measure(what: &str, typo: bool) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("main.infra");
    let mut source = program(typo);
    std::fs::write(&path, &source).expect("the program is written");
    let path = path.canonicalize().expect("the path");
    let lines = source.lines().count();
    // The first check, as on opening the file.
    let started = Instant::now();
    let first = analysis::analyse(&path, &source, HashMap::new(), &[]);
    let open = started.elapsed();
    let published = analysis::lsp_diagnostics(&first);
    assert!(first.has_program(), "the generated program parses");
    let has_typo = (published.iter())
        .any(|d| d.code == Some(lsp_types::NumberOrString::String("E0201".into())));
    assert_eq!(has_typo, typo, "{published:?}");
    if !typo {
        let errors = published
            .iter()
            .filter(|d| d.severity == Some(lsp_types::DiagnosticSeverity::ERROR));
        assert_eq!(errors.count(), 0, "{published:?}");
    }
    let mut times = Vec::new();
    let mut complete = Vec::new();
    let publish = |checked: &analysis::Analysis, run: usize| {
        let diagnostics = analysis::lsp_diagnostics(checked);
        let notification = lsp_server::Notification::new(
            "textDocument/publishDiagnostics".into(),
            lsp_types::PublishDiagnosticsParams {
                uri: lsp_types::Url::from_file_path(&path).expect("a file URL"),
                diagnostics,
                version: Some(run as i32),
            },
        );
        let mut written = Vec::new();
        lsp_server::Message::Notification(notification)
            .write(&mut written)
            .expect("written to memory");
        written
    };
    for run in 0..RUNS {
        // One character of a name in an interpolation: `app-` becomes
        // `apq-`, then back.
        let at = source.find("let prefix = \"ap").expect("the prefix") + 16;
        let position = text::position(&source, at);
        let replacement = if run % 2 == 0 { "q" } else { "p" };
        let started = Instant::now();
        text::apply_change(
            &mut source,
            lsp_types::TextDocumentContentChangeEvent {
                range: Some(lsp_types::Range::new(
                    position,
                    lsp_types::Position::new(position.line, position.character + 1),
                )),
                range_length: None,
                text: replacement.into(),
            },
        );
        let mut checked = analysis::check(&path, &source, HashMap::new(), &[]);
        let written = publish(&checked, run);
        times.push(started.elapsed());
        std::hint::black_box(written);
        if !checked.complete {
            checked.lower();
            let written = publish(&checked, run);
            std::hint::black_box(written);
        }
        complete.push(started.elapsed());
        std::hint::black_box(checked);
    }
    let median = median(times.clone());
    let complete = self::median(complete);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "lsp, {what}: a {lines}-line file ({} bytes): first check {:.1} ms; after a one-character edit, checked and published: median {:.1} ms (min {:.1}, max {:.1}); with the targets' diagnostics published: median {:.1} ms ({RUNS} runs)",
        source.len(),
        ms(open),
        ms(median),
        ms(*times.iter().min().expect("runs")),
        ms(*times.iter().max().expect("runs")),
        ms(complete),
    );
}
