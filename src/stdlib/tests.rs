use super::*;

#[test]
fn native_names_map_to_files() {
    assert_eq!(
        native_path("AWS::EC2::VPC").as_deref(),
        Some("native/cloudformation/aws-ec2-vpc.infra")
    );
    assert_eq!(
        native_path("OS::Nova::Server").as_deref(),
        Some("native/heat/os-nova-server.infra")
    );
    assert_eq!(
        native_path("aws_instance").as_deref(),
        Some("native/terraform-aws/aws_instance.infra")
    );
    assert_eq!(
        native_path("data.aws_vpc").as_deref(),
        Some("native/terraform-aws/data/aws_vpc.infra")
    );
    assert_eq!(native_path("Custom::Thing"), None);
}

#[test]
fn lookup_finds_every_embedded_file() {
    for (path, text) in files() {
        assert_eq!(source(path).as_deref(), Some(text.as_str()), "{path}");
    }
    assert_eq!(source("no/such/file.infra"), None);
}

#[test]
fn the_index_names_every_native_type_where_its_name_says() {
    let mut count = 0;
    for name in native_types() {
        assert_eq!(
            native_file(name).map(str::to_string),
            native_path(name),
            "{name}"
        );
        count += 1;
    }
    // One of each vocabulary, spelt as the sources spell them.
    for name in [
        "AWS::DynamoDB::Table",
        "Alexa::ASK::Skill",
        "OS::Magnum::Cluster",
        "aws_cloudfront_distribution",
        "openstack_dns_zone_v2",
        "random_string",
        "data.aws_vpc",
        "data.openstack_networking_network_v2",
    ] {
        assert!(native_file(name).is_some(), "{name}");
    }
    assert_eq!(native_file("aws_dynamodb_tabel"), None);
    assert_eq!(count, NATIVE_TYPES.len());
}

/// `build.rs`'s index of the portable components: each range is one
/// component whole, its doc comment first, and every component declared
/// in a namespace is in it.
#[test]
fn the_component_index_holds_each_component_whole() {
    for component in super::COMPONENTS {
        let (namespace, name) = (component.namespace, component.name);
        let text = source(&portable_path(namespace)).expect("a namespace");
        let range = &text[component.start as usize..component.end as usize];
        assert!(
            range.trim_end_matches('\n').ends_with("\n}"),
            "{namespace}.{name}: {range}"
        );
        let header = range
            .lines()
            .find(|l| !l.starts_with("///"))
            .expect("a header");
        assert!(
            header.ends_with(&format!("component {name} {{")),
            "{namespace}.{name}: {header}"
        );
        // No other declaration starts in it.
        let declarations = range
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()));
        assert_eq!(declarations.count(), 1, "{namespace}.{name}");
    }
    for (path, text) in files().filter(|(path, _)| path.starts_with("portable/")) {
        let namespace = &path["portable/".len()..path.len() - ".infra".len()];
        for line in text
            .lines()
            .filter(|l| l.contains("component ") && l.ends_with(" {"))
        {
            if line.starts_with(' ') {
                continue;
            }
            let name = line.split_whitespace().rev().nth(1).expect("a name");
            assert!(
                super::COMPONENTS
                    .iter()
                    .any(|c| c.namespace == namespace && c.name == name),
                "{namespace}.{name} is not indexed"
            );
        }
    }
}
