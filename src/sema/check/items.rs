//! Declarations: a module's (or a component body's) lets, resources and
//! outputs; a resource's properties against its schema, its `for` and `if`
//! folded into [`Instances`], its `deletion` policy; the constraints of a
//! component's params against the constants its instances pass.

use std::cell::RefCell;
use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap as HashMap};

use super::exprs::{bind, canon};
use super::schemas::quoted_type_diagnostic;
use super::secrets::{marked_at, sensitive_outputs};
use super::types::literal_type;
use super::{
    Analysis, Checker, ConstEnv, Count, Entry, Existence, Instances, ModuleId, ResourceInfo, Scope,
};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{self, Value};
use crate::sema::names::{DeclMap, Names};
use crate::sema::schema::Schema;
use crate::sema::schema::SchemaKind;
use crate::sema::ty::{SchemaId, Ty};
use crate::source::Span;
use crate::syntax::ast::*;

/// Up to this many properties, a resource's body is scanned for duplicate
/// keys rather than hashed.
const FEW_PROPERTIES: usize = 16;

impl Checker<'_> {
    /// Checks the declarations of a module (or of a component's body).
    /// `component`: in a component's body or `target` block, the names of
    /// the component's outputs declared `sensitive = true`.
    pub(super) fn check_module(
        &mut self,
        module: ModuleId,
        items: &[Item],
        entry: bool,
        component: Option<&[String]>,
    ) -> Analysis {
        let names = self.modules[module.0 as usize].names.clone();
        let names: &Names = &names;
        let consts = ConstEnv {
            names,
            lets: items
                .iter()
                .filter_map(|item| match &item.kind {
                    ItemKind::Let(l) => Some((names.of(&l.name)?, &l.value)),
                    _ => None,
                })
                .collect(),
            params: if entry {
                self.param_values.clone()
            } else {
                IndexMap::new()
            },
            defaults: if entry {
                self.param_defaults.clone()
            } else {
                IndexMap::new()
            },
            cache: RefCell::default(),
            diagnostics: RefCell::new(Vec::new()),
        };
        let mut scope = Scope {
            module,
            entry,
            names,
            items,
            entries: DeclMap::default(),
            resource_schemas: Vec::new(),
            lets: HashMap::default(),
            let_secrets: HashMap::default(),
            locals: Vec::new(),
            conditions: Vec::new(),
            non_null: Vec::new(),
            renamed: HashMap::default(),
            consts,
        };
        let mut analysis = Analysis::default();
        if entry {
            analysis.states.reserve(items.len());
        }
        self.declare_entries(&mut scope, items);
        for (index, item) in items.iter().enumerate() {
            match &item.kind {
                ItemKind::Let(l) => {
                    self.let_type(&mut scope, index);
                    if entry {
                        // Folding reports what cannot be computed (1 / 0).
                        let _ = scope.consts.lookup(&l.name);
                    }
                }
                ItemKind::Resource(r) => {
                    let schema = scope.resource_schemas[index];
                    let (state, _) = self.check_resource(&mut scope, r, schema, entry);
                    if state == Some(StateClass::Persistent) {
                        self.persistent_in_stateless(r);
                    }
                    if entry && let Some(state) = state {
                        analysis.states.insert(r.name.name.clone(), state);
                    }
                }
                ItemKind::Output(o) => {
                    if let Some(value) = &o.value {
                        let (found, secret) = self.reading_secrets(|s| s.infer(&mut scope, value));
                        if let Some(secret) = secret {
                            if entry {
                                analysis.secret_outputs.insert(o.name.name.clone());
                            } else if let Some(declared) = component {
                                self.secret_in_component_output(&scope, o, declared, &secret);
                            }
                        }
                        if let Some(declared) = &o.ty {
                            let expected = self.resolve_type(module, declared);
                            self.expect(&expected, &found, value.span, None);
                        }
                    } else if let Some(declared) = &o.ty {
                        let _ = self.resolve_type(module, declared);
                    }
                    if let Some(options) = &o.options {
                        self.check_output_options(&mut scope, options);
                    }
                }
                ItemKind::TypeAlias(a) => {
                    let _ = self.resolve_type(module, &a.ty);
                }
                ItemKind::Unsupported(Unsupported {
                    condition: Some(condition),
                    ..
                }) => {
                    let t = self.infer(&mut scope, condition);
                    self.expect(&Ty::Bool, &t, condition.span, None);
                }
                ItemKind::Native(n) => {
                    for member in &n.members {
                        if let MemberKind::Property(f) | MemberKind::Attribute(f) = &member.kind {
                            let _ = self.resolve_type(module, &f.ty);
                        }
                    }
                    if !self.modules[module.0 as usize].stdlib {
                        self.check_redeclared_native(n);
                    }
                }
                ItemKind::Component(_)
                    if self.lazy_stdlib
                        && component.is_none()
                        && self.modules[module.0 as usize].stdlib =>
                {
                    // At a module's top level, `items` are its tree's.
                    self.deferred.insert((module, index));
                }
                ItemKind::Component(c) => self.check_component(module, c),
                _ => {}
            }
        }
        self.check_address_ranges(&scope, items);
        self.diagnostics.extend(scope.consts.diagnostics.take());
        analysis
    }

    /// A component's body, then each of its `target` blocks (of a stdlib
    /// component, those of the targets lowered for).
    fn check_component(&mut self, module: ModuleId, c: &Component) {
        let own: Vec<Item> = c
            .items
            .iter()
            .filter(|i| !matches!(i.kind, ItemKind::Target(_)))
            .cloned()
            .collect();
        let sensitive = sensitive_outputs(c);
        let outer = self.stateless_component.take();
        if c.state == Some(StateClass::Stateless) {
            self.stateless_component = Some(c.name.clone());
        }
        let _ = self.check_module(module, &own, false, Some(&sensitive));
        let every_target = !self.stdlib_for_targets() || !self.modules[module.0 as usize].stdlib;
        for item in &c.items {
            if let ItemKind::Target(block) = &item.kind
                && (every_target
                    || crate::target::Target::from_name(&block.target.name)
                        .is_none_or(|t| self.targets.contains(&t)))
            {
                self.check_target_block(module, c, block);
            }
        }
        self.stateless_component = outer;
    }

    /// Checks the deferred stdlib components the program instantiates,
    /// and those they instantiate in turn.
    pub(super) fn check_wanted_components(&mut self) {
        while let Some((module, index)) = self.wanted.pop() {
            if !self.deferred.remove(&(module, index)) {
                continue;
            }
            let ast = self.modules[module.0 as usize].ast.clone();
            if let ItemKind::Component(c) = &ast.items[index].kind {
                self.check_component(module, c);
            }
        }
    }

    /// E0217: a persistent resource inside a component declared
    /// `stateless`, whose instances are rebuilt at will (the colours of a
    /// blue/green tier): the data it holds would be built twice and lost
    /// with the idle colour. Persistent resources belong outside, shared.
    fn persistent_in_stateless(&mut self, r: &Resource) {
        let Some(component) = &self.stateless_component else {
            return;
        };
        let name = component.name.clone();
        let at = component.span;
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0217,
                r.name.span,
                format!("persistent resource `{}` inside stateless component `{name}`", r.name.name),
            )
            .label("holds data that must survive")
            .secondary(at, "declared `stateless`: its instances are rebuilt at will")
            .note("each instance of a stateless component (each colour of a blue/green tier) would make its own copy of the data, and lose it when it is scaled to zero or rebuilt")
            .help(format!(
                "declare `{}` outside `{name}`, once, and pass it to the component as a param",
                r.name.name
            )),
        );
    }

    fn declare_entries<'a>(&mut self, scope: &mut Scope<'a>, items: &'a [Item]) {
        scope.resource_schemas = vec![None; items.len()];
        for (index, item) in items.iter().enumerate() {
            let (name, entry) = match &item.kind {
                ItemKind::Param(p) => {
                    let ty = match (&p.ty, &p.default) {
                        (Some(t), _) => self.resolve_type(scope.module, t),
                        (None, Some(d)) => literal_type(d),
                        (None, None) => Ty::Any,
                    };
                    let secret = marked_at(p.options.as_ref(), "secret", scope.names, &|n| {
                        scope.consts.lookup(n)
                    });
                    (&p.name, Entry::Param(ty, secret))
                }
                ItemKind::Let(l) => (&l.name, Entry::Let(index)),
                ItemKind::Resource(r) => {
                    let ty = match &r.ty {
                        ResourceType::Path(path) => {
                            match self.resolve_type_path(scope.module, path) {
                                t @ (Ty::Resource(_) | Ty::Error) => t,
                                other => {
                                    let shown = self.show(&other);
                                    self.diagnostics.push(
                                        Diagnostic::new(
                                            &codes::E0106,
                                            path.span,
                                            format!("`{}` is not a resource type", path.text()),
                                        )
                                        .label(format!("this is the value type `{shown}`"))
                                        .help("a resource's type is a component, a portable stdlib type such as `compute.Server`, or a native type such as `AWS::EC2::VPC`"),
                                    );
                                    Ty::Error
                                }
                            }
                        }
                        ResourceType::Raw(name) => self.quoted_type(scope.module, name),
                    };
                    let ty = if r.existing {
                        self.existing_type(ty, r)
                    } else {
                        ty
                    };
                    let ty = if r.for_guard.is_some() && !r.existing {
                        Ty::list(ty)
                    } else {
                        ty
                    };
                    let condition = r.if_guard.as_ref().map(|c| Box::new((canon(c), c.span)));
                    (
                        &r.name,
                        Entry::Resource {
                            ty,
                            condition,
                            item: index,
                        },
                    )
                }
                ItemKind::Import(i) => (&i.alias, Entry::Import),
                _ => continue,
            };
            // A name declared twice (E0101) has only its first
            // declaration's id: the second is left out.
            let Some(id) = scope.names.of(name) else {
                continue;
            };
            let entry = scope.entries.get_or_insert(id, entry);
            if matches!(item.kind, ItemKind::Resource(_)) {
                // A name declared twice has the first declaration's entry.
                scope.resource_schemas[index] = match entry {
                    Entry::Resource { ty, .. } => match ty.non_optional() {
                        Ty::Resource(id) => Some(*id),
                        Ty::List(inner) => match **inner {
                            Ty::Resource(id) => Some(id),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
            }
        }
    }

    pub(super) fn let_type(&mut self, scope: &mut Scope, index: usize) -> Ty {
        match scope.lets.get(&index) {
            Some(Some(t)) => return t.clone(),
            // A cycle among lets; the graph reports it.
            Some(None) => return Ty::Error,
            None => {}
        }
        scope.lets.insert(index, None);
        let ItemKind::Let(l) = &scope.items[index].kind else {
            return Ty::Error;
        };
        // Lets are checked outside any local scope or condition.
        let locals = std::mem::take(&mut scope.locals);
        let conditions = std::mem::take(&mut scope.conditions);
        let (found, secret) = self.reading_secrets(|s| s.infer(scope, &l.value));
        if let Some(secret) = secret {
            scope.let_secrets.insert(index, secret);
        }
        scope.locals = locals;
        scope.conditions = conditions;
        let ty = match &l.ty {
            Some(declared) => {
                let expected = self.resolve_type(scope.module, declared);
                self.expect(&expected, &found, l.value.span, None);
                expected
            }
            None => found,
        };
        scope.lets.insert(index, Some(ty.clone()));
        ty
    }

    /// Checks a resource; returns its state class when its type is known,
    /// and, in the entry file, how many instances exist.
    fn check_resource(
        &mut self,
        scope: &mut Scope,
        r: &Resource,
        schema: Option<SchemaId>,
        fold: bool,
    ) -> (Option<StateClass>, Instances) {
        let mut instances = Instances {
            count: Count::One,
            existence: Existence::Always,
        };
        // An `existing` of a type without a schema is refused (E0111).
        if let ResourceType::Raw(name) = &r.ty
            && !r.existing
        {
            self.raw_type(name, schema.is_some());
        }
        if r.existing {
            self.check_existing(r, schema);
        }
        if let Some(schema) = schema {
            let at = match &r.ty {
                ResourceType::Path(path) => path.span,
                ResourceType::Raw(name) => name.span,
            };
            self.check_deprecated(scope.module, schema, None, at);
        }
        let locals_before = scope.locals.len();
        if let Some(guard) = &r.for_guard {
            let (iterable, secret) = self.reading_secrets(|s| s.infer(scope, &guard.iterable));
            let element = self.element_type(&iterable, guard.iterable.span);
            // A list of the wrong type is already reported.
            if fold && !element.is_error() {
                let list = matches!(iterable, Ty::List(_));
                instances.count = self.repetition(scope, guard, list);
            }
            self.record_binding_stage(scope, &guard.binding, &guard.iterable);
            bind(scope, &guard.binding, &iterable, element, secret);
            // A copy's name: text or a number (an `int` is written as it is).
            if let Some(key) = &guard.key {
                let t = self.infer(scope, key);
                if !matches!(t, Ty::Int) {
                    self.expect(&Ty::String, &t, key.span, None);
                }
            }
        }
        let pushed_condition = match &r.if_guard {
            Some(condition) => {
                let t = self.infer(scope, condition);
                self.expect(&Ty::Bool, &t, condition.span, None);
                scope.conditions.push(canon(condition));
                if fold {
                    instances.existence = match self.fold(scope, condition) {
                        Some(Value::Bool(true)) => Existence::Always,
                        Some(Value::Bool(false)) => Existence::Never,
                        _ => Existence::Conditional,
                    };
                }
                true
            }
            None => false,
        };
        let properties = &r.body.properties;
        // The latest span of each key set so far; a short body is scanned
        // instead.
        let mut seen: Option<HashMap<&str, Span>> = (properties.len() > FEW_PROPERTIES)
            .then(|| HashMap::with_capacity_and_hasher(properties.len(), FxBuildHasher));
        // The schema, once its fields are resolved.
        let mut resolved: Option<Arc<Schema>> = None;
        // A property the schema lacks, likely a misspelt one of those a
        // one-of rule names: that rule is not checked then.
        let mut unknown = false;
        for (index, property) in properties.iter().enumerate() {
            let key = property.key.name.as_str();
            let earlier = match &mut seen {
                Some(seen) => seen.insert(key, property.key.span),
                None => properties[..index]
                    .iter()
                    .rev()
                    .find(|p| p.key.name == key)
                    .map(|p| p.key.span),
            };
            if let Some(first) = earlier {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0205,
                        property.key.span,
                        format!("property `{key}` is set twice"),
                    )
                    .label("set again here")
                    .secondary(first, "first set here")
                    .help("remove one of them"),
                );
            }
            match key {
                "depends_on" | "deletion" | "renamed_from" if r.existing => continue,
                "depends_on" => {
                    // Entries must be resources; the graph checks them.
                    continue;
                }
                "deletion" => {
                    self.check_deletion(property, schema);
                    continue;
                }
                "renamed_from" => {
                    self.check_renamed_from(scope, r, property);
                    continue;
                }
                _ => {}
            }
            let Some(schema) = schema else {
                let _ = self.infer(scope, &property.value);
                continue;
            };
            let fields = match &resolved {
                Some(fields) => fields,
                None => {
                    self.ensure_fields(schema);
                    resolved.insert(self.schemas[schema.0 as usize].clone())
                }
            };
            match fields.inputs.get(key) {
                Some(field) => {
                    self.check_deprecated(scope.module, schema, Some(key), property.key.span);
                    let ((), secret) = self.reading_secrets(|s| {
                        s.check_value(scope, &property.value, &field.ty, Some((key, field)))
                    });
                    if let Some(secret) = secret {
                        self.secret_in_property(scope.module, schema, key, field, &secret);
                    }
                    self.check_constraints(scope, schema, key, &property.value);
                    self.check_member_constraints(scope, schema, key, &property.value);
                    self.check_address_blocks(scope, schema, key, &property.value);
                }
                None => {
                    let _ = self.infer(scope, &property.value);
                    self.unknown_property(schema, &property.key);
                    unknown = true;
                }
            }
        }
        if let Some(schema) = schema {
            self.ensure_fields(schema);
            let fields = self.schemas[schema.0 as usize].clone();
            let is_set = |name: &str| match &seen {
                Some(seen) => seen.contains_key(name),
                None => properties.iter().any(|p| p.key.name == name),
            };
            let missing = fields
                .inputs
                .iter()
                .filter(|(name, field)| field.required && !is_set(name));
            for (name, field) in missing {
                let schema_name = self.schema_name(schema);
                let shown = self.show(&field.ty);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0202,
                        r.name.span,
                        format!("missing required property `{name}` of `{schema_name}`"),
                    )
                    .label(format!("`{name}` is not set"))
                    .secondary(
                        field.span,
                        format!("`{name}` is declared here, of type `{shown}`"),
                    )
                    .help(format!("set it: `{name} = ...`")),
                );
            }
            if !unknown {
                self.check_one_of_required(scope, schema, r.name.span, properties);
            }
        }
        if pushed_condition {
            scope.conditions.pop();
        }
        scope.locals.truncate(locals_before);
        if let Some(id) = schema
            && let SchemaKind::Component { module, index } = self.schemas[id.0 as usize].kind
            && self.deferred.contains(&(module, index))
        {
            self.wanted.push((module, index));
        }
        if let Some(decl) = scope.names.of(&r.name) {
            let info = ResourceInfo {
                schema,
                instances: instances.clone(),
            };
            let module = scope.module.0 as usize;
            if self.resources.len() <= module {
                self.resources.resize_with(module + 1, DeclMap::default);
            }
            self.resources[module].insert(decl, info);
        }
        let state = schema.map(|s| self.schemas[s.0 as usize].state);
        (state, instances)
    }

    /// An output's options: `export`, a name (deploy-time parts allowed, as
    /// CloudFormation's `Export.Name`), and `sensitive`, which decides how
    /// the output is emitted and so must be known at compile time.
    fn check_output_options(&mut self, scope: &mut Scope, options: &Block) {
        const OPTIONS: &[&str] = &["export", "sensitive"];
        for p in &options.properties {
            let expected = match p.key.name.as_str() {
                "export" => Ty::String,
                "sensitive" => Ty::Bool,
                other => {
                    let _ = self.infer(scope, &p.value);
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0201,
                            p.key.span,
                            format!("unknown output option `{other}`"),
                        )
                        .label("not an option of an output")
                        .did_you_mean(other, OPTIONS.iter().copied())
                        .note("an output's options are `export` (a name other stacks import the value by) and `sensitive`"),
                    );
                    continue;
                }
            };
            let (found, secret) =
                self.reading_secrets(|s| s.check_expr(scope, &p.value, &expected));
            let found = found.unwrap_or_else(|| expected.clone());
            if p.key.name == "export"
                && let Some(secret) = secret
                && !self.modules[scope.module.0 as usize].stdlib
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0321,
                        secret.read,
                        "an export name cannot read a secret",
                    )
                    .label(secret.label())
                    .secondary(secret.origin, secret.why.clone())
                    .note("the export name is written into the template in plain text, and every stack that imports the output sees it")
                    .help("build the export name from values that are not secret"),
                );
            }
            self.expect(&expected, &found, p.value.span, None);
            if p.key.name == "sensitive"
                && found == Ty::Bool
                && !matches!(
                    eval::eval(
                        &p.value,
                        scope.names,
                        &|name| scope.consts.lookup(name),
                        &mut Vec::new()
                    ),
                    Some(Value::Bool(_))
                )
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0308,
                        p.value.span,
                        "`sensitive` must be known at compile time",
                    )
                    .label("known only at deploy time")
                    .help("write `sensitive = true` or `false`, or give the params it reads with `--param`"),
                );
            }
        }
    }

    /// The compile-time value of an expression of the module's top level,
    /// if everything it reads is known at compile time.
    fn fold(&mut self, scope: &Scope, expr: &Expr) -> Option<Value> {
        let mut diagnostics = Vec::new();
        let value = eval::eval(
            expr,
            scope.names,
            &|name| scope.consts.lookup(name),
            &mut diagnostics,
        );
        self.diagnostics.extend(diagnostics);
        value
    }

    /// How many instances a `for` makes: unrolled when the list is known at
    /// compile time, the target's own count for a deploy-time range or
    /// list (`list`: the iterable is one), which lowering refuses where the
    /// target cannot count a list (E0210).
    fn repetition(&mut self, scope: &Scope, guard: &ForGuard, list: bool) -> Count {
        match self.fold(scope, &guard.iterable) {
            Some(Value::List(items)) => Count::Fixed(items.len()),
            Some(Value::Object(fields)) => Count::Fixed(fields.len()),
            Some(_) => Count::One,
            None => match self.static_length(scope, &guard.iterable, 0) {
                Some(n) => Count::Fixed(n),
                None if list || matches!(guard.iterable.kind, ExprKind::Range(..)) => Count::Deploy,
                None => self.deploy_time_list(guard),
            },
        }
    }

    /// The length of a list whose elements may be known only at deploy time
    /// but whose shape is fixed: `[a, b]`, `[for x in xs: ...]` over such a
    /// list, a range with constant bounds, a let of one of these.
    fn static_length(&mut self, scope: &Scope, expr: &Expr, depth: usize) -> Option<usize> {
        if depth > 64 {
            return None;
        }
        match &expr.kind {
            ExprKind::List(items) => Some(items.len()),
            // Keys known at compile time, values perhaps only at deploy
            // time (each copy binding a deploy-time count).
            ExprKind::Object(props) => Some(props.len()),
            ExprKind::Paren(inner) => self.static_length(scope, inner, depth + 1),
            ExprKind::ListComp(comp) if comp.filter.is_none() => {
                self.static_length(scope, &comp.iterable, depth + 1)
            }
            ExprKind::Name(name) => {
                let value = scope.consts.let_value(name)?;
                self.static_length(scope, value, depth + 1)
            }
            _ => match self.fold(scope, expr)? {
                Value::List(items) => Some(items.len()),
                Value::Object(fields) => Some(fields.len()),
                _ => None,
            },
        }
    }

    fn deploy_time_list(&mut self, guard: &ForGuard) -> Count {
        {
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0210,
                        guard.iterable.span,
                        "`for` over a list known only at deploy time",
                    )
                    .label("this list is not known at compile time")
                    .note("repetition over a list unrolls into distinct resources, so the compiler must know the list; only a count (`for i in 0..n`) may wait for deploy time")
                    .help("give the params this list depends on at compile time (`--param`), or repeat over a range `0..length`"),
                );
                Count::One
            }
        }
    }

    /// A constant given to a component's param must meet the param's
    /// constraints, as a compile-time value given to a program's param does.
    fn check_constraints(&mut self, scope: &Scope, schema: SchemaId, key: &str, value: &Expr) {
        let Some(constraints) = self.schemas[schema.0 as usize]
            .constraints
            .get(key)
            .cloned()
        else {
            return;
        };
        for (e, folded, param) in constants(scope, value) {
            self.report_violations(schema, key, &constraints, e.span, &folded, param);
        }
    }

    pub(super) fn report_violations(
        &mut self,
        schema: SchemaId,
        key: &str,
        constraints: &crate::sema::params::Constraints,
        span: Span,
        folded: &Value,
        default_of: Option<&str>,
    ) {
        let schema_name = self.schema_name(schema);
        if default_of.is_none()
            && let Some((pattern, why)) = constraints.unchecked_pattern(folded)
        {
            let what = format!("`{key}` of `{schema_name}`");
            self.diagnostics
                .push(crate::sema::params::unchecked_pattern_diagnostic(
                    &what, span, pattern, why,
                ));
        }
        for violation in constraints.violations(folded) {
            let (reason, label) = match default_of {
                Some(param) => (
                    format!("the default of `{param}`: {}", violation.reason),
                    format!(
                        "`{param}` breaks `{}` when deployed with its default",
                        violation.option
                    ),
                ),
                None => (
                    violation.reason.clone(),
                    format!("breaks `{}`", violation.option),
                ),
            };
            let mut diagnostic = Diagnostic::new(
                &codes::E0301,
                span,
                format!("`{key}` of `{schema_name}`: {reason}"),
            )
            .label(label)
            .secondary(violation.span, "the constraint");
            if let Some(message) = &constraints.message {
                diagnostic = diagnostic.note(message.clone());
            }
            if let Some(param) = default_of {
                diagnostic = diagnostic.help(format!(
                    "change the default of `{param}`, or give `{param}` the same constraint so a deployment cannot pass such a value"
                ));
            }
            self.diagnostics.push(diagnostic);
        }
    }

    fn raw_type(&mut self, name: &StringLit, has_schema: bool) {
        let text = name.as_plain().unwrap_or_default();
        if crate::target::vocabulary_of(&text).is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0104,
                    name.span,
                    format!("`{text}` is not a type name of any target"),
                )
                .label("unknown target vocabulary")
                .help("a native type name starts with `AWS::`, `OS::`, `aws_`, `openstack_` or `random_`"),
            );
            return;
        }
        self.diagnostics
            .push(quoted_type_diagnostic(&text, name.span, has_schema));
    }

    /// A program's own declaration of a native type the stdlib declares
    /// persistent must say `persistent` too (E0215): the state class decides
    /// the protection of its data, which a redeclaration may not drop.
    fn check_redeclared_native(&mut self, n: &Native) {
        let Some(name) = n.type_name.as_plain() else {
            return;
        };
        let Some(stdlib) = self.native_schema(&name) else {
            return;
        };
        let schema = &self.schemas[stdlib.0 as usize];
        let declared = n.state.unwrap_or(StateClass::Stateless);
        if schema.state != StateClass::Persistent || declared == StateClass::Persistent {
            return;
        }
        let at = schema.span;
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0215,
                n.type_name.span,
                format!(
                    "`{name}` is persistent in the stdlib: declared {}, its resources would lose their protection",
                    declared.as_str()
                ),
            )
            .label(format!("redeclared {}", declared.as_str()))
            .secondary(at, "the stdlib declares it persistent here")
            .note("a persistent resource is retained (or snapshotted) when deleted or replaced; the state class of a type is the stdlib's to weaken, not a program's")
            .help(format!("write `persistent native \"{name}\" ...`, and `deletion = \"delete\"` on a resource whose data may go")),
        );
    }

    /// `renamed_from = "old"`: a name this resource had before, that no
    /// declaration of its scope has now and no other resource claims.
    fn check_renamed_from(&mut self, scope: &mut Scope, r: &Resource, property: &Property) {
        let value = match &property.value.kind {
            ExprKind::Str(s) => s.as_plain(),
            _ => None,
        };
        let Some(old) = value else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0110,
                    property.value.span,
                    "`renamed_from` must be written as a literal",
                )
                .label("not a literal string")
                .note(
                    "the name a resource had is fixed: it is the name its deployed resources carry",
                )
                .help(format!(
                    "write the earlier name in quotes, as in `renamed_from = \"old_{}\"`",
                    r.name.name
                )),
            );
            return;
        };
        let valid = old
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && old.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let problem = if !valid {
            Some(("not a name".to_string(), None))
        } else if old == r.name.name {
            Some(("the resource's own name".to_string(), None))
        } else if let Some(other) = scope
            .items
            .iter()
            .find_map(|i| declared_name(i).filter(|n| n.name == old))
        {
            Some((format!("`{old}` is declared here"), Some(other.span)))
        } else {
            let earlier = scope.renamed.insert(old.clone(), property.value.span);
            earlier.map(|at| {
                (
                    format!("another resource was renamed from `{old}`"),
                    Some(at),
                )
            })
        };
        if let Some((label, at)) = problem {
            let mut diagnostic = Diagnostic::new(
                &codes::E0110,
                property.value.span,
                format!("`{}` cannot be renamed from \"{old}\"", r.name.name),
            )
            .label(label)
            .note("`renamed_from` keeps the deployed resources of an earlier name: that name must be a name, unused now, and claimed once");
            if let Some(at) = at {
                diagnostic = diagnostic.secondary(at, "the earlier name is taken here");
            }
            self.diagnostics.push(diagnostic);
        }
    }

    fn check_deletion(&mut self, property: &Property, schema: Option<SchemaId>) {
        const POLICIES: &[&str] = &["delete", "retain", "snapshot"];
        let value = match &property.value.kind {
            ExprKind::Str(s) => s.as_plain(),
            _ => None,
        };
        let Some(value) = value else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0209,
                    property.value.span,
                    "`deletion` must be written as a literal",
                )
                .label("not a literal string")
                .note("the policy is fixed at compile time: it becomes the template's own deletion policy")
                .help("write \"delete\", \"retain\" or \"snapshot\" here"),
            );
            return;
        };
        let Some(value) = Some(value).filter(|v| POLICIES.contains(&v.as_str())) else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0209,
                    property.value.span,
                    "`deletion` must be \"delete\", \"retain\" or \"snapshot\"",
                )
                .label("not a deletion policy")
                .note("the policy is fixed at compile time: it becomes the template's own deletion policy"),
            );
            return;
        };
        if value == "delete"
            && let Some(schema) = schema
        {
            let s = &self.schemas[schema.0 as usize];
            {
                if s.state == StateClass::Persistent {
                    let name = s.name.clone();
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::W0201,
                            property.value.span,
                            format!(
                                "`{name}` holds data that this policy deletes with the resource"
                            ),
                        )
                        .label("the data is lost when the resource is deleted or replaced")
                        .note(format!("`{name}` is persistent: by default it is retained"))
                        .help(
                            "remove `deletion` to keep the default protection, or use \"snapshot\"",
                        ),
                    );
                }
            }
        }
    }

    fn unknown_property(&mut self, schema: SchemaId, key: &Key) {
        let s = &self.schemas[schema.0 as usize];
        let mut diagnostic = Diagnostic::new(
            &codes::E0201,
            key.span,
            format!("`{}` has no property `{}`", s.name, key.name),
        )
        .label("unknown property")
        .secondary(s.span, format!("`{}` is declared here", s.name));
        let candidates = s
            .inputs
            .keys()
            .map(String::as_str)
            .chain(META_PROPERTIES.iter().copied());
        diagnostic = diagnostic.did_you_mean(&key.name, candidates);
        self.diagnostics.push(diagnostic);
    }
}

/// The constants a property's value may be, with the expressions that give
/// them: a value chosen at deploy time between constants is each of them,
/// and a param passed as it is is its default (then named), the value a
/// deployment that gives none gets.
pub(super) fn constants<'e>(
    scope: &Scope,
    value: &'e Expr,
) -> Vec<(&'e Expr, Value, Option<&'e str>)> {
    let mut alternatives = vec![value];
    let mut constants = Vec::new();
    while let Some(e) = alternatives.pop() {
        match &e.kind {
            ExprKind::Conditional(_, a, b) => alternatives.extend([&**b, &**a]),
            ExprKind::Paren(inner) => alternatives.push(inner),
            ExprKind::Name(name)
                if !scope.is_local(name)
                    && let Some(default) = scope.consts.default_of(name) =>
            {
                constants.push((e, default.clone(), Some(name.name.as_str())));
            }
            _ => {
                // What cannot be folded is reported where it is checked.
                let mut quiet = Vec::new();
                let folded = eval::eval(
                    e,
                    scope.names,
                    &|name| scope.consts.lookup(name),
                    &mut quiet,
                );
                constants.extend(folded.map(|v| (e, v, None)));
            }
        }
    }
    constants
}

/// The name a param, let, resource, import or component declares.
fn declared_name(item: &Item) -> Option<&Ident> {
    match &item.kind {
        ItemKind::Param(p) => Some(&p.name),
        ItemKind::Let(l) => Some(&l.name),
        ItemKind::Resource(r) => Some(&r.name),
        ItemKind::Import(i) => Some(&i.alias),
        ItemKind::Component(c) => Some(&c.name),
        _ => None,
    }
}
