//! `resources` and `outputs`: each resource (a `ResourceGroup` for a
//! deploy-time count), its properties, dependencies and deletion policy;
//! each output with its condition.

use std::borrow::Cow;

use std::ops::Range;

use crate::backend::common::exports;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deletion, Deployment, Expr, Output, Resource, ResourceId};
use crate::json::{self, Json, json};
use crate::sourcemap::Emitted;

use super::conditions::simplified;
use super::{Emitter, Entries, Place, Site};
use crate::backend::Noted;
use crate::backend::{note_uses, write_noted_entry};

/// The note (W0531) on export names, which Heat has no use for.
pub(super) fn unused_exports(deployment: &Deployment) -> Option<Diagnostic> {
    let note = |first: &str| {
        format!(
            "a stack's outputs are read by name: `openstack stack output show STACK {first}`, or `{{ get_attr: [STACK, outputs, {first}] }}` in a template that nests the stack (`OS::Heat::Stack`)"
        )
    };
    exports::unused_exports(
        deployment,
        &codes::W0531,
        "Heat",
        note,
        "on OpenStack, give other stacks the output names; the export names stay for CloudFormation, where other stacks read them with `Fn::ImportValue`",
    )
}

/// The policy lowering decided (a snapshot only where Heat takes one).
fn deletion_policy(deletion: Deletion) -> &'static str {
    match deletion {
        Deletion::Delete => "Delete",
        Deletion::Retain => "Retain",
        Deletion::Snapshot => "Snapshot",
    }
}

impl<'d> Emitter<'d> {
    /// The resources, each printed into `printed` as it is built (at the
    /// depth of the template's `resources`), with the range of its text and
    /// the conditions it uses.
    pub(super) fn resources(&mut self, printed: &mut String) -> Noted<'d, Range<usize>> {
        let deployment = self.deployment;
        let resources = (deployment.resources.iter().enumerate())
            .map(|(i, r)| {
                let id = ResourceId(i as u32);
                let start = printed.len();
                let uses = self.write_resource(printed, id, r, 2);
                (self.name(id).into(), (start..printed.len(), uses))
            })
            .collect();
        json::dedup(resources)
    }

    /// `resource(id, r)` printed into `out` at `depth` as `json::write`
    /// prints it, with the conditions it uses (`Emitted::uses`): a plain
    /// resource's properties written as they are rendered, without the tree
    /// where `write_value` can; a group or an adopted resource by the tree.
    pub(super) fn write_resource(
        &mut self,
        out: &mut String,
        id: ResourceId,
        r: &'d Resource,
        depth: usize,
    ) -> Vec<String> {
        let target = self.deployment.target;
        if r.count.is_some() || r.existing {
            let resource = self.resource(id, r);
            json::write(out, &resource, depth);
            return Emitted::uses(target, &resource);
        }
        let name = self.name(id);
        let (condition, known) = self.enter_resource(r, name);
        out.push('{');
        json::write_key(out, 0, depth + 1, "type");
        json::write_str(out, &r.type_name);
        let mut n = 1;
        let properties_start = out.len();
        json::write_key(out, n, depth + 1, "properties");
        out.push('{');
        let mut count = 0;
        let mut uses = Vec::new();
        let mut value_uses = Vec::new();
        for (key, value) in &r.properties {
            let site = Site {
                span: r.span,
                place: Place::Property(key, name),
                in_group: false,
                nullable: true,
            };
            if !self.written_as_text(value) || matches!(&**key, "condition" | "if") {
                if let Some(value) = self.property(value, site) {
                    json::write_key(out, count, depth + 2, key);
                    count += 1;
                    write_noted_entry(out, key, value, depth + 2, target, &mut uses);
                }
                continue;
            }
            let start = out.len();
            json::write_key(out, count, depth + 2, key);
            match self.write_value(out, value, site, depth + 2, &mut value_uses) {
                Ok(()) => {
                    count += 1;
                    note_uses(&mut uses, std::mem::take(&mut value_uses));
                }
                Err(problem) => {
                    // Left out, as `property` leaves it out.
                    out.truncate(start);
                    value_uses.clear();
                    self.report(problem, site);
                }
            }
        }
        if count == 0 {
            out.truncate(properties_start);
        } else {
            json::write_close(out, depth + 1, count, '}');
            n += 1;
        }
        self.known.truncate(known);
        if !r.depends_on.is_empty() {
            json::write_key(out, n, depth + 1, "depends_on");
            n += 1;
            out.push('[');
            for (i, &id) in r.depends_on.iter().enumerate() {
                json::write_item(out, i, depth + 2);
                json::write_str(out, self.name(id));
            }
            json::write_close(out, depth + 1, r.depends_on.len(), ']');
        }
        if let Some(deletion) = r.deletion {
            json::write_key(out, n, depth + 1, "deletion_policy");
            n += 1;
            json::write_str(out, deletion_policy(deletion));
        }
        if let Some(condition) = condition {
            json::write_key(out, n, depth + 1, "condition");
            n += 1;
            write_noted_entry(out, "condition", condition, depth + 1, target, &mut uses);
        }
        json::write_close(out, depth, n, '}');
        uses
    }

    /// A resource's condition, written, and from here on assumed to hold
    /// (inside the resource); the length of `known` to truncate it back to
    /// when the resource is done.
    fn enter_resource(&mut self, r: &'d Resource, name: &'d str) -> (Option<Json<'d>>, usize) {
        let condition = r.condition.as_ref().and_then(|c| {
            let site = Site {
                span: r.span,
                place: Place::Condition(name),
                in_group: false,
                nullable: false,
            };
            self.condition(c, site)
        });
        let known = self.known.len();
        self.known
            .extend(r.condition.iter().map(|c| (simplified(c), true)));
        (condition, known)
    }

    pub(super) fn resource(&mut self, id: ResourceId, r: &'d Resource) -> Json<'d> {
        let name = self.name(id);
        let (condition, depth) = self.enter_resource(r, name);
        let mut properties: Entries = Vec::with_capacity(r.properties.len());
        for (key, value) in &r.properties {
            let site = Site {
                span: r.span,
                place: Place::Property(key, name),
                in_group: r.count.is_some(),
                nullable: true,
            };
            if let Some(value) = self.property(value, site) {
                properties.push((Cow::from(&**key), value));
            }
        }
        let mut out: Entries = Vec::with_capacity(6);
        match &r.count {
            Some(count) => {
                let site = Site {
                    span: r.span,
                    place: Place::Count(name),
                    in_group: false,
                    nullable: false,
                };
                let count = self.written(count, site);
                let mut definition: Entries = vec![("type".into(), (&*r.type_name).into())];
                if !properties.is_empty() {
                    definition.push(("properties".into(), Json::Object(properties)));
                }
                out.push(("type".into(), "OS::Heat::ResourceGroup".into()));
                out.push((
                    "properties".into(),
                    json!({ "count": count, "resource_def": Json::Object(definition) }),
                ));
            }
            // Heat adopts a resource the stack does not manage by its id.
            None if r.existing => {
                out.push(("type".into(), (&*r.type_name).into()));
                if let Some((_, id)) = properties.into_iter().find(|(key, _)| key == "id") {
                    out.push(("external_id".into(), id));
                }
            }
            None => {
                out.push(("type".into(), (&*r.type_name).into()));
                if !properties.is_empty() {
                    out.push(("properties".into(), Json::Object(properties)));
                }
            }
        }
        self.known.truncate(depth);
        if !r.depends_on.is_empty() {
            let names = r
                .depends_on
                .iter()
                .map(|&id| self.name(id).into())
                .collect();
            out.push(("depends_on".into(), Json::Array(names)));
        }
        // The policy lowering decided (a snapshot only where Heat takes one).
        if let Some(deletion) = r.deletion {
            out.push(("deletion_policy".into(), deletion_policy(deletion).into()));
        }
        if let Some(condition) = condition {
            out.push(("condition".into(), condition));
        }
        Json::Object(out)
    }

    /// A property's value, or `None` when it is left out.
    fn property(&mut self, value: &'d Expr, site: Site) -> Option<Json<'d>> {
        if matches!(value, Expr::Null) {
            return None;
        }
        match self.value(value, site) {
            Ok(Json::Null) => None,
            Ok(value) => Some(value),
            Err(problem) => {
                self.report(problem, site);
                None
            }
        }
    }

    /// A value, reporting what Heat cannot express (the template is then
    /// not written, so `null` stands in).
    fn written(&mut self, value: &'d Expr, site: Site) -> Json<'d> {
        match self.value(value, site) {
            Ok(value) => value,
            Err(problem) => {
                self.report(problem, site);
                Json::Null
            }
        }
    }

    pub(super) fn outputs(&mut self) -> Entries<'d> {
        let deployment = self.deployment;
        let outputs = (deployment.outputs.iter())
            .map(|o| ((&o.name).into(), self.output(o)))
            .collect();
        json::dedup(outputs)
    }

    fn output(&mut self, o: &'d Output) -> Json<'d> {
        let site = Site {
            span: o.span,
            place: Place::Output(&o.name),
            in_group: false,
            nullable: false,
        };
        let condition = o.condition.as_ref().and_then(|c| self.condition(c, site));
        let depth = self.known.len();
        self.known
            .extend(o.condition.iter().map(|c| (simplified(c), true)));
        let value = self.written(&o.value, site);
        self.known.truncate(depth);
        if o.sensitive {
            let diagnostic = Diagnostic::new(
                &codes::W0530,
                o.span,
                format!("Heat shows output `{}` to anyone who can read the stack", o.name),
            )
            .label("marked sensitive here")
            .note("HOT outputs have no way to hide their value: `openstack stack output show` prints it")
            .help("to keep the value secret, leave it out of the outputs and read it where it is stored (for example the resource that generated it)");
            self.diagnostics.push(diagnostic);
        }
        let mut out: Entries = Vec::with_capacity(3);
        if let Some(description) = &o.description {
            out.push(("description".into(), description.into()));
        }
        out.push(("value".into(), value));
        if let Some(condition) = condition {
            out.push(("condition".into(), condition));
        }
        Json::Object(out)
    }
}
