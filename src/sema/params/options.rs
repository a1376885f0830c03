//! A param's option block: known keys, constant values of the right
//! kind, options that fit the param's type, patterns that compile, and
//! constraints that do not contradict each other.

use indexmap::IndexMap;

use super::checker::{Checker, Culprit};
use super::constraints::{Constraint, Constraints, PatternConstraint, compare};
use super::regex;
use super::types::{Fit, ParamType, declared_as};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{Value, show};
use crate::source::Span;
use crate::syntax::ast::*;

/// The keys of a param's option block.
pub const OPTIONS: &[&str] = &[
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "allowed",
    "secret",
    "message",
    "label",
    "group",
];

/// The option block of one param, read.
#[derive(Default)]
pub(super) struct Options {
    pub(super) constraints: Constraints,
    pub(super) secret: bool,
    pub(super) secret_span: Option<Span>,
    pub(super) label: Option<String>,
    pub(super) group: Option<String>,
}

impl Checker<'_> {
    pub(super) fn options(&mut self, param: &Param, ty: &ParamType) -> Options {
        let mut out = Options::default();
        let Some(block) = &param.options else {
            return out;
        };
        let mut seen: IndexMap<&str, Span> = IndexMap::new();
        let mut allowed_spans = Vec::new();
        for property in &block.properties {
            let key = property.key.name.as_str();
            if !OPTIONS.contains(&key) {
                self.unknown_option(&property.key);
                continue;
            }
            if let Some(first) = seen.get(key) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0317,
                        property.key.span,
                        format!("the option `{key}` is set twice"),
                    )
                    .label("set again here")
                    .secondary(*first, "first set here")
                    .help("remove one of them"),
                );
                continue;
            }
            seen.insert(key, property.key.span);
            let (value, failed) = self.fold(&property.value);
            let Some(value) = value else {
                if !failed {
                    self.option_not_constant(key, &property.value);
                }
                continue;
            };
            if ty.fits(key) == Fit::No {
                self.option_does_not_fit(param, key, &property.key, ty);
                continue;
            }
            // The option's line, without the line break the property's own
            // span may hold.
            let span = property.key.span.to(property.value.span);
            let value_span = property.value.span;
            match (key, value) {
                // A whole-number param bounded by a fraction: the templates
                // would carry a bound no value of the param can meet exactly.
                ("min" | "max", Value::Number(n)) if *ty == ParamType::Int && n.fract() != 0.0 => {
                    self.bad_option(
                        key,
                        value_span,
                        format!("`{key}` of an int param must be a whole number, not {n}"),
                        "a fraction".into(),
                        format!(
                            "write a whole number: `{key} = {}`",
                            if key == "min" { n.ceil() } else { n.floor() }
                        ),
                    );
                }
                ("min" | "max", value @ (Value::Int(_) | Value::Number(_))) => {
                    let constraint = Some(Constraint { value, span });
                    if key == "min" {
                        out.constraints.min = constraint;
                    } else {
                        out.constraints.max = constraint;
                    }
                }
                ("min_length" | "max_length", Value::Int(n)) if n >= 0 => {
                    let constraint = Some(Constraint {
                        value: n as u64,
                        span,
                    });
                    if key == "min_length" {
                        out.constraints.min_length = constraint;
                    } else {
                        out.constraints.max_length = constraint;
                    }
                }
                ("min_length" | "max_length", Value::Int(n)) => {
                    self.bad_option(
                        key,
                        value_span,
                        format!("`{key}` cannot be negative"),
                        format!("this is {n}"),
                        format!("a length is 0 or more: `{key} = 0`"),
                    );
                }
                ("pattern", Value::String(source)) => {
                    let mut unsupported = None;
                    let regex = match regex::Regex::new(&source) {
                        Ok(regex) => {
                            if !regex.is_anchored() {
                                self.unanchored(param, &source, value_span);
                            }
                            Some(regex)
                        }
                        Err(error) if error.unsupported => {
                            unsupported = Some(error.message);
                            None
                        }
                        Err(error) => {
                            self.invalid_regex(&property.value, &source, &error);
                            continue;
                        }
                    };
                    out.constraints.pattern = Some(Constraint {
                        value: PatternConstraint {
                            source,
                            regex,
                            unsupported,
                        },
                        span,
                    });
                }
                ("allowed", Value::List(items)) => {
                    if items.is_empty() {
                        self.bad_option(
                            key,
                            value_span,
                            "`allowed` lists no values".into(),
                            "an empty list accepts nothing".into(),
                            "list the values accepted, or remove `allowed`".into(),
                        );
                        continue;
                    }
                    let spans: Vec<Span> = match &property.value.kind {
                        ExprKind::List(exprs) if exprs.len() == items.len() => {
                            exprs.iter().map(|e| e.span).collect()
                        }
                        _ => vec![value_span; items.len()],
                    };
                    let mut values = Vec::with_capacity(items.len());
                    let mut ok = true;
                    for (item, span) in items.into_iter().zip(&spans) {
                        match ty.coerce(item.clone()) {
                            Ok(v) => values.push(v),
                            Err(reason) => {
                                ok = false;
                                let diagnostic = Diagnostic::new(
                                    &codes::E0304,
                                    *span,
                                    format!(
                                        "the allowed value {} does not match the param's type `{}`",
                                        show(&item),
                                        ty.describe()
                                    ),
                                )
                                .label(reason);
                                let diagnostic = self.type_secondary(diagnostic, param, ty);
                                self.diagnostics.push(diagnostic);
                            }
                        }
                    }
                    if ok {
                        allowed_spans = spans;
                        out.constraints.allowed = Some(Constraint {
                            value: values,
                            span,
                        });
                    }
                }
                ("secret", Value::Bool(b)) => {
                    out.secret = b;
                    out.secret_span = Some(span);
                }
                ("message", Value::String(s)) => out.constraints.message = Some(s),
                ("label", Value::String(s)) => out.label = Some(s),
                ("group", Value::String(s)) => out.group = Some(s),
                (_, value) => {
                    let (expected, example) = match key {
                        "min" | "max" => ("a number", format!("`{key} = 1`")),
                        "min_length" | "max_length" => ("an int", format!("`{key} = 8`")),
                        "pattern" => ("a string", "`pattern = \"^[a-z]+$\"`".into()),
                        "allowed" => ("a list", "`allowed = [\"a\", \"b\"]`".into()),
                        "secret" => ("a bool", "`secret = true`".into()),
                        _ => ("a string", format!("`{key} = \"...\"`")),
                    };
                    self.bad_option(
                        key,
                        value_span,
                        format!("`{key}` must be {expected}, not {}", value.kind()),
                        format!("this is {}: {}", value.kind(), show(&value)),
                        format!("write {expected}: {example}"),
                    );
                }
            }
        }
        self.contradictions(&mut out.constraints, &allowed_spans);
        out
    }

    fn bad_option(&mut self, key: &str, span: Span, message: String, label: String, help: String) {
        let _ = key;
        self.diagnostics.push(
            Diagnostic::new(&codes::E0304, span, message)
                .label(label)
                .help(help),
        );
    }

    fn unknown_option(&mut self, key: &Key) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0303,
            key.span,
            format!("unknown param option `{}`", key.name),
        )
        .label("not an option of a param");
        diagnostic = diagnostic.did_you_mean(&key.name, OPTIONS.iter().copied());
        let all: Vec<String> = OPTIONS.iter().map(|o| format!("`{o}`")).collect();
        self.diagnostics
            .push(diagnostic.note(format!("the options of a param are {}", all.join(", "))));
    }

    fn option_not_constant(&mut self, key: &str, expr: &Expr) {
        let diagnostic = match self.culprit(expr) {
            Culprit::Quiet => return,
            Culprit::Name(ident, what) => {
                let diagnostic = Diagnostic::new(
                    &codes::E0304,
                    ident.span,
                    format!("the value of `{key}` must be known at compile time"),
                )
                .label(format!("`{}` is {what}", ident.name));
                if ident.span == expr.span {
                    diagnostic
                } else {
                    diagnostic.secondary(expr.span, format!("the value of `{key}`"))
                }
            }
            Culprit::Nothing => Diagnostic::new(
                &codes::E0304,
                expr.span,
                format!("the value of `{key}` must be known at compile time"),
            )
            .label("this cannot be computed at compile time"),
        };
        self.diagnostics.push(
            diagnostic
                .note("constraints are written into the template and checked by the compiler, so they must be constants")
                .help("write a literal, or use a `let` of constants"),
        );
    }

    fn option_does_not_fit(&mut self, param: &Param, key: &str, key_span: &Key, ty: &ParamType) {
        let (applies, help) = match key {
            "min" | "max" => (
                "ints and numbers",
                "to limit the length of a string, use `min_length` and `max_length`; to list the values accepted, use `allowed`",
            ),
            _ => (
                "strings",
                "to limit an int or a number, use `min` and `max`; to list the values accepted, use `allowed`",
            ),
        };
        let mut diagnostic = Diagnostic::new(
            &codes::E0305,
            key_span.span,
            format!(
                "`{key}` does not apply to a param of type `{}`",
                ty.describe()
            ),
        )
        .label(format!("`{key}` constrains {applies}"));
        diagnostic = match (&param.ty, &param.default) {
            (Some(declared), _) => diagnostic.secondary(declared.span, declared_as(declared, ty)),
            (None, Some(default)) => diagnostic.secondary(
                default.span,
                format!("the default makes the param a `{}`", ty.describe()),
            ),
            (None, None) => diagnostic,
        };
        self.diagnostics.push(diagnostic.help(help));
    }

    fn invalid_regex(&mut self, expr: &Expr, source: &str, error: &regex::Error) {
        let span = pattern_span(expr, source, error.start, error.end);
        let mut diagnostic = Diagnostic::new(
            &codes::E0307,
            span,
            format!("invalid regular expression in `pattern`: {}", error.message),
        )
        .label(error.message.clone());
        if span != expr.span {
            diagnostic = diagnostic.secondary(expr.span, "in this pattern");
        }
        self.diagnostics.push(
            diagnostic
                .note("patterns use the syntax CloudFormation, Heat and Terraform share: literals, `.`, classes `[a-z]`, `\\d \\w \\s`, anchors `^ $`, groups `( | )` and quantifiers `* + ? {n,m}`")
                .help("a literal `(`, `[`, `{`, `*`, `+`, `?`, `.` or `\\` is escaped with a backslash, written `\\\\` in an Infra string, or put in a class: `[.]`"),
        );
    }

    fn unanchored(&mut self, param: &Param, source: &str, span: Span) {
        let missing = match (
            source.starts_with('^') || source.starts_with("\\A"),
            source.ends_with('$') || source.ends_with("\\z"),
        ) {
            (false, false) => "neither starts with `^` nor ends with `$`",
            (true, _) => "does not end with `$`",
            (false, true) => "does not start with `^`",
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::W0301,
                span,
                format!("the pattern of `{}` is not anchored", param.name.name),
            )
            .label(format!("this pattern {missing}"))
            .note("CloudFormation and Heat match a pattern against the whole value, Terraform's `regex` against any part of it: an unanchored pattern accepts different values on different targets")
            .help("anchor the pattern at both ends: `^...$`"),
        );
    }

    /// Reports constraints that contradict each other, and drops bounds
    /// that cross (every value would break one of them).
    fn contradictions(&mut self, constraints: &mut Constraints, allowed_spans: &[Span]) {
        if let (Some(min), Some(max)) = (&constraints.min, &constraints.max)
            && compare(&min.value, &max.value).is_some_and(|o| o.is_gt())
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0306,
                    min.span,
                    format!(
                        "`min` ({}) is greater than `max` ({})",
                        min.value, max.value
                    ),
                )
                .label(format!("the minimum is {}", min.value))
                .secondary(max.span, format!("but the maximum is {}", max.value))
                .note("no value can satisfy both")
                .help("swap the bounds, or correct one of them"),
            );
            constraints.min = None;
            constraints.max = None;
        }
        if let (Some(min), Some(max)) = (&constraints.min_length, &constraints.max_length)
            && min.value > max.value
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0306,
                    min.span,
                    format!(
                        "`min_length` ({}) is greater than `max_length` ({})",
                        min.value, max.value
                    ),
                )
                .label(format!("the minimum length is {}", min.value))
                .secondary(max.span, format!("but the maximum length is {}", max.value))
                .note("no value can satisfy both")
                .help("swap the bounds, or correct one of them"),
            );
            constraints.min_length = None;
            constraints.max_length = None;
        }
        let Some(allowed) = &constraints.allowed else {
            return;
        };
        let others = Constraints {
            allowed: None,
            ..constraints.clone()
        };
        for (value, span) in allowed.value.iter().zip(allowed_spans) {
            for violation in others.violations(value) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0306,
                        *span,
                        format!(
                            "the allowed value {} violates the `{}` constraint",
                            show(value),
                            violation.option
                        ),
                    )
                    .label(violation.reason)
                    .secondary(violation.span, "the constraint")
                    .note("a value in `allowed` that breaks another constraint can never be given")
                    .help("remove the value from `allowed`, or correct the other constraint"),
                );
            }
        }
    }
}

/// The span of characters `start..end` of a pattern written as a plain
/// string literal; the whole expression when the source cannot be mapped
/// exactly (escapes that are ambiguous, interpolation, a `"""` string).
fn pattern_span(expr: &Expr, source: &str, start: usize, end: usize) -> Span {
    let ExprKind::Str(lit) = &expr.kind else {
        return expr.span;
    };
    if lit.multiline || lit.as_plain().as_deref() != Some(source) {
        return expr.span;
    }
    let widths: Vec<usize> = source
        .chars()
        .map(|c| match c {
            '\\' | '"' | '\n' | '\t' | '\r' | '\0' => 2,
            c => c.len_utf8(),
        })
        .collect();
    let total: usize = widths.iter().sum();
    let span_len = (expr.span.end - expr.span.start) as usize;
    if total + 2 != span_len || start > widths.len() {
        return expr.span;
    }
    let end = end.clamp(start, widths.len());
    let from = expr.span.start as usize + 1 + widths[..start].iter().sum::<usize>();
    let to = from + widths[start..end].iter().sum::<usize>();
    Span::new(expr.span.file, from, to.max(from))
}
