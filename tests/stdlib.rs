//! Every embedded stdlib file parses without a diagnostic, and every native
//! schema lives where its type name says.

use infra::source::FileId;
use infra::syntax::ast::ItemKind;

#[test]
fn every_stdlib_file_parses_cleanly() {
    assert!(infra::stdlib::paths().next().is_some());
    for (path, text) in infra::stdlib::files() {
        let (ast, diagnostics) = infra::syntax::parse(FileId(0), &text);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
        assert!(!ast.items.is_empty(), "{path} declares nothing");
    }
}

#[test]
fn native_schemas_are_filed_under_their_type_name() {
    for (path, text) in infra::stdlib::files() {
        let (ast, _) = infra::syntax::parse(FileId(0), &text);
        for item in &ast.items {
            if let ItemKind::Native(native) = &item.kind {
                let name = native.type_name.as_plain().expect("plain type name");
                assert_eq!(
                    infra::stdlib::native_path(&name).as_deref(),
                    Some(path),
                    "{name}"
                );
                // A Terraform data source, `data.aws_vpc`, is its provider's.
                let vocabulary_name = name.strip_prefix("data.").unwrap_or(&name);
                assert_eq!(
                    infra::target::vocabulary_of(vocabulary_name),
                    Some(native.target.name.as_str()),
                    "{name} declared on the wrong target"
                );
            }
        }
    }
}

#[test]
fn every_stdlib_file_resolves_cleanly() {
    for (path, text) in infra::stdlib::files() {
        let (ast, _) = infra::syntax::parse(FileId(0), &text);
        let (_, diagnostics) = infra::sema::resolve::resolve(&ast);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
    }
}

#[test]
fn every_stdlib_file_type_checks_cleanly() {
    for (path, text) in infra::stdlib::files() {
        let mut db = infra::source::SourceDb::new();
        let file = db.add(infra::stdlib::display_name(path), None, text.clone());
        let (ast, _) = infra::syntax::parse(file, &text);
        let (names, _) = infra::sema::resolve::resolve(&ast);
        let (_, diagnostics) = infra::sema::check::check(
            &mut db,
            file,
            std::sync::Arc::new(ast),
            std::sync::Arc::new(names),
            None,
            &Default::default(),
            false,
        );
        let rendered = infra::diagnostics::render::human(&db, &diagnostics, false);
        assert!(diagnostics.is_empty(), "{path}:\n{rendered}");
    }
}

/// The names the items read: values, guards, properties and the
/// conditions of `unsupported`.
fn read_by(items: &[infra::syntax::ast::Item]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for item in items {
        let mut exprs = Vec::new();
        match &item.kind {
            ItemKind::Let(l) => exprs.push(&l.value),
            ItemKind::Output(o) => exprs.extend(&o.value),
            ItemKind::Unsupported(u) => exprs.extend(&u.condition),
            ItemKind::Resource(r) => {
                if let Some(guard) = &r.for_guard {
                    exprs.push(&guard.iterable);
                    exprs.extend(guard.key.as_deref());
                }
                exprs.extend(&r.if_guard);
                exprs.extend(r.body.properties.iter().map(|p| &p.value));
            }
            _ => {}
        }
        for expr in exprs {
            expr.for_each_name(&mut |name| {
                out.insert(name.name.clone());
            });
        }
    }
    out
}

/// Params a portable component's lowering leaves unread on purpose, with
/// why the template still means what the program says. Any other param a
/// `target` block does not read (directly, through the component's lets,
/// or in an `unsupported ... if` that refuses it) would be a setting
/// dropped without a word.
const READ_ELSEWHERE: &[(&str, &str, &str, &str)] = &[
    (
        "queue.Queue",
        "fifo",
        "heat",
        "Zaqar keeps every queue's messages in order and gives each claimed message to one consumer",
    ),
    (
        "queue.Queue",
        "visibility_timeout",
        "heat",
        "a Zaqar claim's TTL is chosen by the consumer on each claim: there is no queue setting",
    ),
    (
        "database.Instance",
        "security_groups",
        "heat",
        "Trove manages the instance's security group itself",
    ),
    (
        "database.Instance",
        "security_groups",
        "terraform-openstack",
        "Trove manages the instance's security group itself",
    ),
    (
        "lb.LoadBalancer",
        "security_groups",
        "heat",
        "Heat's Octavia load balancer has no property for its VIP port's groups",
    ),
    (
        "queue.Queue",
        "fifo",
        "terraform-openstack",
        "a Zaqar queue (made through a Heat stack) keeps its messages in order",
    ),
    (
        "queue.Queue",
        "visibility_timeout",
        "terraform-openstack",
        "a Zaqar claim's TTL is chosen by the consumer on each claim",
    ),
    (
        "dns.Zone",
        "email",
        "cloudformation",
        "Route 53 sets a hosted zone's SOA contact itself",
    ),
    (
        "dns.Zone",
        "email",
        "terraform-aws",
        "Route 53 sets a hosted zone's SOA contact itself",
    ),
    (
        "lb.LoadBalancer",
        "external_network",
        "cloudformation",
        "AWS has no external networks: an internet-facing load balancer needs none",
    ),
    (
        "lb.LoadBalancer",
        "external_network",
        "terraform-aws",
        "AWS has no external networks: an internet-facing load balancer needs none",
    ),
    (
        "network.FloatingIp",
        "external_network",
        "cloudformation",
        "an Elastic IP comes from no network",
    ),
    (
        "network.FloatingIp",
        "external_network",
        "terraform-aws",
        "an Elastic IP comes from no network",
    ),
    (
        "network.Router",
        "external_network",
        "cloudformation",
        "the internet gateway is AWS's external network",
    ),
    (
        "network.Router",
        "external_network",
        "terraform-aws",
        "the internet gateway is AWS's external network",
    ),
    (
        "network.Router",
        "network",
        "heat",
        "a Neutron router belongs to no network, only to the subnets attached to it",
    ),
    (
        "network.Router",
        "network",
        "terraform-openstack",
        "a Neutron router belongs to no network, only to the subnets attached to it",
    ),
    (
        "network.SecurityGroup",
        "network",
        "heat",
        "a Neutron security group belongs to the project, not to a network",
    ),
    (
        "network.SecurityGroup",
        "network",
        "terraform-openstack",
        "a Neutron security group belongs to the project, not to a network",
    ),
    (
        "network.Subnet",
        "zone",
        "heat",
        "a Neutron subnet spans every zone",
    ),
    (
        "network.Subnet",
        "zone",
        "terraform-openstack",
        "a Neutron subnet spans every zone",
    ),
    (
        "network.Subnet",
        "public",
        "heat",
        "a Neutron subnet gives no public addresses: a server gets one from a network.FloatingIp",
    ),
    (
        "network.Subnet",
        "public",
        "terraform-openstack",
        "a Neutron subnet gives no public addresses: a server gets one from a network.FloatingIp",
    ),
];

#[test]
fn every_portable_param_is_read_or_refused_on_every_target() {
    let mut unread = Vec::new();
    for (path, text) in infra::stdlib::files() {
        let Some(namespace) = path
            .strip_prefix("portable/")
            .and_then(|p| p.strip_suffix(".infra"))
        else {
            continue;
        };
        let (ast, _) = infra::syntax::parse(FileId(0), &text);
        for item in &ast.items {
            let ItemKind::Component(component) = &item.kind else {
                continue;
            };
            let params: Vec<&str> = (component.items.iter())
                .filter_map(|i| match &i.kind {
                    ItemKind::Param(p) => Some(p.name.name.as_str()),
                    _ => None,
                })
                .collect();
            // A component's lets, by name, with what each reads.
            let lets: Vec<(&str, std::collections::BTreeSet<String>)> = (component.items.iter())
                .filter_map(|i| match &i.kind {
                    ItemKind::Let(l) => {
                        Some((l.name.name.as_str(), read_by(std::slice::from_ref(i))))
                    }
                    _ => None,
                })
                .collect();
            for block in component.items.iter().filter_map(|i| match &i.kind {
                ItemKind::Target(t) => Some(t),
                _ => None,
            }) {
                if block
                    .items
                    .iter()
                    .any(|i| matches!(&i.kind, ItemKind::Unsupported(u) if u.condition.is_none()))
                {
                    continue;
                }
                let mut read = read_by(&block.items);
                // Through the component's lets, to a fixed point.
                loop {
                    let before = read.len();
                    for (name, reads) in &lets {
                        if read.contains(*name) {
                            read.extend(reads.iter().cloned());
                        }
                    }
                    if read.len() == before {
                        break;
                    }
                }
                let type_name = format!("{namespace}.{}", component.name.name);
                let target = block.target.name.as_str();
                for param in &params {
                    let excused = READ_ELSEWHERE
                        .iter()
                        .any(|(t, p, on, _)| *t == type_name && p == param && *on == target);
                    if !read.contains(*param) && !excused {
                        unread.push(format!("{type_name}.{param} on {target}"));
                    }
                }
            }
        }
    }
    assert!(
        unread.is_empty(),
        "params no lowering reads nor refuses: {unread:#?}"
    );
}

/// A stdlib file read for one target (`parse_for`, as a build reads it) is
/// the whole file's tree with the other targets' blocks emptied: the same
/// declarations, the same blocks in the same places, the target's own block
/// whole; without docs or comments, which no build reads.
#[test]
fn a_file_read_for_one_target_keeps_every_block_and_reads_only_its_own() {
    let (mut skipped, mut documented) = (0, 0);
    for (path, text) in infra::stdlib::files().filter(|(p, _)| p.starts_with("portable/")) {
        for target in infra::ir::Target::ALL {
            let (mut whole, _) = infra::syntax::parse(FileId(0), &text);
            let (read, diagnostics) = infra::syntax::parse_for(FileId(0), &text, &[target.name()]);
            assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
            for item in &mut whole.items {
                let ItemKind::Component(component) = &mut item.kind else {
                    continue;
                };
                for inner in &mut component.items {
                    if let ItemKind::Target(block) = &mut inner.kind
                        && block.target.name != target.name()
                    {
                        skipped += block.items.len();
                        block.items.clear();
                    }
                }
            }
            let (whole, docs) = without_docs(&whole.items);
            documented += docs;
            assert_eq!(
                whole,
                format!("{:?}", read.items),
                "{path} for {}",
                target.name()
            );
            assert!(read.comments.is_empty(), "{path}: comments kept");
        }
    }
    assert!(skipped > 0, "no target block was left out");
    assert!(documented > 0, "no doc was left out");
}

/// The `Debug` text of a tree with every doc left out, as a build reads the
/// stdlib (`parse_for`), and how many there were.
fn without_docs(items: &[infra::syntax::ast::Item]) -> (String, usize) {
    static DOC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"doc: Some\("(?:[^"\\]|\\.)*"\)"#).expect("a pattern")
    });
    let text = format!("{items:?}");
    let count = DOC.find_iter(&text).count();
    (DOC.replace_all(&text, "doc: None").into_owned(), count)
}

/// A native schema file read for a build (`parse_for`: whole, without the
/// scan that finds where declarations start) is its tree as `parse` reads
/// it, docs and comments left out: every seventh native file, and each
/// Terraform type the portable namespaces name.
#[test]
fn a_native_file_read_for_a_build_is_read_as_any_other() {
    let portable: String = (infra::stdlib::files())
        .filter(|(p, _)| p.starts_with("portable/"))
        .map(|(_, text)| text)
        .collect();
    let mut read = 0;
    for (i, (path, text)) in (infra::stdlib::files())
        .filter(|(p, _)| p.starts_with("native/"))
        .enumerate()
    {
        let stem = path.rsplit('/').next().unwrap_or_default();
        let stem = stem.strip_suffix(".infra").unwrap_or(stem);
        if i % 7 != 0 && !portable.contains(stem) {
            continue;
        }
        let target = path.split('/').nth(1).unwrap_or_default();
        let (whole, diagnostics) = infra::syntax::parse(FileId(0), &text);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
        let (for_build, diagnostics) = infra::syntax::parse_for(FileId(0), &text, &[target]);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
        assert_eq!(
            without_docs(&whole.items).0,
            format!("{:?}", for_build.items),
            "{path}"
        );
        assert!(for_build.comments.is_empty(), "{path}: comments kept");
        read += 1;
    }
    assert!(read > 100, "{read} files read");
}
