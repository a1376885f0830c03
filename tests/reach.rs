//! A program of one small file is built with the stdlib components it can
//! reach alone (`stdlib::Reach`): every example and every UI test's
//! program, built for each target, gives the same templates, source maps
//! and diagnostics as when every component of the namespaces it loads is
//! read (`Options::whole_stdlib`).

#[path = "support/ui_files.rs"]
mod ui_files;

use std::path::{Path, PathBuf};

use infra::Mode;
use infra::ir::Target;
use ui_files::{budget, infra_files, other_entries, ui_files};

const TARGETS: [Target; 4] = [
    Target::CloudFormation,
    Target::Heat,
    Target::TerraformAws,
    Target::TerraformOpenstack,
];

/// What `infra build` (`targets`, one) or `infra check` (`Mode::Check`)
/// gives: each template's name, text and source map, and the diagnostics
/// as `infra` renders them.
fn built(entries: &[PathBuf], options: &infra::Options, targets: &[Target], mode: Mode) -> String {
    let Ok(built) = infra::build_each(entries, options, targets, mode, None) else {
        return "unreadable".to_string();
    };
    let mut out = infra::diagnostics::render::human(&built.db, &built.diagnostics, false);
    let names = infra::output_names(&built.db, &built.templates);
    for (name, template) in names.iter().zip(&built.templates) {
        out.push_str(&format!("\n== {name}\n{}\n{}", template.text, template.map));
    }
    out
}

fn same_with_the_whole_stdlib(entries: &[PathBuf], limits: infra::lower::Budget) {
    let reach = infra::Options {
        limits,
        ..Default::default()
    };
    let whole = infra::Options {
        limits,
        whole_stdlib: true,
        ..Default::default()
    };
    let each_target = TARGETS
        .iter()
        .map(|t| (std::slice::from_ref(t), Mode::Build));
    for (targets, mode) in each_target.chain([(&TARGETS[..], Mode::Check)]) {
        let by_reach = built(entries, &reach, targets, mode);
        let by_whole = built(entries, &whole, targets, mode);
        assert!(
            by_reach == by_whole,
            "{} for {targets:?}: read by reach\n{by_reach}\n\nread whole\n{by_whole}",
            entries[0].display(),
        );
    }
}

#[test]
fn examples_build_the_same_with_the_components_they_reach() {
    // Programs, native ones, and the files they import, each built as a
    // program of its own too.
    let examples = infra_files(Path::new("examples"));
    assert!(examples.len() > 10, "examples not found");
    for path in examples {
        same_with_the_whole_stdlib(&[path], infra::lower::Budget::default());
    }
}

#[test]
fn ui_programs_report_the_same_with_the_components_they_reach() {
    for path in ui_files() {
        let text =
            String::from_utf8_lossy(&std::fs::read(&path).expect("readable test")).into_owned();
        let mut entries = vec![path.clone()];
        entries.extend(other_entries(&path, &text));
        same_with_the_whole_stdlib(&entries, budget(&text));
    }
}

/// The reach is not everything: a program of a network, a subnet and a
/// server leaves the routers, floating addresses and buckets unread, and
/// one that names a router reads it.
#[test]
fn components_out_of_reach_are_left_unread() {
    let program = "resource net: network.Network {\n  cidr = \"10.0.0.0/8\"\n}\n\
                   resource subnet: network.Subnet {\n  network = net\n  cidr = \"10.0.0.0/24\"\n}\n\
                   resource server: compute.Server {\n  image = \"ami-1\"\n  subnet = subnet\n}\n";
    let reach = infra::stdlib::Reach::of(program);
    let network = infra::stdlib::source("portable/network.infra").expect("network");
    let unread: Vec<&str> = reach
        .gaps("network")
        .iter()
        .map(|&(start, end)| &network[start..end])
        .collect();
    assert_eq!(unread.len(), 2, "{unread:?}");
    assert!(unread.iter().any(|t| t.contains("component Router {")));
    assert!(unread.iter().any(|t| t.contains("component FloatingIp {")));
    // Each gap is a component whole, its doc comment first.
    for text in &unread {
        assert!(text.starts_with("///") && text.ends_with("}\n"), "{text}");
    }
    assert_eq!(reach.gaps("storage").len(), 2, "Bucket and Volume");
    // A server's component names a key pair, which is read with it.
    assert!(reach.gaps("compute").is_empty());

    let routed = format!("{program}resource gateway: network.Router {{\n  network = net\n}}\n");
    assert_eq!(infra::stdlib::Reach::of(&routed).gaps("network").len(), 1);
    // Mentions in comments count: reading more is safe.
    let comment = format!("{program}// network.Router\n");
    assert_eq!(infra::stdlib::Reach::of(&comment).gaps("network").len(), 1);
    // A word that only starts like a namespace is no mention.
    let longer = format!("{program}let subnetwork = 1\nlet networks = [subnetwork]\n");
    assert_eq!(infra::stdlib::Reach::of(&longer).gaps("network").len(), 2);
    // A name that is no component nor alias: the namespace is read whole,
    // for the diagnostics of the whole.
    let typo = program.replace("network.Subnet", "network.Subnt");
    assert!(infra::stdlib::Reach::of(&typo).gaps("network").is_empty());
    for hidden in [
        "network . /* a */ Subnet",
        "network // a\n.Subnet",
        "network /* . */ .Subnet",
    ] {
        let text = program.replace("network.Subnet", hidden);
        assert!(
            infra::stdlib::Reach::of(&text).gaps("network").is_empty(),
            "{hidden}"
        );
    }
    // Blanks as the lexer has them, a no-break space among them.
    let spaced = program.replace("network.Subnet", "network\u{a0}.\u{2003}Subnet");
    assert_eq!(infra::stdlib::Reach::of(&spaced).gaps("network").len(), 2);
}
