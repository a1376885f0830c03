//! Export names on targets without exports. Heat and Terraform have no
//! registry of exported values: other stacks and configurations read a
//! stack's outputs by their output names. The outputs are written as they
//! are, with a note rather than a warning, because a program built for
//! CloudFormation too must keep its exports and cannot say so per target.

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Deployment, Output};

use super::names::listed;

/// The note (`code`) on the outputs of `deployment` that have an export
/// name, none if none has. `platform` names the target in the label
/// ("Heat", "Terraform"); `note` says how an output is read by name, given
/// the first one's; `help` says what to do.
pub fn unused_exports(
    deployment: &Deployment,
    code: &'static Code,
    platform: &str,
    note: impl Fn(&str) -> String,
    help: &str,
) -> Option<Diagnostic> {
    let exported: Vec<&Output> = (deployment.outputs.iter())
        .filter(|o| o.export.is_some())
        .collect();
    let (first, rest) = exported.split_first()?;
    let names: Vec<&str> = exported.iter().map(|o| o.name.as_str()).collect();
    let (names_of, verb) = if names.len() == 1 {
        ("name of", "is")
    } else {
        ("names of", "are")
    };
    let mut diagnostic = Diagnostic::new(
        code,
        first.span,
        format!(
            "{} has no exports: the export {names_of} {} {verb} not used",
            deployment.target.display(),
            listed("output", &names),
        ),
    )
    .label(format!(
        "read by its output name, `{}`, on {platform}",
        first.name
    ));
    for o in rest {
        diagnostic = diagnostic.secondary(o.span, format!("read as `{}`", o.name));
    }
    Some(diagnostic.note(note(&first.name)).help(help.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::common::testing::*;
    use crate::diagnostics::codes;
    use crate::ir::Target;

    fn exported(name: &str) -> Output {
        let mut o = Output::new(name, s("x"));
        o.export = Some(s(name));
        o
    }

    fn note_of(deployment: &Deployment) -> Option<Diagnostic> {
        let note = |first: &str| format!("read `{first}`");
        unused_exports(deployment, &codes::W0531, "Heat", note, "use names")
    }

    #[test]
    fn outputs_without_export_names_need_no_note() {
        let d = Deployment {
            target: Target::Heat,
            description: None,
            params: Vec::new(),
            resources: Vec::new(),
            outputs: vec![Output::new("o", s("x"))],
        };
        assert!(note_of(&d).is_none());
    }

    #[test]
    fn every_exported_output_is_named_in_one_note() {
        let mut d = Deployment {
            target: Target::Heat,
            description: None,
            params: Vec::new(),
            resources: Vec::new(),
            outputs: vec![exported("a"), Output::new("b", s("x"))],
        };
        let one = note_of(&d).expect("a note");
        assert_eq!(
            one.message,
            "Heat has no exports: the export name of output `a` is not used"
        );
        d.outputs.push(exported("c"));
        let two = note_of(&d).expect("a note");
        assert_eq!(
            two.message,
            "Heat has no exports: the export names of outputs `a` and `c` are not used"
        );
        assert_eq!(two.code.id, "W0531");
    }
}
