//! `Parameters` and the `Metadata` that groups and labels them: each
//! param's type, default and constraints in CloudFormation's terms.

use std::borrow::Cow;

use serde_json::Value;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Param, ParamType};
use crate::json::{self, Json};
use crate::source::Span;

use super::limits::MAX_PARAM_DESCRIPTION;
use super::resources::is_ami_id;
use super::{Emitter, Entries};

/// The most characters a parameter value holds (cfn-lint's bound on
/// `MinLength` and `MaxLength`).
const MAX_PARAM_VALUE: u64 = 4096;

pub(super) fn json_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

impl<'d> Emitter<'d> {
    pub(super) fn parameters(&mut self) -> Entries<'d> {
        let deployment = self.deployment;
        let mut out = Vec::new();
        // A param nothing reads here (one only another target's lowering
        // uses) is left out, as a hand-written template would.
        for p in &deployment.params {
            if !self.is_read(&p.name) {
                continue;
            }
            let id = self.param_ids[p.name.as_str()].as_str();
            if let Some(param) = self.parameter(p) {
                out.push((Cow::Borrowed(id), param));
            }
        }
        json::dedup(out)
    }

    fn parameter(&mut self, p: &'d Param) -> Option<Json<'d>> {
        let span = self.param_span(&p.name);
        let ty = match &p.ty {
            // The id of an `existing` resource: CloudFormation checks it
            // names one.
            ParamType::String if p.native_type.is_some() => {
                p.native_type.as_deref().unwrap_or("String")
            }
            ParamType::String if self.image_params.contains(p.name.as_str()) => {
                "AWS::EC2::Image::Id"
            }
            ParamType::String | ParamType::Bool => "String",
            ParamType::Number | ParamType::Int => "Number",
            ParamType::List(inner) => match **inner {
                ParamType::Number | ParamType::Int => "List<Number>",
                ParamType::String | ParamType::Bool => "CommaDelimitedList",
                _ => {
                    self.param_not_expressible(p, span, "a list of lists or objects");
                    return None;
                }
            },
            ParamType::Json => {
                self.param_not_expressible(p, span, "an object or map");
                return None;
            }
        };
        let mut out: Entries<'d> = vec![("Type".into(), ty.into())];
        if let Some(description) = &p.description {
            let text = self.bounded(
                description.trim(),
                MAX_PARAM_DESCRIPTION,
                span,
                &format!("the description of param `{}`", p.name),
                "the param is read here",
            );
            out.push(("Description".into(), text.into()));
        }
        let image_default = match &p.default {
            Some(Value::String(text)) if ty == "AWS::EC2::Image::Id" && !is_ami_id(text) => {
                Some(text.clone())
            }
            _ => None,
        };
        if let Some(text) = image_default {
            self.report(
                Diagnostic::new(
                    &codes::W0515,
                    span,
                    format!("the default `{text}` of param `{}` is not an AMI id: it is left out of the template", p.name),
                )
                .label("the param is read here as an EC2 image id")
                .note("CloudFormation checks an `AWS::EC2::Image::Id` param against the account's images; a name such as `ubuntu-24.04` means something to OpenStack, not to EC2")
                .help(format!(
                    "give the AMI when deploying (parameter `{}`), or at compile time: `--param {}=ami-0123456789abcdef0`",
                    self.param_ids[p.name.as_str()],
                    p.name
                )),
            );
        } else if let Some(default) = &p.default {
            match self.param_value(p, default, span) {
                Some(value) => {
                    out.push(("Default".into(), value));
                }
                None => return None,
            }
        }
        let mut constrained = false;
        let allowed = match (&p.ty, &p.allowed) {
            (ParamType::Bool, None) => Some(vec![Json::from("true"), Json::from("false")]),
            (ParamType::List(_), Some(allowed)) if allowed.iter().any(Value::is_array) => {
                self.unchecked_constraint(p, span, "`allowed` lists");
                None
            }
            (_, Some(allowed)) => Some(
                allowed
                    .iter()
                    .map(|v| self.scalar_param_value(p, v))
                    .collect(),
            ),
            (_, None) => None,
        };
        if let Some(allowed) = allowed {
            out.push(("AllowedValues".into(), Json::Array(allowed)));
            constrained = true;
        }
        let is_string = matches!(p.ty, ParamType::String);
        if let Some(pattern) = &p.pattern {
            if is_string {
                // A pattern matches the whole value in Infra (the
                // compiler's own check) as in CloudFormation: written as
                // it is.
                out.push(("AllowedPattern".into(), pattern.as_str().into()));
                constrained = true;
            } else {
                self.unchecked_constraint(p, span, "`pattern`");
            }
        }
        for (value, key) in [(p.min_length, "MinLength"), (p.max_length, "MaxLength")] {
            if let Some(n) = value {
                if is_string {
                    let n = if n > MAX_PARAM_VALUE {
                        self.param_too_long(p, span, key, n);
                        MAX_PARAM_VALUE
                    } else {
                        n
                    };
                    out.push((key.into(), Json::Number(n.into())));
                    constrained = true;
                } else {
                    self.unchecked_constraint(p, span, "`min_length` and `max_length`");
                }
            }
        }
        let is_number = ty == "Number";
        for (value, key) in [(&p.min, "MinValue"), (&p.max, "MaxValue")] {
            if let Some(n) = value {
                if let (true, Value::Number(n)) = (is_number, n) {
                    out.push((key.into(), Json::Number(n.clone())));
                    constrained = true;
                } else {
                    self.unchecked_constraint(p, span, "`min` and `max`");
                }
            }
        }
        if let Some(message) = &p.message
            && constrained
        {
            out.push(("ConstraintDescription".into(), message.as_str().into()));
        }
        if p.secret {
            out.push(("NoEcho".into(), true.into()));
        }
        Some(Json::Object(out))
    }

    /// A param's value as its `Default`: lists as comma-separated text.
    fn param_value(&mut self, p: &Param, value: &'d Value, span: Span) -> Option<Json<'d>> {
        match value {
            Value::Array(items) => {
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    match json_text(item) {
                        Some(text) if !text.contains(',') => texts.push(text),
                        _ => {
                            self.report(
                                Diagnostic::new(
                                    &codes::E0515,
                                    span,
                                    format!(
                                        "the default of param `{}` cannot be written as a CloudFormation list",
                                        p.name
                                    ),
                                )
                                .label("the param is read here")
                                .note("CloudFormation list parameters are comma-separated text: an element cannot hold a comma, a list or an object")
                                .help(format!("give `{}` at compile time with `--param`, or use elements without commas", p.name)),
                            );
                            return None;
                        }
                    }
                }
                Some(texts.join(",").into())
            }
            _ => Some(self.scalar_param_value(p, value)),
        }
    }

    fn scalar_param_value(&self, p: &Param, value: &'d Value) -> Json<'d> {
        let numeric = matches!(p.ty, ParamType::Number | ParamType::Int);
        match value {
            Value::Number(n) if numeric => Json::Number(n.clone()),
            other => json_text(other).map_or(Json::Null, Json::Str),
        }
    }

    fn param_not_expressible(&mut self, p: &Param, span: Span, what: &str) {
        self.report(
            Diagnostic::new(
                &codes::E0515,
                span,
                format!(
                    "param `{}` is {what}: CloudFormation parameters hold only text, numbers and lists of them",
                    p.name
                ),
            )
            .label("the param is read here")
            .help(format!(
                "give `{}` a value at compile time with `--param {}=VALUE`, or split it into params of simple types",
                p.name, p.name
            )),
        );
    }

    /// A length bound beyond what a CloudFormation parameter can hold: the
    /// template says the most it can.
    fn param_too_long(&mut self, p: &Param, span: Span, key: &str, n: u64) {
        self.report(
            Diagnostic::new(
                &codes::W0512,
                span,
                format!(
                    "CloudFormation cannot check a length of {n} on param `{}`: a parameter value holds at most {MAX_PARAM_VALUE} characters",
                    p.name
                ),
            )
            .label("the param is read here")
            .note(format!("the template says `{key}: {MAX_PARAM_VALUE}`"))
            .help(format!("bound the length by {MAX_PARAM_VALUE} or less")),
        );
    }

    fn unchecked_constraint(&mut self, p: &Param, span: Span, what: &str) {
        self.report(
            Diagnostic::new(
                &codes::W0512,
                span,
                format!(
                    "CloudFormation cannot check {what} of param `{}` at deploy time",
                    p.name
                ),
            )
            .label("the param is read here")
            .note("the constraint is checked against values given at compile time, but not against values given to CloudFormation")
            .help(format!(
                "give `{}` at compile time with `--param` to have it checked",
                p.name
            )),
        );
    }

    pub(super) fn is_read(&self, param: &str) -> bool {
        self.param_spans.contains_key(param)
    }

    pub(super) fn metadata(&self) -> Option<Json<'d>> {
        let params: Vec<&Param> = self
            .deployment
            .params
            .iter()
            .filter(|p| self.is_read(&p.name))
            .collect();
        if !params
            .iter()
            .any(|p| p.group.is_some() || p.label.is_some())
        {
            return None;
        }
        let mut groups: Vec<(&str, Vec<Json<'d>>)> = Vec::new();
        let mut labels = Vec::new();
        for p in params {
            let id = self.param_ids[p.name.as_str()].as_str();
            if let Some(group) = &p.group {
                match groups.iter_mut().find(|(name, _)| name == group) {
                    Some((_, members)) => members.push(id.into()),
                    None => groups.push((group, vec![id.into()])),
                }
            }
            if let Some(label) = &p.label {
                labels.push((
                    Cow::Borrowed(id),
                    Json::single("default", label.as_str().into()),
                ));
            }
        }
        let mut interface = Vec::new();
        if !groups.is_empty() {
            let groups = groups
                .into_iter()
                .map(|(label, members)| {
                    Json::Object(vec![
                        ("Label".into(), Json::single("default", label.into())),
                        ("Parameters".into(), Json::Array(members)),
                    ])
                })
                .collect();
            interface.push(("ParameterGroups".into(), Json::Array(groups)));
        }
        if !labels.is_empty() {
            interface.push(("ParameterLabels".into(), Json::Object(json::dedup(labels))));
        }
        Some(Json::single(
            "AWS::CloudFormation::Interface",
            Json::Object(interface),
        ))
    }
}
