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
    assert_eq!(native_path("Custom::Thing"), None);
}

#[test]
fn lookup_finds_every_embedded_file() {
    for (path, text) in files() {
        assert_eq!(source(path), Some(*text), "{path}");
    }
    assert_eq!(source("no/such/file.infra"), None);
}
