use super::*;

#[test]
fn names_and_vocabularies_agree() {
    for target in Target::ALL {
        assert_eq!(Target::from_name(target.name()), Some(target));
        assert!(target.accepts_vocabulary(target.name()));
    }
    assert_eq!(
        Target::NAMES.map(Target::from_name).map(Option::unwrap),
        Target::ALL
    );
    assert_eq!(
        Target::terraform("openstack"),
        Some(Target::TerraformOpenstack)
    );
    assert!(Target::TerraformAws.accepts_vocabulary("terraform"));
    assert!(!Target::Heat.accepts_vocabulary("terraform"));
    assert_eq!(vocabulary_of("random_password"), Some("terraform"));
    assert_eq!(vocabulary_of("AWS::EC2::VPC"), Some("cloudformation"));
    assert_eq!(vocabulary_of("Custom::Thing"), None);
}

#[test]
fn files_are_named_by_target() {
    assert_eq!(Target::Heat.file_name("shop", true), "shop.hot.json");
    assert_eq!(
        Target::TerraformOpenstack.file_name("shop", true),
        "openstack/shop.tf.json"
    );
    assert_eq!(
        Target::TerraformAws.file_name("shop", false),
        "shop.tf.json"
    );
}
