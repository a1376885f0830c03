//! The build's budget: how many native resources one deployment may hold
//! (copies across every level of nesting), how many elements its
//! compile-time values may hold in all, and how many evaluation steps
//! lowering may take. Past any of them, lowering stops with E0322 or
//! E0323 instead of running for minutes and exhausting memory.
//!
//! Resources are counted before they are made where the program says how
//! many there will be: a repeated resource's copies times the fewest
//! native resources one instance of its type makes (`floor`), which
//! multiplies down through the components it instantiates. So a loop of a
//! thousand instances of a component repeating a resource a thousand times
//! is refused before the first is made.

use rustc_hash::FxHashMap as HashMap;

use crate::diagnostics::{Diagnostic, codes};
use crate::sema::check::ModuleId;
use crate::sema::schema::SchemaKind;
use crate::source::Span;
use crate::syntax::ast::*;

use super::expand::Expander;

/// The limits of one build, each for one target's deployment. The defaults
/// leave room for programs of 50,000 resources and keep a build that
/// reaches them to about a second and a few hundred megabytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Native resources, every copy of every instance counted.
    pub resources: usize,
    /// Elements of the compile-time lists and objects lowering builds
    /// (ranges, comprehensions, concatenations), counted as they are made.
    pub values: usize,
    /// Expressions lowering evaluates, counted each time one is.
    pub steps: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            resources: 100_000,
            values: 5_000_000,
            steps: 20_000_000,
        }
    }
}

/// What lowering has spent of its budget.
#[derive(Default)]
pub(super) struct Spent {
    pub(super) values: usize,
    pub(super) steps: usize,
    /// A limit was reached: lowering stops making anything.
    pub(super) exhausted: bool,
    /// The fewest native resources one instance made by each resource
    /// declaration (by its name's span) makes on this target.
    floors: HashMap<Span, u64>,
}

impl Expander<'_> {
    /// May `copies` instances of `r` be made? Counts the native resources
    /// they make at the least against what is left of the budget; reports
    /// E0322 at `at` when they do not fit.
    pub(super) fn afford(&mut self, r: &Resource, copies: usize, at: Span) -> bool {
        if self.spent.exhausted {
            return false;
        }
        let module = self.frame().module;
        let each = self.floor(module, r);
        let needed = (copies as u64).saturating_mul(each);
        let made = self.resources.len() as u64;
        let limit = self.budget.resources as u64;
        if made.saturating_add(needed) <= limit {
            return true;
        }
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let label = if copies == 1 {
            format!("one instance makes {each} native resource{}", plural(each))
        } else {
            format!(
                "{copies} copies × {each} native resource{} each",
                plural(each)
            )
        };
        let total = made.saturating_add(needed);
        let mut diagnostic = Diagnostic::new(
            &codes::E0322,
            at,
            format!("this expands to at least {total} native resources: the limit is {limit}"),
        )
        .label(label)
        .note("copies multiply through every component they instantiate");
        if made > 0 {
            diagnostic = diagnostic.note(format!("{made} native resources are made before these"));
        }
        diagnostic = diagnostic.help("repeat fewer copies, or raise `max_resources` in the project's `infra.toml` if the program is meant to be this large");
        if let Some(origin) = self.frame().origin.filter(|o| *o != at) {
            diagnostic = diagnostic.secondary(origin, "in an instance made for this resource");
        }
        self.exhaust(diagnostic);
        false
    }

    /// Counts one native resource made, against the budget (for copies
    /// whose number `afford` could not foresee).
    pub(super) fn afford_one(&mut self, at: Span) -> bool {
        if self.spent.exhausted {
            return false;
        }
        if self.resources.len() < self.budget.resources {
            return true;
        }
        let limit = self.budget.resources;
        let diagnostic = Diagnostic::new(
            &codes::E0322,
            at,
            format!("the program expands to more than {limit} native resources"),
        )
        .label(format!("the native resource past the limit of {limit}"))
        .help("repeat fewer copies, or raise `max_resources` in the project's `infra.toml` if the program is meant to be this large");
        self.exhaust(diagnostic);
        false
    }

    /// Counts one evaluation step; false once the budget is spent.
    pub(super) fn step(&mut self, at: Span) -> bool {
        if self.spent.exhausted {
            return false;
        }
        self.spent.steps += 1;
        if self.spent.steps <= self.budget.steps {
            return true;
        }
        let limit = self.budget.steps;
        let diagnostic = Diagnostic::new(
            &codes::E0323,
            at,
            format!("building this program takes more than {limit} evaluation steps"),
        )
        .label("evaluated here when the limit was reached")
        .note("every expression evaluated counts, once per instance and copy it is evaluated for")
        .help("compute less at compile time, or raise `max_steps` in the project's `infra.toml`");
        self.exhaust(diagnostic);
        false
    }

    /// Counts `n` elements of a value about to be built; false once the
    /// budget is spent.
    pub(super) fn hold(&mut self, n: usize, at: Span) -> bool {
        if self.spent.exhausted {
            return false;
        }
        self.spent.values = self.spent.values.saturating_add(n);
        if self.spent.values <= self.budget.values {
            return true;
        }
        let limit = self.budget.values;
        let diagnostic = Diagnostic::new(
            &codes::E0323,
            at,
            format!("the values built for this program hold more than {limit} elements"),
        )
        .label(format!("{n} more elements built here"))
        .note("every list and object element built at compile time counts, once per instance and copy")
        .help("build smaller collections, or raise `max_values` in the project's `infra.toml`");
        self.exhaust(diagnostic);
        false
    }

    fn exhaust(&mut self, diagnostic: Diagnostic) {
        self.spent.exhausted = true;
        self.diagnostics.push(diagnostic);
    }

    /// The fewest native resources the resources among `items` (of the
    /// module being lowered) make, as far as their syntax fixes it (see
    /// `floor`); none past the budget, which lowering refuses.
    pub(super) fn foreseen(&mut self, items: &[Item]) -> usize {
        let module = self.frame().module;
        let mut total: u64 = 0;
        for item in items {
            if let ItemKind::Resource(r) = &item.kind {
                let copies = written_copies(r, &|_| None);
                if copies > 0 {
                    total = total.saturating_add(copies.saturating_mul(self.floor(module, r)));
                }
            }
        }
        usize::try_from(total)
            .ok()
            .filter(|&n| n <= self.budget.resources)
            .unwrap_or(0)
    }

    /// The fewest native resources one instance of `r` (declared in
    /// `module`) makes on this target: one for a native type; for a
    /// component, the sum over its resources (and its target block's) of
    /// the copies the syntax fixes (none for one under an `if`, or repeated
    /// over a list not written out) times their own floor. A range's bound
    /// may be a param of the component, which `r` sets to an integer or
    /// leaves to an integer default.
    fn floor(&mut self, module: ModuleId, r: &Resource) -> u64 {
        let Some(id) = self.program.schema_of(module, r) else {
            return 1;
        };
        let SchemaKind::Component { module, index } = self.program.schemas[id.0 as usize].kind
        else {
            return 1;
        };
        if let Some(&n) = self.spent.floors.get(&r.name.span) {
            return n;
        }
        // A cycle (reported by the checker) counts nothing.
        self.spent.floors.insert(r.name.span, 0);
        let program = self.program;
        let Some(ItemKind::Component(component)) = program.modules[module.0 as usize]
            .items
            .get(index)
            .map(|i| &i.kind)
        else {
            return 0;
        };
        let block = component.items.iter().find_map(|i| match &i.kind {
            ItemKind::Target(t) if t.target.name == self.target.name() => Some(t.items.as_slice()),
            _ => None,
        });
        // An integer the instance gives a param, or its default.
        let bound = |name: &str| -> Option<i64> {
            if let Some(given) = r.body.properties.iter().find(|p| p.key.name == name) {
                return int_literal(&given.value);
            }
            component.items.iter().find_map(|i| match &i.kind {
                ItemKind::Param(p) if p.name.name == name => {
                    p.default.as_ref().and_then(int_literal)
                }
                _ => None,
            })
        };
        let mut total: u64 = 0;
        for item in component.items.iter().chain(block.unwrap_or_default()) {
            let ItemKind::Resource(inner) = &item.kind else {
                continue;
            };
            let copies = written_copies(inner, &bound);
            if copies == 0 {
                continue;
            }
            let each = self.floor(module, inner);
            total = total.saturating_add(copies.saturating_mul(each));
        }
        self.spent.floors.insert(r.name.span, total);
        total
    }
}

/// An integer literal, negative or not.
fn int_literal(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Int(i) => Some(*i),
        ExprKind::Paren(inner) => int_literal(inner),
        ExprKind::Unary(UnaryOp::Neg, inner) => int_literal(inner)?.checked_neg(),
        _ => None,
    }
}

/// The copies of a resource its syntax fixes: one without `for`; a range
/// between integers (literals, or params `bound` knows) or a list literal's
/// length; none under an `if` or over a list computed from other values
/// (lowering counts those as they are made).
fn written_copies(r: &Resource, bound: &dyn Fn(&str) -> Option<i64>) -> u64 {
    if r.if_guard.is_some() {
        return 0;
    }
    let Some(guard) = &r.for_guard else {
        return 1;
    };
    let value = |e: &Expr| match &e.kind {
        ExprKind::Name(name) => bound(&name.name),
        _ => int_literal(e),
    };
    match &guard.iterable.kind {
        ExprKind::Range(from, to) => match (value(from), value(to)) {
            (Some(a), Some(b)) => u64::try_from(b.saturating_sub(a)).unwrap_or(0),
            _ => 0,
        },
        ExprKind::List(items) => items.len() as u64,
        _ => 0,
    }
}
