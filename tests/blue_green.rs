//! `examples/blue_green.infra`: switching the live colour is a change of
//! one param's value. Built with `live` given at compile time (`--param`
//! folding) as `blue` and as `green`, and built once with `live` left to
//! deploy time and deployed with each value, on every target, the load
//! balancer's members are the live colour's servers and none of the
//! other's, and the persistent resources are the same.

#[path = "support/oracle/mod.rs"]
mod oracle;

use std::collections::BTreeSet;
use std::path::PathBuf;

use indexmap::IndexMap;
use infra::ir::Target;
use serde_json::{Value, json};

const EXAMPLE: &str = "examples/blue_green.infra";

/// The example's template for `target` with `live` given at compile time,
/// or left to deploy time (`None`).
fn build(target: Target, live: Option<&str>) -> Value {
    let mut options = infra::Options::default();
    if let Some(live) = live {
        options.params.insert(
            "live".to_string(),
            infra::params::Given {
                value: infra::params::GivenValue::Json(json!(live)),
                origin: infra::params::Origin::Flag,
            },
        );
    }
    let path = PathBuf::from(EXAMPLE);
    let (checked, templates) =
        infra::build(std::slice::from_ref(&path), &options, &[target]).expect("readable");
    let rendered = infra::diagnostics::render::human(&checked.db, &checked.diagnostics, false);
    assert!(
        !infra::diagnostics::has_errors(&checked.diagnostics),
        "{} with live = {live:?}: {rendered}",
        target.name()
    );
    assert_eq!(templates.len(), 1);
    serde_json::from_str(&templates[0].text).expect("JSON")
}

/// What the template deploys with two servers of each colour, and `live`
/// when it is a param of the template.
fn deploy(target: Target, template: &Value, live: Option<&str>) -> oracle::Deployed {
    let names: [&str; 4] = match target {
        Target::CloudFormation => ["BlueCount", "GreenCount", "WebImage", "Live"],
        _ => ["blue_count", "green_count", "web_image", "live"],
    };
    let mut params: IndexMap<String, Value> = IndexMap::from([
        (names[0].to_string(), json!(2)),
        (names[1].to_string(), json!(2)),
        (names[2].to_string(), json!("ami-0123456789abcdef0")),
    ]);
    if let Some(live) = live {
        params.insert(names[3].to_string(), json!(live));
    }
    let deployed = oracle::deploy(target, template, &params);
    assert!(
        deployed.problems.is_empty(),
        "{}: {:?}",
        target.name(),
        deployed.problems
    );
    deployed
}

/// The servers the load balancer's resources (`front`) read.
fn members(deployed: &oracle::Deployed) -> BTreeSet<String> {
    let mut read = BTreeSet::new();
    for (key, native) in &deployed.resources {
        if key.to_lowercase().contains("front") {
            for value in native.properties.values() {
                value.references(&mut read);
            }
        }
    }
    read.into_iter()
        .filter(|r| {
            let r = r.to_lowercase();
            r.contains("blue") || r.contains("green")
        })
        .collect()
}

/// The template's persistent resources (the assets bucket), as JSON text.
fn persistent(target: Target, template: &Value) -> Vec<String> {
    let resources: Vec<(String, &Value)> = match target {
        Target::CloudFormation => template["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        Target::Heat => template["resources"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        _ => template["resource"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(ty, named)| {
                named
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(move |(k, v)| (format!("{ty}.{k}"), v))
            })
            .collect(),
    };
    let found: Vec<String> = resources
        .into_iter()
        .filter(|(k, _)| k.to_lowercase().contains("assets"))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    assert!(!found.is_empty(), "{}: no assets bucket", target.name());
    found
}

/// The load balancer reads servers of `live` and none of `idle`.
fn assert_follows(target: Target, deployed: &oracle::Deployed, live: &str, idle: &str, how: &str) {
    let read = members(deployed);
    assert!(
        !read.is_empty() && read.iter().all(|r| r.to_lowercase().contains(live)),
        "{} with live = {live} ({how}): the load balancer reads {read:?}",
        target.name()
    );
    assert!(
        !read.iter().any(|r| r.to_lowercase().contains(idle)),
        "{} with live = {live} ({how}): the load balancer reads the idle colour: {read:?}",
        target.name()
    );
}

#[test]
fn switching_the_live_colour_moves_the_members_and_keeps_the_persistent_tier() {
    for target in Target::ALL {
        let blue = build(target, Some("blue"));
        let green = build(target, Some("green"));
        for (template, live, idle) in [(&blue, "blue", "green"), (&green, "green", "blue")] {
            assert_follows(
                target,
                &deploy(target, template, None),
                live,
                idle,
                "--param",
            );
        }
        assert_eq!(
            persistent(target, &blue),
            persistent(target, &green),
            "{}: the persistent tier changed with the live colour",
            target.name()
        );
    }
}

#[test]
fn the_switch_is_a_deploy_time_param_value() {
    for target in Target::ALL {
        let template = build(target, None);
        let blue = deploy(target, &template, Some("blue"));
        let green = deploy(target, &template, Some("green"));
        assert_follows(target, &blue, "blue", "green", "deploy time");
        assert_follows(target, &green, "green", "blue", "deploy time");
        // Every resource but the load balancer's is deployed the same
        // either way, the persistent ones included: only the members move.
        let others = |d: &oracle::Deployed| {
            d.resources
                .iter()
                .filter(|(k, _)| !k.to_lowercase().contains("front"))
                .map(|(k, r)| format!("{k}: {:?}", r.properties))
                .collect::<Vec<_>>()
        };
        assert_eq!(others(&blue), others(&green), "{}", target.name());
        assert!(
            blue.resources
                .keys()
                .any(|k| k.to_lowercase().contains("assets")),
            "{}: no assets bucket deployed",
            target.name()
        );
    }
}

#[test]
fn the_idle_colour_scales_to_zero() {
    for target in Target::ALL {
        let template = build(target, Some("blue"));
        let names: [&str; 3] = match target {
            Target::CloudFormation => ["BlueCount", "GreenCount", "WebImage"],
            _ => ["blue_count", "green_count", "web_image"],
        };
        let params: IndexMap<String, Value> = IndexMap::from([
            (names[0].to_string(), json!(3)),
            (names[1].to_string(), json!(0)),
            (names[2].to_string(), json!("ami-0123456789abcdef0")),
        ]);
        let deployed = oracle::deploy(target, &template, &params);
        assert!(
            deployed.problems.is_empty(),
            "{}: {:?}",
            target.name(),
            deployed.problems
        );
        let servers = |colour: &str| {
            deployed
                .resources
                .iter()
                .filter(|(k, r)| {
                    k.to_lowercase().contains(colour)
                        && matches!(
                            r.type_name.as_str(),
                            "AWS::EC2::Instance"
                                | "OS::Nova::Server"
                                | "aws_instance"
                                | "openstack_compute_instance_v2"
                        )
                })
                .count()
        };
        assert_eq!(servers("blue"), 3, "{}: blue servers", target.name());
        assert_eq!(servers("green"), 0, "{}: green servers", target.name());
    }
}
