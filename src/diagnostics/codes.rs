//! The registry of diagnostic codes. Each code has an explanation in
//! `docs/explain/CODE.md`, shown by `infra explain CODE`, and at least one
//! ui test.

use super::{Code, Severity};

macro_rules! codes {
    ($($id:ident $severity:ident $title:literal;)*) => {
        $(
            pub static $id: Code = Code {
                id: stringify!($id),
                severity: Severity::$severity,
                title: $title,
                explanation: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/docs/explain/",
                    stringify!($id),
                    ".md"
                )),
            };
        )*
        /// Every code, in order.
        pub static ALL: &[&Code] = &[$(&$id),*];
    };
}

codes! {
    E0000 Error "internal compiler error";
    E0001 Error "syntax error";
    E0002 Error "unterminated string";
    E0003 Error "unterminated block comment";
    E0004 Error "nesting too deep";
    E0005 Error "file is not valid UTF-8";
    E0006 Error "unknown escape sequence";
    E0007 Error "integer literal out of range";
    E0008 Error "interpolated key or literal type";
    E0009 Error "empty program";
    E0010 Error "path outside the project";
    E0011 Error "not a regular file";
    E0012 Error "file too large";
    E0013 Error "invalid infra.toml";
    E0014 Error "two programs build to one file";
    E0015 Error "cannot read the file of file()";
    E0016 Error "file() path is not plain text";
    W0010 Warning "suppression comment that allows nothing";
    W0011 Warning "suppression comment naming no warning";
    E0101 Error "duplicate declaration";
    E0102 Error "unknown name";
    W0101 Warning "unused declaration";
    E0103 Error "import cycle";
    E0104 Error "unknown type";
    E0105 Error "cannot find imported file";
    E0106 Error "not a resource type";
    E0107 Error "recursive type alias";
    E0108 Error "not a value";
    E0109 Error "name declared outside the component";
    E0110 Error "invalid rename";
    E0111 Error "existing declaration of a type without a native schema";
    E0112 Error "no data source for an existing Terraform type";
    E0113 Error "attribute the target cannot read of an existing resource";
    E0114 Error "setting an existing declaration does not take";
    E0115 Error "existing declaration that says no resource";
    // Types and schemas (E02xx, W02xx).
    E0201 Error "unknown property";
    E0202 Error "missing required property";
    E0203 Error "type mismatch";
    E0204 Error "unknown attribute";
    E0205 Error "property set twice";
    E0206 Error "unknown function";
    E0207 Error "wrong number of arguments";
    E0208 Error "conditional resource used where it may not exist";
    E0209 Error "invalid deletion policy";
    E0210 Error "repetition over a deploy-time list";
    E0211 Error "unknown target";
    E0212 Error "native type of another target";
    E0213 Error "lowering does not bind an output";
    E0214 Error "recursive component";
    E0215 Error "native type redeclared with a weaker state class";
    E0216 Error "protected copies a group cannot protect one by one";
    E0217 Error "persistent resource inside a stateless component";
    E0218 Error "index that may not be a key of keyed copies";
    E0219 Error "switch between copies that hold persistent resources";
    E0231 Error "none of the members one of which is required is set";
    W0201 Warning "persistent data deleted with its resource";
    W0202 Warning "unchecked native type";
    W0210 Warning "quoted native type with a schema";
    W0211 Warning "deprecated native type or property";
    W0216 Warning "copy a switch never chooses";
    // Stages, params and constraints (E03xx, W03xx).
    E0301 Error "constraint violated";
    E0302 Error "value does not match the param's type";
    E0303 Error "unknown param option";
    E0304 Error "invalid param option value";
    E0305 Error "option does not apply to the param's type";
    E0306 Error "contradictory constraints";
    E0307 Error "invalid regular expression";
    E0308 Error "value not known at compile time";
    E0309 Error "secret value in the template";
    E0310 Error "arithmetic overflow";
    E0311 Error "division by zero";
    E0312 Error "index out of range";
    E0313 Error "missing key";
    E0314 Error "value too large";
    E0315 Error "value has no text form";
    E0316 Error "invalid function argument";
    E0317 Error "duplicate key";
    E0318 Error "subnet outside its network";
    E0319 Error "overlapping subnets";
    E0320 Error "invalid address block";
    E0321 Error "secret value in a property that is not secret";
    E0322 Error "the program expands to too many resources";
    E0323 Error "compile-time work over the build's budget";
    E0324 Error "value cannot be checked against its pattern";
    W0301 Warning "unanchored pattern";
    // The dependency graph (E04xx, W04xx).
    // Lowering to a target (E0500-E0509).
    E0500 Error "native type of another target";
    E0501 Error "type unsupported on the target";
    E0502 Error "no lowering for the target";
    E0503 Error "two resources with one name";
    E0504 Error "deploy-time count not supported";
    E0505 Error "repetition over a deploy-time list";
    E0506 Error "read of a resource counted at deploy time";
    E0507 Error "snapshot the target cannot take";
    E0508 Error "two copies with one name";
    E0509 Error "copy key that names nothing";
    W0501 Warning "persistent copies named by position";
    // CloudFormation (E0510-E0529, W0510-W0529).
    E0510 Error "deploy-time arithmetic in CloudFormation";
    E0511 Error "logical ids collide";
    E0512 Error "invalid logical id";
    E0513 Error "function CloudFormation cannot compute";
    E0514 Error "condition reads a resource";
    E0515 Error "value CloudFormation cannot express";
    E0516 Error "template exceeds a CloudFormation limit";
    E0517 Error "image that is not an AMI id";
    E0518 Error "secret in a CloudFormation output";
    E0519 Error "CloudFormation template without resources";
    E0520 Error "export that may be empty";
    E0521 Error "declaration too large for a CloudFormation nested stack";
    W0510 Warning "template too large to pass inline";
    W0511 Note "sensitive output shown by CloudFormation";
    W0512 Warning "constraint CloudFormation cannot check";
    W0513 Warning "description too long for CloudFormation";
    W0514 Warning "secret param shown in an output";
    W0515 Warning "image param default that is not an AMI id";
    // Heat (E0530-E0549, W0530-W0549).
    E0530 Error "deploy-time arithmetic on Heat";
    E0531 Error "deploy-time ordering comparison on Heat";
    E0532 Error "function with no Heat form";
    E0533 Error "deploy-time context Heat cannot read";
    E0534 Error "Heat condition reads more than params";
    E0535 Error "selection Heat cannot express";
    E0536 Error "template exceeds Heat's size limit";
    E0537 Error "CNAME record pointing at an address on Heat";
    E0538 Error "declaration too large for a Heat nested stack";
    E0539 Error "deploy-time copies read across Heat nested stacks";
    W0530 Note "sensitive output shown by Heat";
    W0531 Note "export name not used by Heat";
    W0532 Warning "constraint Heat cannot check";
    // Terraform (E0550-E0569, W0550-W0569).
    E0550 Error "sensitive value in a count";
    E0551 Error "pattern Terraform cannot check";
    E0552 Error "context value the provider cannot read";
    E0553 Error "CNAME record pointing at an address on Terraform";
    E0554 Error "count known only after apply";
    E0555 Error "output of an imported value";
    E0556 Error "one param holding the ids of two kinds of resource";
    W0550 Warning "param name reserved by Terraform";
    W0552 Note "export name not used by Terraform";
    E0401 Error "dependency cycle";
    E0402 Error "depends_on entry is not a resource";
    W0401 Warning "redundant depends_on";
}

/// Looks a code up by its id, case-insensitively.
pub fn find(id: &str) -> Option<&'static Code> {
    ALL.iter().copied().find(|c| c.id.eq_ignore_ascii_case(id))
}
