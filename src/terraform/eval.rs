//! What a Terraform expression is worth before `terraform plan`: literals, and what resolves
//! to literals through input variables (by Terraform's precedence), module arguments,
//! locals, `each` and `count`, a few pure functions (`toset`, `tomap`, `length`, `lookup`,
//! `element`, `concat`, `compact`, `coalesce`, `try`, `merge`, `keys`, `values`, `lower`, `upper`),
//! conditionals and comparisons. Anything else (a data source, another resource's id, a
//! module output) is unknown, and the value says which expression and where.
//!
//! Every value remembers the places it was set on its way (a module argument, a tfvars line,
//! a variable default), so a finding can label each.

use std::rc::Rc;

use hcl_edit::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::Element;
use miette::SourceSpan;

use super::budget::Budget;
use super::modules::{Config, label, to_span};
use super::variables::SetBy;
use crate::source::SourceFile;

/// A place in a file.
#[derive(Debug, Clone)]
pub struct Site {
    pub file: SourceFile,
    pub span: SourceSpan,
}

/// A place a value passed through, with what to say there.
#[derive(Debug, Clone)]
pub struct Hop {
    pub site: Site,
    pub label: String,
}

#[derive(Debug, Clone)]
pub enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
    List(Vec<Got>),
    Map(Vec<(String, Got)>),
    Null,
}

/// Why a value is not known before plan: the expression that decides it, and where.
#[derive(Debug, Clone)]
pub struct Unknown {
    pub text: String,
    pub site: Option<Site>,
}

/// A value (or why there is none), where it was written, and the places it came through.
#[derive(Debug, Clone)]
pub struct Got {
    pub val: Result<Val, Unknown>,
    pub site: Option<Site>,
    pub hops: Vec<Hop>,
}

impl Got {
    pub fn known(val: Val, site: Option<Site>) -> Got {
        Got {
            val: Ok(val),
            site,
            hops: Vec::new(),
        }
    }

    fn unknown(text: String, site: Option<Site>) -> Got {
        Got {
            val: Err(Unknown {
                text,
                site: site.clone(),
            }),
            site,
            hops: Vec::new(),
        }
    }

    /// The value as one string, when it is a string, number or bool.
    pub fn scalar(&self) -> Option<String> {
        match &self.val {
            Ok(Val::Str(s)) => Some(s.clone()),
            Ok(Val::Num(n)) => Some(number(*n)),
            Ok(Val::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    fn with_hop(mut self, hop: Hop) -> Got {
        self.hops.insert(0, hop);
        self
    }
}

/// `3` for 3.0, `2.5` for 2.5.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// An instance key: `[0]` (count) or `["a"]` (for_each).
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    None,
    Index(usize),
    Name(String),
}

impl Key {
    pub fn suffix(&self) -> String {
        match self {
            Key::None => String::new(),
            Key::Index(i) => format!("[{i}]"),
            Key::Name(n) => format!("[{}]", serde_json::Value::from(n.as_str())),
        }
    }
}

/// What `each` and `count` are inside one instance of a block.
#[derive(Debug, Clone, Default)]
pub struct Each {
    pub key: Option<Got>,
    pub value: Option<Got>,
    pub index: Option<usize>,
}

/// One instance of a module: the root, or a call (one per `count` / `for_each` key).
#[derive(Debug)]
pub struct Instance {
    pub module: usize,
    /// `module.web["a"].module.db`; empty for the root.
    pub address: String,
    /// What `each` / `count` are in the call's arguments.
    pub each: Each,
    pub parent: Option<Rc<Instance>>,
}

impl Instance {
    pub fn root() -> Rc<Instance> {
        Rc::new(Instance {
            module: 0,
            address: String::new(),
            each: Each::default(),
            parent: None,
        })
    }
}

/// Where an expression is evaluated: a module instance, and `each` / `count` of the block.
#[derive(Clone)]
pub struct Scope {
    pub instance: Rc<Instance>,
    pub each: Each,
}

impl Scope {
    pub fn of(instance: &Rc<Instance>) -> Scope {
        Scope {
            instance: Rc::clone(instance),
            each: Each::default(),
        }
    }
}

const MAX_DEPTH: usize = 48;

/// Where one expression is being evaluated, handed to the method for its kind.
struct Here<'e> {
    expr: &'e Expression,
    file: &'e SourceFile,
    scope: &'e Scope,
    depth: usize,
    site: Option<Site>,
}

impl<'e> Here<'e> {
    fn new(
        expr: &'e Expression,
        file: &'e SourceFile,
        scope: &'e Scope,
        depth: usize,
        site: Option<Site>,
    ) -> Self {
        Here {
            expr,
            file,
            scope,
            depth,
            site,
        }
    }
}

pub struct Evaluator<'c> {
    pub config: &'c Config,
    /// The work this configuration may still ask for; once spent, every value is unknown
    /// and the reader turns `budget.error()` into an input error.
    pub budget: Budget,
    /// What Terraform itself refuses (a `count` that is not a whole number), each an input
    /// error at the expression; reading `.tf` directly reports them, as `terraform plan` would.
    pub refused: std::cell::RefCell<Vec<crate::error::InputError>>,
}

impl<'c> Evaluator<'c> {
    pub fn new(config: &'c Config) -> Self {
        Evaluator {
            config,
            budget: Budget::default(),
            refused: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Records what Terraform would refuse at `span` of `file`.
    pub fn refuse(&self, error: crate::error::InputError) {
        let mut refused = self.refused.borrow_mut();
        if !refused
            .iter()
            .any(|e| e.span() == error.span() && e.file() == error.file())
        {
            refused.push(error);
        }
    }

    /// What `expr` is worth in `scope`: one top-level expression, with a step budget of its
    /// own.
    pub fn eval(&self, expr: &Expression, file: &SourceFile, scope: &Scope) -> Got {
        self.budget.start_expression();
        self.eval_at(expr, file, scope, 0)
    }

    fn eval_at(&self, expr: &Expression, file: &SourceFile, scope: &Scope, depth: usize) -> Got {
        let site = expr.span().map(|r| Site {
            file: file.clone(),
            span: to_span(r),
        });
        let unknown = || Got::unknown(text_of(file, expr), site.clone());
        let at = || site.as_ref().map(|s| (s.file.clone(), s.span));
        if depth > MAX_DEPTH || !self.budget.step(&at) {
            return unknown();
        }
        let eval = |e: &Expression| self.eval_at(e, file, scope, depth + 1);
        match expr {
            Expression::Null(_) => Got::known(Val::Null, site),
            Expression::Bool(b) => Got::known(Val::Bool(*b.value()), site),
            Expression::Number(n) => match n.value().as_f64() {
                Some(n) => Got::known(Val::Num(n), site),
                None => unknown(),
            },
            Expression::String(s) => Got::known(Val::Str(s.value().to_string()), site),
            Expression::Array(items) => {
                Got::known(Val::List(items.iter().map(eval).collect()), site)
            }
            Expression::Object(object) => {
                let mut members = Vec::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => match eval(e).scalar() {
                            Some(k) => k,
                            None => return unknown(),
                        },
                    };
                    members.push((key, eval(value.expr())));
                }
                Got::known(Val::Map(members), site)
            }
            Expression::Parenthesis(p) => eval(p.inner()),
            Expression::StringTemplate(t) => {
                self.template(t, Here::new(expr, file, scope, depth, site))
            }
            Expression::Conditional(c) => {
                let cond = eval(&c.cond_expr);
                match cond.val {
                    Ok(Val::Bool(true)) => eval(&c.true_expr),
                    Ok(Val::Bool(false)) => eval(&c.false_expr),
                    Err(_) => cond,
                    Ok(_) => unknown(),
                }
            }
            Expression::UnaryOp(op) => {
                let inner = eval(&op.expr);
                match (op.operator.value(), &inner.val) {
                    (UnaryOperator::Not, Ok(Val::Bool(b))) => Got::known(Val::Bool(!b), site),
                    (UnaryOperator::Neg, Ok(Val::Num(n))) => Got::known(Val::Num(-n), site),
                    (_, Err(_)) => inner,
                    _ => unknown(),
                }
            }
            Expression::BinaryOp(op) => self.binary(op, Here::new(expr, file, scope, depth, site)),
            Expression::FuncCall(call) => {
                if call.name.is_namespaced() {
                    return unknown();
                }
                let args: Vec<Got> = call.args.iter().map(eval).collect();
                let got = self
                    .function(call.name.name.as_str(), args, site.clone())
                    .unwrap_or_else(unknown);
                let within = match &got.val {
                    Ok(Val::List(items)) => self.budget.collection(items.len(), &at),
                    Ok(Val::Map(members)) => self.budget.collection(members.len(), &at),
                    Ok(Val::Str(s)) => self.budget.string(s.len(), &at),
                    _ => true,
                };
                if within { got } else { unknown() }
            }
            Expression::Traversal(t) => {
                self.traversal(t, Here::new(expr, file, scope, depth, site))
            }
            Expression::Variable(_) | Expression::HeredocTemplate(_) | Expression::ForExpr(_) => {
                unknown()
            }
        }
    }

    fn template(&self, t: &hcl_edit::template::StringTemplate, here: Here) -> Got {
        let Here {
            expr,
            file,
            scope,
            depth,
            site,
        } = here;
        let unknown = || Got::unknown(text_of(file, expr), site.clone());
        let at = || site.as_ref().map(|s| (s.file.clone(), s.span));
        let eval = |e: &Expression| self.eval_at(e, file, scope, depth + 1);
        let mut text = String::new();
        let mut only: Option<Got> = None;
        let elements: Vec<&Element> = t.iter().collect();
        for element in &elements {
            match element {
                Element::Literal(l) => text.push_str(l.value()),
                Element::Interpolation(i) => {
                    let got = eval(&i.expr);
                    // `"${var.x}"` is var.x itself, hops and all.
                    if elements.len() == 1 {
                        only = Some(got.clone());
                    }
                    match got.scalar() {
                        Some(s) => text.push_str(&s),
                        None => {
                            return match got.val {
                                Err(_) => got,
                                Ok(_) => unknown(),
                            };
                        }
                    }
                }
                Element::Directive(_) => return unknown(),
            }
        }
        match only {
            Some(got) => got,
            None if !self.budget.string(text.len(), &at) => unknown(),
            None => Got::known(Val::Str(text), site),
        }
    }

    fn binary(&self, op: &hcl_edit::expr::BinaryOp, here: Here) -> Got {
        let Here {
            expr,
            file,
            scope,
            depth,
            site,
        } = here;
        let unknown = || Got::unknown(text_of(file, expr), site.clone());
        let eval = |e: &Expression| self.eval_at(e, file, scope, depth + 1);
        let (lhs, rhs) = (eval(&op.lhs_expr), eval(&op.rhs_expr));
        if lhs.val.is_err() {
            return lhs;
        }
        if rhs.val.is_err() {
            return rhs;
        }
        let (a, b) = (lhs.scalar(), rhs.scalar());
        let result = match (op.operator.value(), &lhs.val, &rhs.val) {
            (BinaryOperator::Eq, _, _) if a.is_some() && b.is_some() => Val::Bool(a == b),
            (BinaryOperator::NotEq, _, _) if a.is_some() && b.is_some() => Val::Bool(a != b),
            (BinaryOperator::And, Ok(Val::Bool(x)), Ok(Val::Bool(y))) => Val::Bool(*x && *y),
            (BinaryOperator::Or, Ok(Val::Bool(x)), Ok(Val::Bool(y))) => Val::Bool(*x || *y),
            (BinaryOperator::Plus, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Num(x + y),
            (BinaryOperator::Minus, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Num(x - y),
            (BinaryOperator::Mul, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Num(x * y),
            (BinaryOperator::Greater, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Bool(x > y),
            (BinaryOperator::Less, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Bool(x < y),
            (BinaryOperator::GreaterEq, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Bool(x >= y),
            (BinaryOperator::LessEq, Ok(Val::Num(x)), Ok(Val::Num(y))) => Val::Bool(x <= y),
            _ => return unknown(),
        };
        Got::known(result, site)
    }

    fn traversal(&self, t: &hcl_edit::expr::Traversal, here: Here) -> Got {
        let Here {
            expr,
            file,
            scope,
            depth,
            site,
        } = here;
        let unknown = || Got::unknown(text_of(file, expr), site.clone());
        let eval = |e: &Expression| self.eval_at(e, file, scope, depth + 1);
        let Expression::Variable(root) = &t.expr else {
            return unknown();
        };
        let mut ops = t.operators.iter().map(|o| o.value());
        let mut got = match (root.as_str(), ops.next()) {
            ("var", Some(TraversalOperator::GetAttr(name))) => {
                self.variable(&scope.instance, name.as_str(), depth)
            }
            ("local", Some(TraversalOperator::GetAttr(name))) => {
                self.local(&scope.instance, name.as_str(), depth)
            }
            ("each", Some(TraversalOperator::GetAttr(name))) => {
                match (name.as_str(), &scope.each) {
                    ("key", Each { key: Some(k), .. }) => k.clone(),
                    ("value", Each { value: Some(v), .. }) => v.clone(),
                    _ => return unknown(),
                }
            }
            ("count", Some(TraversalOperator::GetAttr(name))) if name.as_str() == "index" => {
                match scope.each.index {
                    Some(i) => Got::known(Val::Num(i as f64), site.clone()),
                    None => return unknown(),
                }
            }
            _ => return unknown(),
        };
        for op in ops {
            if got.val.is_err() {
                return got;
            }
            let picked = match op {
                TraversalOperator::GetAttr(name) => member(&got, name.as_str()),
                TraversalOperator::Index(index) => match eval(index).scalar() {
                    Some(key) => member(&got, &key),
                    None => None,
                },
                TraversalOperator::LegacyIndex(i) => member(&got, &i.value().to_string()),
                _ => None,
            };
            let Some(mut next) = picked else {
                return unknown();
            };
            let mut hops = std::mem::take(&mut got.hops);
            hops.append(&mut next.hops);
            next.hops = hops;
            got = next;
        }
        // `each.value.type` picks a value written in the `for_each` map: point there.
        if root.as_str() == "each"
            && let Some(from) = got.site.clone()
            && site.as_ref().is_none_or(|s| s.span != from.span)
        {
            let label = format!("`{}` is set here", text_of(file, expr));
            got = got.with_hop(Hop { site: from, label });
        }
        got
    }

    /// `var.name` in a module instance: its call's argument, else its default; in the root,
    /// the winning variable source, else its default.
    fn variable(&self, instance: &Rc<Instance>, name: &str, depth: usize) -> Got {
        let module = &self.config.modules[instance.module];
        let set_here = format!("`var.{name}` is set here");
        if let (Some(call), Some(parent)) = (&module.call, &instance.parent)
            && let Some(arg) = call.block.body.get_attribute(name)
        {
            let file = &self.config.files[call.file].source;
            let scope = Scope {
                instance: Rc::clone(parent),
                each: instance.each.clone(),
            };
            let label = format!("`{}` sets `var.{name}` here", instance.address);
            return self.hop(&arg.value, file, &scope, depth, label);
        }
        if instance.parent.is_none()
            && let Some(set) = self.config.vars.get(name)
        {
            return match set {
                SetBy::Hcl { file, expr } => {
                    self.hop(expr, file, &Scope::of(instance), depth, set_here)
                }
                SetBy::Value { value, file, span } => {
                    let site = Site {
                        file: file.clone(),
                        span,
                    };
                    from_json(value, &site).with_hop(Hop {
                        site,
                        label: set_here,
                    })
                }
                SetBy::Text { value, file, span } => {
                    let site = Site {
                        file: file.clone(),
                        span,
                    };
                    Got::known(Val::Str(value.to_string()), Some(site.clone())).with_hop(Hop {
                        site,
                        label: set_here,
                    })
                }
            };
        }
        let default = self
            .config
            .blocks_in(instance.module, "variable")
            .into_iter()
            .find(|(_, b)| label(b, 0) == Some(name))
            .and_then(|(f, b)| Some((f, &b.body.get_attribute("default")?.value)));
        match default {
            Some((f, expr)) => {
                let file = &self.config.files[f].source;
                let label = format!("`var.{name}` defaults to this");
                self.hop(expr, file, &Scope::of(instance), depth, label)
            }
            None => Got::unknown(format!("var.{name}"), None),
        }
    }

    /// Whether a list value is a set or a list (a tuple) in Terraform's types, from how it is
    /// written, which the values here do not keep: `toset(…)` and the set functions, a
    /// variable typed `set(…)`, are sets; `[…]`, `[for …]`, a variable typed `list(…)` or
    /// set from a literal, the list functions are lists. `None` when it cannot be told.
    pub fn is_set(&self, expr: &Expression, instance: &Rc<Instance>, depth: usize) -> Option<bool> {
        if depth > 32 {
            return None;
        }
        match expr {
            Expression::Array(_) => Some(false),
            Expression::ForExpr(f) => f.key_expr.is_none().then_some(false),
            Expression::Parenthesis(p) => self.is_set(p.inner(), instance, depth + 1),
            Expression::Conditional(c) => {
                let yes = self.is_set(&c.true_expr, instance, depth + 1)?;
                (self.is_set(&c.false_expr, instance, depth + 1)? == yes).then_some(yes)
            }
            Expression::FuncCall(call) if call.name.namespace.is_empty() => {
                match call.name.name.as_str() {
                    "toset" | "setunion" | "setintersection" | "setsubtract" | "setproduct" => {
                        Some(true)
                    }
                    "tolist" | "keys" | "values" | "concat" | "distinct" | "compact"
                    | "flatten" | "split" | "sort" | "slice" | "reverse" | "range"
                    | "chunklist" | "coalescelist" | "formatlist" | "matchkeys" => Some(false),
                    _ => None,
                }
            }
            Expression::Traversal(t) if t.operators.len() == 1 => {
                let Expression::Variable(root) = &t.expr else {
                    return None;
                };
                let TraversalOperator::GetAttr(name) = t.operators[0].value() else {
                    return None;
                };
                match root.as_str() {
                    "var" => self.variable_is_set(instance, name.as_str(), depth),
                    "local" => {
                        let (_, expr) = self
                            .config
                            .blocks_in(instance.module, "locals")
                            .into_iter()
                            .find_map(|(f, b)| Some((f, &b.body.get_attribute(name)?.value)))?;
                        self.is_set(expr, instance, depth + 1)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// As `is_set`, for `var.NAME`: its declared type, else what sets it (a caller's
    /// argument; in the root, a default, tfvars or the environment, whose lists are tuples).
    fn variable_is_set(&self, instance: &Rc<Instance>, name: &str, depth: usize) -> Option<bool> {
        let (_, block) = self
            .config
            .blocks_in(instance.module, "variable")
            .into_iter()
            .find(|(_, b)| label(b, 0) == Some(name))?;
        if let Some(ty) = block.body.get_attribute("type") {
            let head = match &ty.value {
                Expression::FuncCall(call) => call.name.name.as_str().to_string(),
                Expression::Variable(v) => v.as_str().to_string(),
                _ => return None,
            };
            match head.as_str() {
                "set" => return Some(true),
                "list" | "tuple" => return Some(false),
                "any" => {}
                _ => return None,
            }
        }
        let module = &self.config.modules[instance.module];
        match (&module.call, &instance.parent) {
            (Some(call), Some(parent)) => {
                let arg = call.block.body.get_attribute(name)?;
                self.is_set(&arg.value, parent, depth + 1)
            }
            _ => match self.config.vars.get(name) {
                Some(SetBy::Hcl { expr, .. }) => self.is_set(expr, instance, depth + 1),
                Some(SetBy::Value { .. }) => Some(false),
                Some(SetBy::Text { .. }) => None,
                None => {
                    let default = &block.body.get_attribute("default")?.value;
                    self.is_set(default, instance, depth + 1)
                }
            },
        }
    }

    fn local(&self, instance: &Rc<Instance>, name: &str, depth: usize) -> Got {
        let found = self
            .config
            .blocks_in(instance.module, "locals")
            .into_iter()
            .find_map(|(f, b)| Some((f, &b.body.get_attribute(name)?.value)));
        match found {
            Some((f, expr)) => {
                let file = &self.config.files[f].source;
                let label = format!("`local.{name}` is set here");
                self.hop(expr, file, &Scope::of(instance), depth, label)
            }
            None => Got::unknown(format!("local.{name}"), None),
        }
    }

    /// Evaluates where a reference leads, with a label there.
    fn hop(
        &self,
        expr: &Expression,
        file: &SourceFile,
        scope: &Scope,
        depth: usize,
        label: String,
    ) -> Got {
        let got = self.eval_at(expr, file, scope, depth + 1);
        match expr.span() {
            Some(range) => got.with_hop(Hop {
                site: Site {
                    file: file.clone(),
                    span: to_span(range),
                },
                label,
            }),
            None => got,
        }
    }

    fn function(&self, name: &str, args: Vec<Got>, site: Option<Site>) -> Option<Got> {
        if let Some(unknown) = args.iter().find(|a| a.val.is_err())
            && name != "try"
            && name != "coalesce"
        {
            return Some(unknown.clone());
        }
        let val = |g: &Got| g.val.as_ref().ok().cloned();
        let value = match (name, args.as_slice()) {
            ("toset" | "tolist", [list]) => match val(list)? {
                Val::List(items) => Val::List(if name == "toset" { dedup(items) } else { items }),
                _ => return None,
            },
            ("tomap", [map]) => match val(map)? {
                m @ Val::Map(_) => m,
                _ => return None,
            },
            ("length", [x]) => match val(x)? {
                Val::List(items) => Val::Num(items.len() as f64),
                Val::Map(members) => Val::Num(members.len() as f64),
                Val::Str(s) => Val::Num(s.chars().count() as f64),
                _ => return None,
            },
            ("lookup", [map, key, rest @ ..]) => {
                let key = key.scalar()?;
                return member(map, &key).or_else(|| rest.first().cloned());
            }
            ("element", [list, index]) => {
                let Val::List(items) = val(list)? else {
                    return None;
                };
                if items.is_empty() {
                    // Terraform: "cannot use element function with an empty list".
                    if let Some(site) = &site {
                        self.refuse(
                            crate::error::InputError::at(
                                "terraform::function-error",
                                &site.file,
                                site.span,
                                "`element()` on an empty list: Terraform refuses it (\"cannot use element function with an empty list\")",
                                "Terraform refuses this",
                            )
                            .with_help("`terraform plan` stops here too; guard it (`length(x) > 0 ? element(x, 0) : …`) or give the list a value"),
                        );
                    }
                    return None;
                }
                let i = index.scalar()?.parse::<usize>().ok()?;
                return items.get(i % items.len().max(1)).cloned();
            }
            ("concat", lists) => {
                let mut all = Vec::new();
                for list in lists {
                    let Val::List(items) = val(list)? else {
                        return None;
                    };
                    all.extend(items);
                }
                Val::List(all)
            }
            ("merge", maps) => {
                // Later maps win; a key keeps the place of its last writer, in linear time.
                let mut all: Vec<(String, Got)> = Vec::new();
                for map in maps {
                    let Val::Map(members) = val(map)? else {
                        return None;
                    };
                    all.extend(members);
                }
                let mut last = std::collections::HashMap::new();
                for (i, (k, _)) in all.iter().enumerate() {
                    last.insert(k.clone(), i);
                }
                let kept = all
                    .into_iter()
                    .enumerate()
                    .filter(|(i, (k, _))| last.get(k) == Some(i))
                    .map(|(_, member)| member);
                Val::Map(kept.collect())
            }
            ("keys" | "values", [map]) => {
                let Val::Map(members) = val(map)? else {
                    return None;
                };
                Val::List(
                    members
                        .into_iter()
                        .map(|(k, v)| {
                            if name == "keys" {
                                Got::known(Val::Str(k), v.site)
                            } else {
                                v
                            }
                        })
                        .collect(),
                )
            }
            ("compact", [list]) => {
                // The list without its empty strings and nulls, as Terraform's `compact`.
                let Val::List(items) = val(list)? else {
                    return None;
                };
                Val::List(
                    items
                        .into_iter()
                        .filter(|i| i.scalar().is_some_and(|s| !s.is_empty()))
                        .collect(),
                )
            }
            ("coalesce", values) => {
                return values
                    .iter()
                    .find(|v| {
                        !matches!(&v.val, Ok(Val::Null))
                            && v.scalar().is_some_and(|s| !s.is_empty())
                    })
                    .cloned();
            }
            ("try", values) => return values.iter().find(|v| v.val.is_ok()).cloned(),
            ("lower" | "upper", [s]) => {
                let s = s.scalar()?;
                Val::Str(if name == "lower" {
                    s.to_lowercase()
                } else {
                    s.to_uppercase()
                })
            }
            _ => return None,
        };
        Some(Got::known(value, site))
    }
}

/// A map's member or a list's element by key.
fn member(got: &Got, key: &str) -> Option<Got> {
    match got.val.as_ref().ok()? {
        Val::Map(members) => members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()),
        Val::List(items) => items.get(key.parse::<usize>().ok()?).cloned(),
        _ => None,
    }
}

fn dedup(items: Vec<Got>) -> Vec<Got> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|g| g.scalar().is_none_or(|s| seen.insert(s)))
        .collect()
}

/// A JSON value (from a `.tfvars.json` file) as a value, all of it at `site`.
fn from_json(value: &serde_json::Value, site: &Site) -> Got {
    use serde_json::Value as J;
    let here = |v: Val| Got::known(v, Some(site.clone()));
    match value {
        J::Null => here(Val::Null),
        J::Bool(b) => here(Val::Bool(*b)),
        J::Number(n) => here(Val::Num(n.as_f64().unwrap_or(0.0))),
        J::String(s) => here(Val::Str(s.clone())),
        J::Array(items) => here(Val::List(
            items.iter().map(|i| from_json(i, site)).collect(),
        )),
        J::Object(members) => here(Val::Map(
            members
                .iter()
                .map(|(k, v)| (k.clone(), from_json(v, site)))
                .collect(),
        )),
    }
}

/// The source text of an expression, trimmed.
pub fn text_of(source: &SourceFile, expr: &Expression) -> String {
    expr.span()
        .and_then(|r| source.text().get(r))
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}
