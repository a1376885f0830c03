//! Logical ids: params', resources' and outputs' ids checked, and the
//! names made up for conditions and mappings kept apart from them.

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::backend::common::names::{first_free, pascal_case};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::Deployment;
use crate::source::Span;

use super::Emitter;

pub(super) const MAX_ID: usize = 255;

fn is_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The valid logical ids of params, resources and outputs: names made up
/// for conditions and mappings must differ from them.
fn logical_ids<'d>(
    deployment: &'d Deployment,
    param_ids: &'d HashMap<&'d str, String>,
) -> HashSet<Cow<'d, str>> {
    let params = (deployment.params.iter()).map(|p| Cow::from(param_ids[p.name.as_str()].as_str()));
    let resources = (deployment.resources.iter()).map(|r| Cow::from(r.id.as_str()));
    let outputs = (deployment.outputs.iter()).map(|o| Cow::from(pascal_case(&o.name)));
    params
        .chain(resources)
        .chain(outputs)
        .filter(|id| is_logical_id(id))
        .collect()
}

impl<'d> Emitter<'d> {
    pub(super) fn check_ids(&mut self) {
        let deployment = self.deployment;
        // Resources and params share one namespace (`Ref` reads both). What
        // each id names is spelled only for a diagnostic.
        let mut seen: HashMap<&str, (Span, &str, &str)> = HashMap::with_capacity_and_hasher(
            deployment.params.len() + deployment.resources.len(),
            Default::default(),
        );
        for p in &deployment.params {
            let id = self.param_ids[p.name.as_str()].as_str();
            let span = self.param_span(&p.name);
            if !is_logical_id(id) {
                self.invalid_id(id, span, &format!("param `{}`", p.name));
                continue;
            }
            if let Some(&(first_span, kind, name)) = seen.get(id) {
                let what = format!("param `{}`", p.name);
                self.collision(id, span, &what, first_span, &format!("{kind} `{name}`"));
            } else {
                seen.insert(id, (span, "param", &p.name));
            }
        }
        for r in &deployment.resources {
            // Lowering keeps ids unique with a `~N` suffix where two
            // resources' names are one: on CloudFormation they collide.
            let id = r.named_id();
            if !is_logical_id(id) {
                self.invalid_id(id, r.span, &format!("resource `{id}`"));
                continue;
            }
            match seen.get(id) {
                Some(&(first_span, "resource", _)) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0503,
                            r.span,
                            format!("two resources are both named `{id}` in the CloudFormation template"),
                        )
                        .label("this one")
                        .secondary(first_span, "and this one")
                        .note("names are turned into CloudFormation's logical ids (`web_server` becomes `WebServer`, copy 0 of `q2` becomes `Q20`), and these two become the same")
                        .help("rename one of them"),
                    );
                }
                Some(&(first_span, kind, name)) => {
                    let what = format!("resource `{id}`");
                    self.collision(id, r.span, &what, first_span, &format!("{kind} `{name}`"));
                }
                None => {
                    seen.insert(id, (r.span, "resource", id));
                }
            }
        }
        let mut outputs: HashMap<String, (Span, &str)> = HashMap::default();
        for o in &deployment.outputs {
            let id = pascal_case(&o.name);
            let what = format!("output `{}`", o.name);
            if !is_logical_id(&id) {
                self.invalid_id(&id, o.span, &what);
                continue;
            }
            if let Some(&(first_span, first)) = outputs.get(&id) {
                self.collision(&id, o.span, &what, first_span, &format!("output `{first}`"));
            } else {
                outputs.insert(id.clone(), (o.span, &o.name));
            }
        }
    }

    fn invalid_id(&mut self, id: &str, span: Span, what: &str) {
        let reason = if id.is_empty() {
            "it has no letter or digit".to_string()
        } else if id.len() > MAX_ID {
            format!("it is {} characters long, over {MAX_ID}", id.len())
        } else {
            "it holds characters other than letters and digits".to_string()
        };
        self.report(
            Diagnostic::new(
                &codes::E0512,
                span,
                format!("{what} has no valid CloudFormation logical id: {reason}"),
            )
            .label("declared here")
            .note("CloudFormation logical ids are 1 to 255 ASCII letters and digits")
            .help("rename it with ASCII letters, digits and underscores"),
        );
    }

    fn collision(&mut self, id: &str, span: Span, what: &str, first_span: Span, first: &str) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0511,
            span,
            format!("{what} and {first} both become the CloudFormation logical id `{id}`"),
        )
        .label(format!("becomes `{id}`"))
        .note("CloudFormation logical ids are letters and digits only: underscores and case differences in names are lost");
        if first_span != span {
            diagnostic = diagnostic.secondary(first_span, format!("also becomes `{id}`"));
        }
        self.report(
            diagnostic.help("rename one of them so the names differ in more than underscores"),
        );
    }

    /// A name no other logical id, condition or mapping has.
    pub(super) fn unique(&mut self, base: &str, fallback: &str) -> String {
        let base = if base.is_empty() || base.len() > MAX_ID - 4 {
            fallback
        } else {
            base
        };
        let (deployment, param_ids) = (self.deployment, self.param_ids);
        let taken = self
            .taken
            .get_or_insert_with(|| logical_ids(deployment, param_ids));
        let name = first_free(base, "", |name| taken.contains(name));
        taken.insert(Cow::Owned(name.clone()));
        name
    }
}
