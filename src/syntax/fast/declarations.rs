//! Declarations: `import`, `param`, `let`, `resource`, `output`, `type`,
//! `component`, `target` and `native` blocks, their members, blocks of
//! properties, keys and loop bindings.

use crate::syntax::ast::*;

use super::{Parser, is_declaration_word};

impl<'t> Parser<'t> {
    /// `decl`, at the top level of a chunk.
    pub(super) fn declaration(&mut self) -> Option<Item> {
        let start = self.pos;
        let kind = match self.word() {
            b"import" => ItemKind::Import(self.import_decl()?),
            b"param" => ItemKind::Param(self.param_decl()?),
            b"let" => ItemKind::Let(self.let_decl()?),
            b"resource" => ItemKind::Resource(self.resource_decl("resource")?),
            b"existing" => ItemKind::Resource(self.resource_decl("existing")?),
            b"output" => ItemKind::Output(self.output_decl()?),
            b"type" => ItemKind::TypeAlias(self.type_decl()?),
            b"component" | b"native" | b"stateless" | b"persistent" | b"volatile" => {
                match self.attempt(Self::component_decl) {
                    Some(component) => ItemKind::Component(component),
                    None => ItemKind::Native(self.native_decl()?),
                }
            }
            _ => return None,
        };
        Some(self.item(start, kind))
    }

    /// `component_item`: a declaration, then `&decl_end`.
    fn component_item(&mut self) -> Option<Item> {
        let start = self.pos;
        let kind = match self.word() {
            b"param" => ItemKind::Param(self.param_decl()?),
            b"let" => ItemKind::Let(self.let_decl()?),
            b"resource" => ItemKind::Resource(self.resource_decl("resource")?),
            b"output" => ItemKind::Output(self.output_decl()?),
            b"type" => ItemKind::TypeAlias(self.type_decl()?),
            b"target" => ItemKind::Target(self.target_block()?),
            _ => return None,
        };
        // The item's span ends with its rule; the skip is the silent
        // `component_item`'s.
        let item = self.item(start, kind);
        self.skip();
        self.at_decl_end().then_some(item)
    }

    /// `target_item`: a declaration, then `&decl_end`.
    fn target_item(&mut self) -> Option<Item> {
        let start = self.pos;
        let kind = match self.word() {
            b"let" => ItemKind::Let(self.let_decl()?),
            b"resource" => ItemKind::Resource(self.resource_decl("resource")?),
            b"output" => ItemKind::Output(self.output_decl()?),
            b"unsupported" => {
                self.keyword("unsupported")?;
                self.skip();
                let reason = self.string()?;
                let condition = self.attempt(|p| {
                    p.skip();
                    p.keyword("if")?;
                    p.skip();
                    p.expr()
                });
                ItemKind::Unsupported(Unsupported { reason, condition })
            }
            _ => return None,
        };
        let mut item = self.item(start, kind);
        // An `unsupported` ends at its reason or condition, not at the
        // blanks after it.
        if let ItemKind::Unsupported(u) = &item.kind {
            item.span.end = u.condition.as_ref().map_or(u.reason.span, |c| c.span).end;
        }
        self.skip();
        self.at_decl_end().then_some(item)
    }

    /// `decl_end`, as a lookahead: the end, `}` or a declaration word.
    fn at_decl_end(&self) -> bool {
        self.pos == self.bytes.len() || self.at(b"}") || is_declaration_word(self.word())
    }

    fn import_decl(&mut self) -> Option<Import> {
        self.keyword("import")?;
        self.skip();
        let path = self.string()?;
        self.skip();
        self.keyword("as")?;
        self.skip();
        let alias = self.ident()?;
        Some(Import { path, alias })
    }

    /// `(":" ~ type_expr)?`, after the skip before it.
    fn type_annotation(&mut self) -> Option<TypeExpr> {
        self.attempt(|p| {
            p.eat(b":")?;
            p.skip();
            p.type_expr()
        })
    }

    /// `("=" ~ expr)?`, after the skip before it.
    fn optional_value(&mut self) -> Option<Expr> {
        self.attempt(|p| {
            p.eat(b"=")?;
            p.skip();
            p.expr()
        })
    }

    /// `KEYWORD name (: type)? (= value)? block?`: a param, and the shape of
    /// an output too.
    fn param_shaped(&mut self, keyword: &str) -> Option<Param> {
        self.keyword(keyword)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let ty = self.type_annotation();
        self.skip();
        let default = self.optional_value();
        self.skip();
        let options = self.attempt(Self::block);
        Some(Param {
            name,
            ty,
            default,
            options,
        })
    }

    fn param_decl(&mut self) -> Option<Param> {
        self.param_shaped("param")
    }

    fn let_decl(&mut self) -> Option<Let> {
        self.keyword("let")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let ty = self.type_annotation();
        self.skip();
        self.eat(b"=")?;
        self.skip();
        let value = self.expr()?;
        Some(Let { name, ty, value })
    }

    /// `resource_decl`, or `existing_decl` when `keyword` is `existing`.
    fn resource_decl(&mut self, keyword: &str) -> Option<Resource> {
        self.keyword(keyword)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.eat(b":")?;
        self.skip();
        // resource_type = { string | type_path }
        let ty = if self.peek() == Some(b'"') {
            ResourceType::Raw(self.string()?)
        } else {
            ResourceType::Path(self.type_path()?)
        };
        self.skip();
        let for_guard = self.attempt(|p| {
            let start = p.pos;
            p.keyword("for")?;
            p.skip();
            let binding = p.binding()?;
            p.skip();
            p.keyword("in")?;
            p.skip();
            let iterable = p.expr()?;
            // for_key? after the list: the skip before it is given back
            // when there is none.
            let key = p.attempt(|p| {
                p.skip();
                p.keyword("key")?;
                p.skip();
                p.expr().map(Box::new)
            });
            Some(ForGuard {
                binding,
                iterable,
                key,
                span: p.span(start),
            })
        });
        self.skip();
        let if_guard = self.attempt(|p| {
            p.keyword("if")?;
            p.skip();
            p.expr()
        });
        self.skip();
        let body = self.block()?;
        Some(Resource {
            existing: keyword == "existing",
            name,
            ty,
            for_guard,
            if_guard,
            body,
        })
    }

    fn output_decl(&mut self) -> Option<Output> {
        let Param {
            name,
            ty,
            default: value,
            options,
        } = self.param_shaped("output")?;
        Some(Output {
            name,
            ty,
            value,
            options,
        })
    }

    fn type_decl(&mut self) -> Option<TypeAlias> {
        self.keyword("type")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.eat(b"=")?;
        self.skip();
        let ty = self.type_expr()?;
        Some(TypeAlias { name, ty })
    }

    /// `state_class`.
    fn state_class(&mut self) -> Option<StateClass> {
        let state = match self.word() {
            b"stateless" => StateClass::Stateless,
            b"persistent" => StateClass::Persistent,
            b"volatile" => StateClass::Volatile,
            _ => return None,
        };
        self.pos += state.as_str().len();
        Some(state)
    }

    fn component_decl(&mut self) -> Option<Component> {
        let state = self.state_class();
        self.skip();
        self.keyword("component")?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        self.eat(b"{")?;
        self.skip();
        let items = self.repeat(Self::component_item);
        self.skip();
        self.eat(b"}")?;
        Some(Component { state, name, items })
    }

    fn target_block(&mut self) -> Option<TargetBlock> {
        self.keyword("target")?;
        self.skip();
        let target = self.target_name()?;
        self.skip();
        if self
            .targets
            .is_some_and(|wanted| !wanted.contains(&target.name.as_str()))
        {
            if !self.at(b"{") {
                return None;
            }
            // The chunk being read ends a declaration: a boundary of the text.
            let chunk = &self.text[..self.bytes.len()];
            self.pos = super::super::scan::block_end(chunk, self.pos)?;
            return Some(TargetBlock {
                target,
                items: Vec::new(),
            });
        }
        self.eat(b"{")?;
        self.skip();
        let items = self.repeat(Self::target_item);
        self.skip();
        self.eat(b"}")?;
        Some(TargetBlock { target, items })
    }

    fn native_decl(&mut self) -> Option<Native> {
        let state = self.state_class();
        self.skip();
        self.keyword("native")?;
        self.skip();
        let type_name = self.string()?;
        self.skip();
        self.keyword("on")?;
        self.skip();
        let target = self.target_name()?;
        self.skip();
        self.eat(b"{")?;
        self.skip();
        // (schema_member | property)*
        let members = self.repeat(|p| {
            let start = p.pos;
            let kind = match p.attempt(Self::schema_member) {
                Some(kind) => kind,
                None => MemberKind::Setting(p.property()?),
            };
            Some(SchemaMember {
                doc: p.doc(start),
                kind,
                span: p.span(start),
            })
        });
        self.skip();
        self.eat(b"}")?;
        Some(Native {
            state,
            type_name,
            target,
            members,
        })
    }

    /// `schema_member`: `property name: type = default` or `attribute ...`.
    fn schema_member(&mut self) -> Option<MemberKind> {
        let is_property = match self.word() {
            b"property" => true,
            b"attribute" => false,
            _ => return None,
        };
        self.pos += self.word().len();
        self.skip();
        let key = self.key()?;
        let name = Ident {
            name: key.name,
            span: key.span,
        };
        self.skip();
        self.eat(b":")?;
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        let value = self.optional_value();
        let field = Field { name, ty, value };
        Some(if is_property {
            MemberKind::Property(field)
        } else {
            MemberKind::Attribute(field)
        })
    }

    /// `target_name`: words joined by `-`, atomic.
    fn target_name(&mut self) -> Option<Ident> {
        let start = self.pos;
        self.pos += self.peek_name()?.len();
        // ("-" ~ name)*: a dash without a name after it is not part of it.
        while self.peek() == Some(b'-') {
            self.pos += 1;
            match self.peek_name() {
                Some(name) => self.pos += name.len(),
                None => {
                    self.pos -= 1;
                    break;
                }
            }
        }
        let len = self.pos - start;
        self.pos = start;
        Some(self.take_ident(len))
    }

    /// `block`: `{ key = value ... }`, commas optional.
    fn block(&mut self) -> Option<Block> {
        let start = self.pos;
        let properties = self.properties()?;
        Some(Block {
            properties,
            span: self.span(start),
        })
    }

    /// `"{" ~ (property ~ ","?)* ~ "}"`, shared by `block` and `object`.
    pub(super) fn properties(&mut self) -> Option<Vec<Property>> {
        let base = self.open_properties.len();
        match self.open_properties_until_close() {
            Some(()) => Some(self.open_properties.split_off(base)),
            None => {
                self.open_properties.truncate(base);
                None
            }
        }
    }

    fn open_properties_until_close(&mut self) -> Option<()> {
        self.eat(b"{")?;
        self.skip();
        // (property ~ ","?)*, by hand: the hottest loop of a large file.
        let mut first = true;
        loop {
            let checkpoint = self.checkpoint();
            if !first {
                self.skip();
            }
            first = false;
            if self.open_property().is_none() {
                self.restore(checkpoint);
                break;
            }
            self.skip();
            let _ = self.eat(b",");
        }
        self.skip();
        self.eat(b"}")
    }

    fn property(&mut self) -> Option<Property> {
        self.open_property()?;
        self.open_properties.pop()
    }

    /// `property`, pushed onto `open_properties`.
    fn open_property(&mut self) -> Option<()> {
        let start = self.pos;
        let key = self.key()?;
        self.skip();
        self.eat(b"=")?;
        self.skip();
        let value = self.expr()?;
        self.open_properties.push(Property {
            doc: self.doc(start),
            key,
            value,
            span: self.span(start),
        });
        Some(())
    }

    /// `key = _{ name | string }`; a string key must be plain text.
    pub(super) fn key(&mut self) -> Option<Key> {
        if self.peek() == Some(b'"') {
            let string = self.string()?;
            let Some(name) = string.as_plain() else {
                // The lowering reports E0008.
                self.bail = true;
                return None;
            };
            return Some(Key {
                name,
                quoted: true,
                span: string.span,
            });
        }
        let name = self.name()?;
        Some(Key {
            name: name.name,
            quoted: false,
            span: name.span,
        })
    }

    /// `binding`: `x` or `i, x`.
    pub(super) fn binding(&mut self) -> Option<Binding> {
        let first = self.ident()?;
        self.skip();
        let second = self.attempt(|p| {
            p.eat(b",")?;
            p.skip();
            p.ident()
        });
        Some(Binding { first, second })
    }
}
