//! The targets Infra compiles to, and what each can express: the one place
//! a fact about a target as a whole lives. Lowering asks these
//! capabilities; it never compares target names.

/// A target: a template format, and for Terraform a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    CloudFormation,
    Heat,
    TerraformAws,
    TerraformOpenstack,
}

/// How a target repeats a resource a number of times known only at deploy
/// time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repetition {
    /// It cannot: the count must be known when the template is built.
    None,
    /// Each native resource is its own group of copies, whose members can
    /// be listed one attribute at a time and cannot name each other
    /// (Heat's `OS::Heat::ResourceGroup`).
    Groups,
    /// Copies with an index that pairs them and any expression over them
    /// (Terraform's `count`).
    Count,
}

/// What a target can express, and its quotas on one template. Backends
/// refuse what a capability denies (E0510, E0530, E0531) and check the
/// quotas (E0511, E0536); lowering asks `repetition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Arithmetic (`+`, `-`, `*`, `/`, `%`, negation) on values known only
    /// at deploy time.
    pub deploy_arithmetic: bool,
    /// Ordering comparisons (`<`, `<=`, `>`, `>=`) at deploy time.
    pub ordering_comparisons: bool,
    /// How it repeats a resource a number of times known only at deploy
    /// time.
    pub repetition: Repetition,
    /// How a template holds another as a resource, where a template too
    /// large for the quotas is split into nested stacks (`stacks::split`).
    /// Terraform sets no quotas, so it is never split.
    pub nested_stacks: Option<NestedStacks>,
    /// Whether a template can say a resource was renamed (Terraform's
    /// `moved` blocks). Where it cannot, a renamed resource keeps the name
    /// it had, so that the tool does not replace it.
    pub moves: bool,
    pub limits: Limits,
}

/// How a parent template holds a child template as a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NestedStacks {
    /// The stack resource's type; `None` where it is the child template's
    /// file name (Heat's template resources, whose file name must end in
    /// `.yaml` or `.template`).
    pub type_name: Option<&'static str>,
    /// What an attribute of the stack resource that reads one of the
    /// child's outputs puts before the output's name: `Outputs.` on
    /// CloudFormation (`Fn::GetAtt [Child, Outputs.X]`), nothing on Heat,
    /// where the outputs are the resource's attributes.
    pub output_attribute: &'static str,
    /// A child template's file name ends so, after `NAME.stack-BUCKET`.
    pub file_suffix: &'static str,
    /// How what one stack reads of several copies of a declaration in
    /// another passes, as one parameter.
    pub lists: ListParameters,
}

/// How the values a stack reads of several copies of one declaration in
/// another stack pass through the parent: one list parameter, not one
/// parameter per copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListParameters {
    /// A JSON list (Heat's `json` parameter, read by `get_param [P, i]`):
    /// any value.
    Json,
    /// Text with commas between the values (CloudFormation's
    /// `CommaDelimitedList`, read by `Fn::Select`): ids only, which hold no
    /// comma, except those of the types named by `ids_with_commas` (by
    /// prefix); at most `values` in one parameter, since a parameter's
    /// value is at most 4,096 bytes (16 ids of up to 255 bytes with their
    /// commas).
    CommaSeparated {
        values: usize,
        ids_with_commas: &'static [&'static str],
    },
}

/// A target's quotas on one template; `None` where it sets none that
/// Infra checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most resources in one template: CloudFormation's 500; Heat's
    /// `max_resources_per_stack` default, 1000, which Heat checks for each
    /// template it validates, and when it creates a stack, for the stack
    /// and its nested stacks together.
    pub resources: Option<usize>,
    pub parameters: Option<usize>,
    pub outputs: Option<usize>,
    pub mappings: Option<usize>,
    /// The largest template body, in bytes (CloudFormation's from S3,
    /// Heat's `max_template_size` default).
    pub body_bytes: Option<usize>,
    /// The largest template body passed inline (`--template-body`).
    pub inline_body_bytes: Option<usize>,
}

impl Limits {
    const NONE: Limits = Limits {
        resources: None,
        parameters: None,
        outputs: None,
        mappings: None,
        body_bytes: None,
        inline_body_bytes: None,
    };
}

impl Target {
    /// Every target, in the order they are built and listed.
    pub const ALL: [Target; 4] = [
        Target::CloudFormation,
        Target::Heat,
        Target::TerraformAws,
        Target::TerraformOpenstack,
    ];

    /// The targets whose backends alone report a code, by the range of its
    /// number (E0510-E0529 CloudFormation, E0530-E0549 Heat, E0550-E0569
    /// Terraform, warnings alike); `None` for a code any build may report.
    pub fn reporting(code_id: &str) -> Option<&'static [Target]> {
        let number: u32 = code_id.get(1..)?.parse().ok()?;
        match number {
            510..=529 => Some(&Target::ALL[..1]),
            530..=549 => Some(&Target::ALL[1..2]),
            550..=569 => Some(&Target::ALL[2..]),
            _ => None,
        }
    }

    /// The names given to `--target`, besides `terraform` with a provider.
    pub const NAMES: [&'static str; 4] = [
        "cloudformation",
        "heat",
        "terraform-aws",
        "terraform-openstack",
    ];

    /// The name `target` blocks and `--target` use for it.
    pub fn name(self) -> &'static str {
        match self {
            Target::CloudFormation => "cloudformation",
            Target::Heat => "heat",
            Target::TerraformAws => "terraform-aws",
            Target::TerraformOpenstack => "terraform-openstack",
        }
    }

    /// The target of a name, as `target` blocks and `--target` spell it.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// How people name it in messages.
    pub fn display(self) -> &'static str {
        match self {
            Target::CloudFormation => "CloudFormation",
            Target::Heat => "Heat",
            Target::TerraformAws => "Terraform (aws)",
            Target::TerraformOpenstack => "Terraform (openstack)",
        }
    }

    /// The Terraform provider, for a Terraform target.
    pub fn provider(self) -> Option<&'static str> {
        match self {
            Target::TerraformAws => Some("aws"),
            Target::TerraformOpenstack => Some("openstack"),
            Target::CloudFormation | Target::Heat => None,
        }
    }

    /// The Terraform target of a provider name.
    pub fn terraform(provider: &str) -> Option<Target> {
        Target::ALL
            .into_iter()
            .find(|t| t.provider() == Some(provider))
    }

    /// May a program built for this target use a native type of the
    /// vocabulary `owner` (as `native ... on OWNER` names it)? The
    /// `terraform` vocabulary (hashicorp/random) serves both providers.
    pub fn accepts_vocabulary(self, owner: &str) -> bool {
        owner == self.name() || (owner == "terraform" && self.provider().is_some())
    }

    /// The display name of a vocabulary, for messages.
    pub fn vocabulary_display(owner: &str) -> &'static str {
        match Target::from_name(owner) {
            Some(target) => target.display(),
            None => "Terraform",
        }
    }

    /// Where the template of an entry file named `stem` goes, relative to
    /// the output directory. Terraform reads every `*.tf.json` of a
    /// directory as one configuration, so when both providers are built,
    /// each gets its own directory.
    pub fn file_name(self, stem: &str, both_providers: bool) -> String {
        match (self, both_providers) {
            (Target::CloudFormation, _) => format!("{stem}.template.json"),
            (Target::Heat, _) => format!("{stem}.hot.json"),
            (_, true) => format!("{}/{stem}.tf.json", self.provider().unwrap_or_default()),
            (_, false) => format!("{stem}.tf.json"),
        }
    }

    /// Where the nested stack `bucket` of the template of `stem` goes,
    /// beside its parent: `NAME.stack-3f.template.json` on CloudFormation,
    /// `NAME.stack-3f.hot.yaml` on Heat (JSON, which is YAML: Heat takes a
    /// template resource's type as a file only by those endings).
    pub fn stack_file_name(self, stem: &str, bucket: &str) -> Option<String> {
        let nested = self.capabilities().nested_stacks?;
        Some(format!("{stem}.stack-{bucket}{}", nested.file_suffix))
    }

    /// What it can express, and its quotas.
    pub const fn capabilities(self) -> Capabilities {
        match self {
            Target::CloudFormation => Capabilities {
                deploy_arithmetic: false,
                ordering_comparisons: false,
                repetition: Repetition::None,
                nested_stacks: Some(NestedStacks {
                    type_name: Some("AWS::CloudFormation::Stack"),
                    output_attribute: "Outputs.",
                    file_suffix: ".template.json",
                    // IAM roles', users', groups' and instance profiles'
                    // ids are their names, which may hold commas.
                    lists: ListParameters::CommaSeparated {
                        values: 16,
                        ids_with_commas: &["AWS::IAM::"],
                    },
                }),
                moves: false,
                limits: Limits {
                    resources: Some(500),
                    parameters: Some(200),
                    outputs: Some(200),
                    mappings: Some(200),
                    body_bytes: Some(1_000_000),
                    inline_body_bytes: Some(51_200),
                },
            },
            Target::Heat => Capabilities {
                deploy_arithmetic: false,
                ordering_comparisons: false,
                repetition: Repetition::Groups,
                nested_stacks: Some(NestedStacks {
                    type_name: None,
                    output_attribute: "",
                    file_suffix: ".hot.yaml",
                    lists: ListParameters::Json,
                }),
                moves: false,
                // `max_template_size` and `max_resources_per_stack` in
                // `heat.conf`, at their defaults.
                limits: Limits {
                    resources: Some(1000),
                    body_bytes: Some(524_288),
                    ..Limits::NONE
                },
            },
            Target::TerraformAws | Target::TerraformOpenstack => Capabilities {
                deploy_arithmetic: true,
                ordering_comparisons: true,
                repetition: Repetition::Count,
                nested_stacks: None,
                moves: true,
                limits: Limits::NONE,
            },
        }
    }

    /// How it repeats a resource a number of times known only at deploy
    /// time.
    pub fn repetition(self) -> Repetition {
        self.capabilities().repetition
    }

    /// Whether copies made by the target's own repetition can each keep a
    /// snapshot when deleted: a Heat `ResourceGroup` takes no deletion
    /// policy for its members.
    pub fn snapshots_counted_copies(self) -> bool {
        self.repetition() != Repetition::Groups
    }
}

/// A provider a Terraform configuration may require: local name, source,
/// version constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerraformProvider {
    pub local: &'static str,
    pub source: &'static str,
    pub version: &'static str,
}

/// The providers of the vocabularies the Terraform targets accept: each
/// target's own and hashicorp/random, which serves both (`terraform`). aws
/// is pinned to the minor version whose schema the stdlib was generated
/// from (6.69.1, see `shared/schemas/terraform/SOURCES.md`); the others to
/// their major series.
pub const TERRAFORM_PROVIDERS: &[TerraformProvider] = &[
    TerraformProvider {
        local: "aws",
        source: "hashicorp/aws",
        version: "~> 6.69",
    },
    TerraformProvider {
        local: "openstack",
        source: "terraform-provider-openstack/openstack",
        version: "~> 3.0",
    },
    TerraformProvider {
        local: "random",
        source: "hashicorp/random",
        version: "~> 3.6",
    },
];

/// The vocabulary a native type name belongs to, by its spelling:
/// `AWS::EC2::VPC` (and `Alexa::ASK::Skill`) is CloudFormation's,
/// `OS::Nova::Server` Heat's,
/// `aws_instance` and `openstack_compute_instance_v2` Terraform's providers',
/// `random_password` Terraform's own (`terraform`).
pub fn vocabulary_of(type_name: &str) -> Option<&'static str> {
    const PREFIXES: [(&str, &str); 6] = [
        ("AWS::", "cloudformation"),
        ("Alexa::", "cloudformation"),
        ("OS::", "heat"),
        ("aws_", "terraform-aws"),
        ("openstack_", "terraform-openstack"),
        ("random_", "terraform"),
    ];
    PREFIXES
        .into_iter()
        .find(|(prefix, _)| type_name.starts_with(prefix))
        .map(|(_, owner)| owner)
}

#[cfg(test)]
mod tests;
