//! The constraints a param's option block sets, and the ones a value
//! breaks ([`Constraints::violations`]).

use super::regex;
use crate::sema::eval::{Value, show, values_equal};
use crate::source::Span;

/// One constraint with the span of its option line (`max = 20`).
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint<T> {
    pub value: T,
    pub span: Span,
}

/// The constraints of a param, as its option block sets them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Constraints {
    /// An int or a number.
    pub min: Option<Constraint<Value>>,
    pub max: Option<Constraint<Value>>,
    pub min_length: Option<Constraint<u64>>,
    pub max_length: Option<Constraint<u64>>,
    /// `None` inside when the pattern uses a feature this compiler cannot
    /// check (the target still does).
    pub pattern: Option<Constraint<PatternConstraint>>,
    pub allowed: Option<Constraint<Vec<Value>>>,
    /// `message`: what the targets show when a constraint fails.
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PatternConstraint {
    /// The pattern as written.
    pub source: String,
    pub regex: Option<regex::Regex>,
    /// Why the compiler cannot match it, when `regex` is `None`: a feature
    /// some targets have (`lookahead assertions are not supported`).
    pub unsupported: Option<String>,
}

impl Constraints {
    /// The pattern a text value cannot be checked against at compile time,
    /// and why: a value substituted into the template (given with
    /// `--param`, or to a component's param) is then checked by no one.
    pub fn unchecked_pattern(
        &self,
        value: &Value,
    ) -> Option<(&Constraint<PatternConstraint>, &str)> {
        let pattern = self.pattern.as_ref()?;
        match (value, &pattern.value.regex, &pattern.value.unsupported) {
            (Value::String(_), None, Some(why)) => Some((pattern, why.as_str())),
            _ => None,
        }
    }
}

/// E0324: `what` (`the value given for `x``) is substituted into the
/// template, and its pattern uses a feature the compiler cannot match.
pub fn unchecked_pattern_diagnostic(
    what: &str,
    at: Span,
    pattern: &Constraint<PatternConstraint>,
    why: &str,
) -> crate::diagnostics::Diagnostic {
    crate::diagnostics::Diagnostic::new(
        &crate::diagnostics::codes::E0324,
        at,
        format!("{what} cannot be checked against its `pattern` constraint"),
    )
    .label("known at compile time, so it is written into the template as it is")
    .secondary(pattern.span, format!("the pattern `{}`: {why}", pattern.value.source))
    .note("the target checks a pattern only on a value given when deploying; a value known when compiling is checked by the compiler, which cannot match this pattern")
    .help("write the pattern without lookaround, backreferences, flags, possessive quantifiers or Unicode classes, or give the value when deploying")
}

/// A constraint a value breaks.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The option: `min`, `max`, `min_length`, `max_length`, `pattern`,
    /// `allowed`.
    pub option: &'static str,
    /// Its option line.
    pub span: Span,
    /// What is wrong, as a phrase: `25 is greater than the maximum 20`.
    pub reason: String,
}

pub(super) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn list_values(values: &[Value]) -> String {
    let mut shown: Vec<String> = values.iter().take(10).map(show).collect();
    if values.len() > 10 {
        shown.push("...".into());
    }
    shown.join(", ")
}

impl Constraints {
    /// Every constraint `value` breaks, in the order of the option keys.
    /// Null (an optional left out) breaks none.
    pub fn violations(&self, value: &Value) -> Vec<Violation> {
        let mut found = Vec::new();
        if *value == Value::Null {
            return found;
        }
        // A long value is not repeated in full: it is on screen already.
        let shown = show(value);
        let subject = if shown.chars().count() <= 32 {
            shown
        } else {
            "the value".to_string()
        };
        let mut add = |option: &'static str, span: Span, reason: String| {
            found.push(Violation {
                option,
                span,
                reason,
            })
        };
        if let Some(allowed) = &self.allowed
            && !allowed.value.iter().any(|a| values_equal(a, value))
        {
            add(
                "allowed",
                allowed.span,
                format!(
                    "{} is not one of the allowed values {}",
                    subject,
                    list_values(&allowed.value)
                ),
            );
        }
        if let Some(min) = &self.min
            && compare(value, &min.value).is_some_and(|o| o.is_lt())
        {
            add(
                "min",
                min.span,
                format!("{} is less than the minimum {}", subject, min.value),
            );
        }
        if let Some(max) = &self.max
            && compare(value, &max.value).is_some_and(|o| o.is_gt())
        {
            add(
                "max",
                max.span,
                format!("{} is greater than the maximum {}", subject, max.value),
            );
        }
        if let Value::String(text) = value {
            let len = text.chars().count() as u64;
            if let Some(min) = &self.min_length
                && len < min.value
            {
                add(
                    "min_length",
                    min.span,
                    format!(
                        "{} is {} long, fewer than the minimum of {}",
                        subject,
                        plural(len, "character", "characters"),
                        min.value
                    ),
                );
            }
            if let Some(max) = &self.max_length
                && len > max.value
            {
                add(
                    "max_length",
                    max.span,
                    format!(
                        "{} is {} long, more than the maximum of {}",
                        subject,
                        plural(len, "character", "characters"),
                        max.value
                    ),
                );
            }
            if let Some(pattern) = &self.pattern
                && let Some(regex) = &pattern.value.regex
                && !regex.full_match(text)
            {
                add(
                    "pattern",
                    pattern.span,
                    format!(
                        "{} does not match the pattern `{}`",
                        subject, pattern.value.source
                    ),
                );
            }
        }
        found
    }
}
