//! The checker: resolves names, checks types against the declared schema, and lowers the
//! syntax tree to the compiled [`Program`]. Every problem becomes a [`Finding`]; compilation
//! goes on after errors so one run reports as many as it can.

use crate::diag::{did_you_mean, Finding};
use crate::ir::*;
use crate::model::*;
use crate::time::{Calendar, Date, DateTime, Duration};
use humiao_grammar::ast::{self, Expr, ExprKind, Span};
use std::collections::HashMap;

/// What compilation produces; `findings` holds every error, warning and note.
pub struct Compiled {
    pub schema: Schema,
    pub program: Program,
    pub policies: Vec<PolicyInfo>,
    pub tests: Vec<CompiledTest>,
    pub rotations: Vec<(usize, ast::RotationDecl)>,
    pub rosters: Vec<(usize, ast::RosterDecl)>,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PolicyInfo {
    pub name: String,
    pub title: Option<String>,
    pub sources: Vec<String>,
    #[serde(with = "crate::compiled::period")]
    pub effective: (Option<Date>, Option<Date>),
    pub file: usize,
}

/// One source file's parsed declarations, with its path inside the set.
pub struct Unit<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub file: &'a ast::File,
}

const TYPE_NAMES: &[(&str, &str)] = &[
    ("Bool", "布尔"),
    ("Int", "整数"),
    ("Decimal", "小数"),
    ("Text", "文本"),
    ("Date", "日期"),
    ("DateTime", "日期时间"),
    ("Duration", "时长"),
];

struct LetInfo<'a> {
    decl: &'a ast::LetDecl,
    file: usize,
}

struct Ctx<'a> {
    units: &'a [Unit<'a>],
    findings: Vec<Finding>,
    schema: Schema,
    conclusions: Vec<ConclusionDef>,
    conclusion_index: HashMap<String, usize>,
    params: Vec<ParamDef>,
    param_index: HashMap<String, usize>,
    /// Per file: the policy name and the lets visible (own, then imported).
    policy_of: Vec<String>,
    lets: Vec<HashMap<String, LetInfo<'a>>>,
    imports: Vec<Vec<usize>>,
    let_cache: HashMap<(usize, String, u32), (Ex, Type)>,
    let_stack: Vec<(usize, String)>,
    /// Actor/Action/Party enums, if declared, to check obligations.
    file: usize,
    /// Fact paths and section names to their index in the schema (looked up for every name
    /// in every expression: a scan made large sets quadratic).
    fact_index: HashMap<String, usize>,
    section_index: HashMap<String, usize>,
}

/// A name bound inside an expression: a list element or a predicate argument.
#[derive(Clone)]
enum Binding {
    Local { name: String, index: u32, ty: Type },
    Arg { name: String, ex: Ex, ty: Type },
}

#[derive(Clone, Default)]
struct Env {
    bindings: Vec<Binding>,
    depth: u32,
}

impl Env {
    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().rev().find(|b| match b {
            Binding::Local { name: n, .. } | Binding::Arg { name: n, .. } => n == name,
        })
    }
}

pub fn compile(units: &[Unit], overrides: &[(String, serde_json::Value)]) -> Compiled {
    let mut cx = Ctx {
        units,
        findings: Vec::new(),
        schema: Schema::default(),
        conclusions: Vec::new(),
        conclusion_index: HashMap::new(),
        params: Vec::new(),
        param_index: HashMap::new(),
        policy_of: Vec::new(),
        lets: Vec::new(),
        imports: Vec::new(),
        let_cache: HashMap::new(),
        let_stack: Vec::new(),
        file: 0,
        fact_index: HashMap::new(),
        section_index: HashMap::new(),
    };
    let policies = cx.collect_policies();
    cx.collect_imports();
    cx.collect_enums();
    cx.collect_records();
    cx.collect_facts();
    cx.collect_conclusions();
    cx.collect_params(overrides);
    cx.collect_lets();
    let calendar = cx.collect_calendar();
    let mut rules = cx.compile_rules(&policies);
    for i in 0..rules.len() {
        let targets = rules
            .get(i)
            .map(|r| r.exceptions.clone())
            .unwrap_or_default();
        for t in targets {
            if let Some(target) = rules.get_mut(t as usize) {
                target.overridden_by.push(i as u32);
            }
        }
    }
    let mut tests = Vec::new();
    let mut rotations = Vec::new();
    let mut rosters = Vec::new();
    // The rule ids the tests may name: one set for every test (it was built per test).
    let rule_ids: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    for (fi, u) in units.iter().enumerate() {
        for d in &u.file.decls {
            match d {
                ast::Decl::Test(t) => {
                    cx.file = fi;
                    if let Some(ct) = cx.compile_test(t, &rule_ids) {
                        tests.push(ct);
                    }
                }
                ast::Decl::Rotation(r) => rotations.push((fi, r.clone())),
                ast::Decl::Roster(r) => rosters.push((fi, r.clone())),
                _ => {}
            }
        }
    }
    cx.check_rotations(&rotations, &rosters);
    let mut conclusions = std::mem::take(&mut cx.conclusions);
    for (ri, r) in rules.iter().enumerate() {
        for e in &r.effects {
            let c = match e {
                Effect::Conclude { conclusion, .. } | Effect::Add { conclusion, .. } => *conclusion,
            };
            if let Some(cd) = conclusions.get_mut(c as usize) {
                // Rules come in order, so a repeat can only be the last one pushed (a scan of
                // every writer made a set with many rules for one conclusion quadratic).
                let ri = ri as u32;
                if cd.writers.last() != Some(&ri) {
                    cd.writers.push(ri);
                }
            }
        }
    }
    let steps = cx.order(&rules, &conclusions);
    cx.check_conflicts(&rules, &conclusions);
    let trigger_fact = cx
        .schema
        .fact("discovered_at")
        .filter(|&i| {
            cx.schema
                .facts
                .get(i)
                .is_some_and(|f| f.ty == Type::DateTime)
        })
        .map(|i| i as u32);
    let program = Program {
        rules,
        conclusions,
        params: std::mem::take(&mut cx.params),
        steps,
        calendar,
        trigger_fact,
    };
    Compiled {
        schema: cx.schema,
        program,
        policies,
        tests,
        rotations,
        rosters,
        findings: cx.findings,
    }
}

fn parse_date_at(cx: &mut Ctx, file: usize, n: &ast::Name) -> Option<Date> {
    match Date::parse(&n.text) {
        Ok(d) => Some(d),
        Err(e) => {
            cx.findings.push(Finding::error(
                "E0205",
                file,
                n.span,
                e.to_string(),
                e.message_zh(),
            ));
            None
        }
    }
}

fn effective_of(
    cx: &mut Ctx,
    file: usize,
    e: &Option<ast::Effective>,
) -> (Option<Date>, Option<Date>) {
    let Some(e) = e else { return (None, None) };
    let from = parse_date_at(cx, file, &e.from);
    let until = e.until.as_ref().and_then(|u| parse_date_at(cx, file, u));
    if let (Some(f), Some(u)) = (from, until) {
        if u < f {
            cx.findings.push(Finding::warning(
                "W0303",
                file,
                e.span,
                format!("this period is empty: it ends ({u}) before it starts ({f})"),
                format!("生效期间为空：截至日期（{u}）早于生效日期（{f}）"),
            ));
        }
    }
    (from, until)
}

impl<'a> Ctx<'a> {
    fn err(
        &mut self,
        code: &'static str,
        span: Span,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) {
        self.findings
            .push(Finding::error(code, self.file, span, en, zh));
    }

    fn decls(&self) -> impl Iterator<Item = (usize, &'a ast::Decl)> + 'a {
        let units = self.units;
        units
            .iter()
            .enumerate()
            .flat_map(|(i, u)| u.file.decls.iter().map(move |d| (i, d)))
    }

    fn collect_policies(&mut self) -> Vec<PolicyInfo> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (fi, u) in self.units.iter().enumerate() {
            self.file = fi;
            let header = u.file.decls.iter().find_map(|d| match d {
                ast::Decl::Policy(p) => Some(p),
                _ => None,
            });
            let stem = u
                .path
                .rsplit('/')
                .next()
                .unwrap_or(u.path)
                .trim_end_matches(".humiao")
                .to_string();
            let info = match header {
                Some(p) => {
                    if let Some(prev) = seen.insert(p.name.text.clone(), fi) {
                        let other = self.units.get(prev).map_or("", |u| u.path);
                        self.err(
                            "E0104",
                            p.name.span,
                            format!("policy `{}` is also declared in {other}", p.name.text),
                            format!("政策 `{}` 已在 {other} 中声明", p.name.text),
                        );
                    }
                    let eff = effective_of(self, fi, &p.effective);
                    PolicyInfo {
                        name: p.name.text.clone(),
                        title: p.title.as_ref().map(|t| t.value.clone()),
                        sources: p.sources.iter().map(|s| s.text.value.clone()).collect(),
                        effective: eff,
                        file: fi,
                    }
                }
                None => {
                    if u.file.decls.is_empty() && humiao_grammar::is_only_comments(u.text) {
                        // An editor that crashed mid-save leaves an empty file; without a word
                        // the set would lose that file's rules and tests.
                        self.findings.push(
                            Finding::warning(
                                "W0103",
                                fi,
                                Span::new(0, 0),
                                "this file declares nothing (empty, or comments only): was it saved completely?",
                                "此文件没有任何声明（为空或只有注释）：是否完整保存？",
                            )
                            .with_help(
                                "restore the file, or remove it from the policy folder and the manifest",
                                "恢复此文件，或将其从政策文件夹和清单中删除",
                            ),
                        );
                    } else if !u.file.decls.is_empty() {
                        self.findings.push(
                            Finding::warning(
                                "W0101",
                                fi,
                                Span::new(0, 0),
                                format!("this file has no `policy` header; its rules are named `{stem}.…`"),
                                format!("此文件没有 `政策` 声明，其规则以 `{stem}.…` 命名"),
                            )
                            .with_help(
                                "start the file with `policy <name> \"<title>\"`",
                                "在文件开头写 `政策 <名称> \"<标题>\"`",
                            ),
                        );
                    }
                    PolicyInfo {
                        name: stem,
                        title: None,
                        sources: Vec::new(),
                        effective: (None, None),
                        file: fi,
                    }
                }
            };
            self.policy_of.push(info.name.clone());
            out.push(info);
        }
        out
    }

    fn collect_imports(&mut self) {
        let paths: Vec<&str> = self.units.iter().map(|u| u.path).collect();
        for (fi, u) in self.units.iter().enumerate() {
            self.file = fi;
            let mut imported = Vec::new();
            let dir = match u.path.rfind('/') {
                Some(i) => u.path.get(..=i).unwrap_or(""),
                None => "",
            };
            for d in &u.file.decls {
                let ast::Decl::Import(im) = d else { continue };
                let p = im.path.value.as_str();
                if p.starts_with('/')
                    || p.starts_with('\\')
                    || p.contains("..")
                    || p.contains(':')
                    || p.contains('\\')
                {
                    self.err(
                        "E0105",
                        im.path.span,
                        format!("`{p}` leaves the policy folder; imports name files of the same policy set"),
                        format!("`{p}` 超出政策文件夹；只能导入同一政策集内的文件"),
                    );
                    continue;
                }
                let full = format!("{dir}{p}");
                match paths.iter().position(|q| *q == full || *q == p) {
                    Some(i) if i != fi => imported.push(i),
                    Some(_) => {}
                    None => {
                        let cands: Vec<&str> = paths.to_vec();
                        let mut f = Finding::error(
                            "E0105",
                            fi,
                            im.path.span,
                            format!("`{p}` is not a file of this policy set"),
                            format!("`{p}` 不是本政策集中的文件"),
                        );
                        if let Some(s) = did_you_mean(p, cands) {
                            f = f.with_help(
                                format!("did you mean `{s}`?"),
                                format!("是否想写 `{s}`？"),
                            );
                        }
                        self.findings.push(f);
                    }
                }
            }
            self.imports.push(imported);
        }
    }

    fn collect_enums(&mut self) {
        let mut spans: HashMap<String, (usize, Span)> = HashMap::new();
        for (fi, d) in self.decls() {
            let ast::Decl::Enum(e) = d else { continue };
            self.file = fi;
            if spans.contains_key(&e.name.text) || is_builtin_type(&e.name.text) {
                self.err(
                    "E0104",
                    e.name.span,
                    format!("the type `{}` is declared twice", e.name.text),
                    format!("类型 `{}` 重复声明", e.name.text),
                );
                continue;
            }
            spans.insert(e.name.text.clone(), (fi, e.name.span));
            let mut variants: Vec<String> = Vec::new();
            let mut labels = Vec::new();
            for v in &e.variants {
                if variants.contains(&v.name.text) {
                    self.err(
                        "E0104",
                        v.name.span,
                        format!("`{}` appears twice in enum `{}`", v.name.text, e.name.text),
                        format!("枚举 `{}` 中 `{}` 重复", e.name.text, v.name.text),
                    );
                    continue;
                }
                variants.push(v.name.text.clone());
                labels.push(v.label.as_ref().map(|l| l.value.clone()));
            }
            if variants.len() > MAX_ENUM_VARIANTS {
                self.err(
                    "E0208",
                    e.name.span,
                    format!(
                        "enum `{}` has {} values; at most {MAX_ENUM_VARIANTS} are supported",
                        e.name.text,
                        variants.len()
                    ),
                    format!(
                        "枚举 `{}` 有 {} 个值，最多支持 {MAX_ENUM_VARIANTS} 个",
                        e.name.text,
                        variants.len()
                    ),
                );
                variants.truncate(MAX_ENUM_VARIANTS);
                labels.truncate(MAX_ENUM_VARIANTS);
            }
            self.schema.enums.push(EnumDef {
                name: e.name.text.clone(),
                label: e.label.as_ref().map(|l| l.value.clone()),
                variants,
                labels,
            });
        }
    }

    fn all_type_names(&self) -> Vec<String> {
        let mut v: Vec<String> = TYPE_NAMES.iter().map(|(e, _)| e.to_string()).collect();
        v.extend(self.schema.enums.iter().map(|e| e.name.clone()));
        v.extend(self.schema.records.iter().map(|e| e.name.clone()));
        v
    }

    fn unknown_type(&mut self, n: &ast::Name) {
        let names = self.all_type_names();
        let mut f = Finding::error(
            "E0102",
            self.file,
            n.span,
            format!("unknown type `{}`", n.text),
            format!("未知类型 `{}`", n.text),
        );
        if let Some(s) = did_you_mean(&n.text, names.iter().map(|s| s.as_str())) {
            f = f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
        }
        self.findings.push(f);
    }

    fn resolve_type(&mut self, t: &ast::TypeExpr) -> Option<Type> {
        match &t.kind {
            ast::TypeKind::Named(n) => {
                if let Some((e, _)) = TYPE_NAMES
                    .iter()
                    .find(|(e, z)| *e == n.text || *z == n.text)
                {
                    return Some(match *e {
                        "Bool" => Type::Bool,
                        "Int" => Type::Int,
                        "Decimal" => Type::Decimal,
                        "Text" => Type::Text,
                        "Date" => Type::Date,
                        "DateTime" => Type::DateTime,
                        _ => Type::Duration,
                    });
                }
                if let Some(id) = self.schema.enum_by_name(&n.text) {
                    return Some(Type::Enum(id));
                }
                if let Some(id) = self.schema.record_by_name(&n.text) {
                    return Some(Type::Record(id));
                }
                self.unknown_type(n);
                None
            }
            ast::TypeKind::Set(n) => match self.schema.enum_by_name(&n.text) {
                Some(id) => Some(Type::Set(id)),
                None => {
                    self.unknown_type(n);
                    None
                }
            },
            ast::TypeKind::List(n) => match self.schema.record_by_name(&n.text) {
                Some(id) => Some(Type::List(id)),
                None => {
                    self.unknown_type(n);
                    None
                }
            },
        }
    }

    fn collect_records(&mut self) {
        // Names first, so records may refer to each other's names in any order.
        let mut decls = Vec::new();
        for (fi, d) in self.decls() {
            let ast::Decl::Record(r) = d else { continue };
            self.file = fi;
            if self.schema.record_by_name(&r.name.text).is_some()
                || self.schema.enum_by_name(&r.name.text).is_some()
                || is_builtin_type(&r.name.text)
            {
                self.err(
                    "E0104",
                    r.name.span,
                    format!("the type `{}` is declared twice", r.name.text),
                    format!("类型 `{}` 重复声明", r.name.text),
                );
                continue;
            }
            self.schema
                .records
                .push(RecordDef::new(r.name.text.clone(), Vec::new()));
            decls.push((fi, r, self.schema.records.len() - 1));
        }
        for (fi, r, idx) in decls {
            self.file = fi;
            let mut fields: Vec<FieldDef> = Vec::new();
            let mut names: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for f in &r.fields {
                let Some(ty) = self.resolve_type(&f.ty) else {
                    continue;
                };
                if !names.insert(f.path.text.as_str()) {
                    self.err(
                        "E0104",
                        f.path.span,
                        format!("field `{}` is declared twice", f.path.text),
                        format!("字段 `{}` 重复声明", f.path.text),
                    );
                    continue;
                }
                let (range, sensitive) = self.field_annotations(f, &ty);
                fields.push(FieldDef {
                    name: f.path.text.clone(),
                    ty,
                    optional: f.ty.optional,
                    range,
                    sensitive,
                    label: f.label.as_ref().map(|l| l.value.clone()),
                });
            }
            if let Some(rec) = self.schema.records.get_mut(idx) {
                *rec = RecordDef::new(std::mem::take(&mut rec.name), fields);
            }
        }
    }

    fn field_annotations(&mut self, f: &ast::FieldDecl, ty: &Type) -> (Option<(i64, i64)>, bool) {
        let mut range = None;
        let mut sensitive = false;
        for a in &f.annotations {
            match a.name.text.as_str() {
                "range" | "范围" => {
                    let nums: Vec<Option<i64>> = a
                        .args
                        .iter()
                        .map(|x| match x {
                            ast::AnnArg::Number(n, _) => n.parse().ok(),
                            _ => None,
                        })
                        .collect();
                    match (nums.as_slice(), ty) {
                        ([Some(lo), Some(hi)], Type::Int) if lo <= hi => range = Some((*lo, *hi)),
                        _ => self.err(
                            "E0207",
                            a.span,
                            "`@range(low, high)` takes two whole numbers, low ≤ high, on an `Int` field",
                            "`@range(下限, 上限)` 用于 `Int` 字段，取两个整数且下限 ≤ 上限",
                        ),
                    }
                }
                "sensitive" | "敏感" => sensitive = true,
                "label" | "标签" | "source" | "来源" | "unconfirmed" | "待核实" => {}
                other => self.err(
                    "E0207",
                    a.name.span,
                    format!("unknown annotation `@{other}`; known: @range, @sensitive, @label, @source, @unconfirmed"),
                    format!("未知标注 `@{other}`；可用：@range、@sensitive、@label、@source、@unconfirmed"),
                ),
            }
        }
        (range, sensitive)
    }

    fn collect_facts(&mut self) {
        for (fi, d) in self.decls() {
            let ast::Decl::Facts(fd) = d else { continue };
            self.file = fi;
            let prefix = fd.section.as_ref().map(|s| s.text.clone());
            let section = if fd.optional {
                let name = prefix.clone().unwrap_or_default();
                Some(match self.section_index.get(&name) {
                    Some(&i) => i,
                    None => {
                        self.section_index
                            .insert(name.clone(), self.schema.sections.len());
                        self.schema.sections.push(SectionDef {
                            name,
                            label: fd.label.as_ref().map(|l| l.value.clone()),
                        });
                        self.schema.sections.len() - 1
                    }
                })
            } else {
                None
            };
            for f in &fd.fields {
                let path = match &prefix {
                    Some(p) => format!("{p}.{}", f.path.text),
                    None => f.path.text.clone(),
                };
                if self.fact_index.contains_key(&path) {
                    self.err(
                        "E0104",
                        f.path.span,
                        format!("fact `{path}` is declared twice"),
                        format!("事实 `{path}` 重复声明"),
                    );
                    continue;
                }
                let Some(ty) = self.resolve_type(&f.ty) else {
                    continue;
                };
                if matches!(ty, Type::Record(_)) {
                    self.err(
                        "E0201",
                        f.ty.span,
                        "a fact cannot be a single record; use `List<Record>` or declare its fields",
                        "事实不能是单个记录类型；请用 `List<记录>` 或逐个声明字段",
                    );
                    continue;
                }
                let (range, sensitive) = self.field_annotations(f, &ty);
                let default = f.default.as_ref().and_then(|e| self.const_value(e, &ty));
                // A fact in an optional section, or any fact whose first segment names an optional section.
                let section = section.or_else(|| {
                    let first = path.split('.').next().unwrap_or("");
                    self.section_index.get(first).copied()
                });
                self.fact_index
                    .insert(path.clone(), self.schema.facts.len());
                self.schema.facts.push(FactDef {
                    path,
                    ty,
                    optional: f.ty.optional,
                    default,
                    range,
                    sensitive,
                    label: f.label.as_ref().map(|l| l.value.clone()),
                    section,
                });
            }
        }
        // Sections declared after some of their facts: attach those facts too.
        for f in &mut self.schema.facts {
            if f.section.is_none() {
                let first = f.path.split('.').next().unwrap_or("");
                if f.path.contains('.') {
                    f.section = self.section_index.get(first).copied();
                }
            }
        }
    }

    /// A constant of the given type: a literal, a set literal or an enum value name.
    fn const_value(&mut self, e: &Expr, ty: &Type) -> Option<Value> {
        let env = Env::default();
        let (ex, t) = self.expr(e, &env, Some(ty))?;
        if !self.assignable(&t, ty) {
            self.type_mismatch(e.span, ty, &t);
            return None;
        }
        match ex {
            Ex::Const(v) => Some(coerce(v, ty)),
            _ => {
                self.err(
                    "E0206",
                    e.span,
                    "a default or param value must be a constant",
                    "默认值或参数值必须是常量",
                );
                None
            }
        }
    }

    fn collect_conclusions(&mut self) {
        for (fi, d) in self.decls() {
            let ast::Decl::Conclusion(c) = d else {
                continue;
            };
            self.file = fi;
            if self.conclusion_index.contains_key(&c.path.text) {
                self.err(
                    "E0104",
                    c.path.span,
                    format!("conclusion `{}` is declared twice", c.path.text),
                    format!("结论 `{}` 重复声明", c.path.text),
                );
                continue;
            }
            let Some(ty) = self.resolve_type(&c.ty) else {
                continue;
            };
            if c.collect && !matches!(ty, Type::Set(_)) {
                self.err(
                    "E0201",
                    c.ty.span,
                    "a `collect` conclusion must be a `Set<Enum>`",
                    "`汇集` 结论必须是 `集合<枚举>` 类型",
                );
                continue;
            }
            let default = c.default.as_ref().and_then(|e| self.const_value(e, &ty));
            self.conclusion_index
                .insert(c.path.text.clone(), self.conclusions.len());
            self.conclusions.push(ConclusionDef {
                key: c.path.text.clone(),
                ty,
                collect: c.collect,
                default,
                label: c.label.as_ref().map(|l| l.value.clone()),
                file: fi,
                span: c.path.span,
                writers: Vec::new(),
            });
        }
    }

    fn collect_params(&mut self, overrides: &[(String, serde_json::Value)]) {
        for (fi, d) in self.decls() {
            let ast::Decl::Param(p) = d else { continue };
            self.file = fi;
            if self.param_index.contains_key(&p.path.text) {
                self.err(
                    "E0104",
                    p.path.span,
                    format!("param `{}` is declared twice", p.path.text),
                    format!("参数 `{}` 重复声明", p.path.text),
                );
                continue;
            }
            let Some(ty) = self.resolve_type(&p.ty) else {
                continue;
            };
            // A value that does not fit is reported here; the param is still declared (with no
            // value: the set does not load with the error) so that its uses are not reported
            // again as unknown names.
            let value = self.const_value(&p.value, &ty).unwrap_or(Value::Unknown);
            let mut unconfirmed = None;
            let mut source = None;
            for a in &p.annotations {
                let text = a.args.iter().find_map(|x| match x {
                    ast::AnnArg::Str(s) => Some(s.value.clone()),
                    _ => None,
                });
                match a.name.text.as_str() {
                    "unconfirmed" | "待核实" => unconfirmed = Some(text.unwrap_or_default()),
                    "source" | "来源" => source = text,
                    other => self.err(
                        "E0207",
                        a.name.span,
                        format!("unknown annotation `@{other}` on a param; known: @unconfirmed, @source"),
                        format!("参数上的未知标注 `@{other}`；可用：@unconfirmed、@source"),
                    ),
                }
            }
            let text = value_text(&self.schema, &ty, &value);
            self.param_index
                .insert(p.path.text.clone(), self.params.len());
            self.params.push(ParamDef {
                key: p.path.text.clone(),
                ty,
                default: value.clone(),
                value,
                text,
                unconfirmed,
                source,
                overridden: false,
                file: fi,
                span: p.path.span,
            });
        }
        for (k, v) in overrides {
            let Some(&i) = self.param_index.get(k) else {
                let names: Vec<&str> = self.params.iter().map(|p| p.key.as_str()).collect();
                let mut f = Finding::error(
                    "E0305",
                    usize::MAX,
                    Span::default(),
                    format!("there is no param `{k}` to set"),
                    format!("不存在参数 `{k}`"),
                );
                if let Some(s) = did_you_mean(k, names) {
                    f = f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
                }
                self.findings.push(f);
                continue;
            };
            let ty = match self.params.get(i) {
                Some(p) => p.ty.clone(),
                None => continue,
            };
            match param_from_json(&self.schema, &ty, v) {
                Ok(val) => {
                    let text = value_text(&self.schema, &ty, &val);
                    if let Some(p) = self.params.get_mut(i) {
                        p.value = val;
                        p.text = text;
                        p.overridden = true;
                    }
                }
                Err((en, zh)) => self.findings.push(Finding::error(
                    "E0305",
                    usize::MAX,
                    Span::default(),
                    format!("param `{k}`: {en}"),
                    format!("参数 `{k}`：{zh}"),
                )),
            }
        }
    }

    fn collect_lets(&mut self) {
        let units = self.units;
        for (fi, u) in units.iter().enumerate() {
            self.file = fi;
            let mut m: HashMap<String, LetInfo<'a>> = HashMap::new();
            for d in &u.file.decls {
                let ast::Decl::Let(l) = d else { continue };
                if m.contains_key(&l.name.text) {
                    self.err(
                        "E0104",
                        l.name.span,
                        format!("`{}` is defined twice in this file", l.name.text),
                        format!("`{}` 在此文件中重复定义", l.name.text),
                    );
                    continue;
                }
                m.insert(l.name.text.clone(), LetInfo { decl: l, file: fi });
            }
            self.lets.push(m);
        }
    }

    fn collect_calendar(&mut self) -> Option<Calendar> {
        let mut cal: Option<Calendar> = None;
        for (fi, d) in self.decls() {
            let ast::Decl::Calendar(c) = d else { continue };
            self.file = fi;
            if cal.is_some() {
                self.err(
                    "E0104",
                    c.name.span,
                    "a policy set has one working-day calendar; this is a second one",
                    "一个政策集只能有一个工作日日历，此处为第二个",
                );
                continue;
            }
            let (Ok(first), Ok(last)) =
                (i32::try_from(c.first_year.0), i32::try_from(c.last_year.0))
            else {
                continue;
            };
            let mut k = Calendar::new(&c.name.text, first, last);
            for e in &c.entries {
                let Some(from) = parse_date_at(self, fi, &e.from) else {
                    continue;
                };
                let to = match &e.to {
                    Some(t) => match parse_date_at(self, fi, t) {
                        Some(t) => t,
                        None => continue,
                    },
                    None => from,
                };
                if !k.covers(from) || !k.covers(to) || to < from {
                    self.err(
                        "E0401",
                        e.span,
                        format!("this date is outside the calendar's years {first}–{last} (or the range is reversed)"),
                        format!("此日期不在日历覆盖的年份 {first}–{last} 内（或起止颠倒）"),
                    );
                    continue;
                }
                let label = e.label.as_ref().map_or("", |l| l.value.as_str());
                let mut d = from;
                while d <= to {
                    if e.holiday {
                        k.add_holiday(d, label);
                    } else {
                        if !d.is_weekend() {
                            self.findings.push(Finding::warning(
                                "W0401",
                                fi,
                                e.span,
                                format!("{d} is a weekday; a make-up working day (`workday`) is normally a weekend"),
                                format!("{d} 是工作日；调休补班（`补班`）通常在周末"),
                            ));
                        }
                        k.add_workday(d, label);
                    }
                    match d.add_days(1) {
                        Some(n) => d = n,
                        None => break,
                    }
                }
            }
            self.findings.push(Finding::info(
                "I0401",
                fi,
                c.name.span,
                format!(
                    "the working-day calendar `{}` covers {first}–{last}; deadlines outside those years count weekends only",
                    c.name.text
                ),
                format!("工作日日历 `{}` 覆盖 {first}–{last} 年；此范围以外的期限只扣除周末", c.name.text),
            ));
            cal = Some(k);
        }
        cal
    }

    fn check_rotations(
        &mut self,
        rotations: &[(usize, ast::RotationDecl)],
        rosters: &[(usize, ast::RosterDecl)],
    ) {
        let roster_names: Vec<&str> = rosters.iter().map(|(_, r)| r.name.text.as_str()).collect();
        for (fi, r) in rotations {
            self.file = *fi;
            match &r.over {
                Some(o) if !roster_names.contains(&o.text.as_str()) => {
                    let mut f = Finding::error(
                        "E0501",
                        *fi,
                        o.span,
                        format!("unknown roster `{}`", o.text),
                        format!("未知名册 `{}`", o.text),
                    );
                    if let Some(s) = did_you_mean(&o.text, roster_names.iter().copied()) {
                        f = f
                            .with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
                    }
                    self.findings.push(f);
                }
                None => self.err(
                    "E0501",
                    r.name.span,
                    "a rotation needs `over <roster>`",
                    "轮换需要 `范围 <名册>`",
                ),
                _ => {}
            }
            for (what, v) in [
                ("streets", r.pick_streets),
                ("communities per street", r.pick_communities),
            ] {
                match v {
                    Some((n, s)) if n < 1 => self.err(
                        "E0502",
                        s,
                        format!("pick at least 1 of {what}"),
                        format!("每次至少抽取 1 个（{what}）"),
                    ),
                    None => self.err(
                        "E0502",
                        r.name.span,
                        format!("the rotation does not say how many {what} to pick"),
                        format!("轮换未说明抽取多少（{what}）"),
                    ),
                    _ => {}
                }
            }
            for p in &r.prefer {
                if !matches!(
                    p.text.as_str(),
                    "flagged" | "least_recently_visited" | "标记" | "最久未访"
                ) {
                    let mut f = Finding::error(
                        "E0503",
                        *fi,
                        p.span,
                        format!(
                            "unknown preference `{}`; known: flagged, least_recently_visited",
                            p.text
                        ),
                        format!(
                            "未知优先规则 `{}`；可用：flagged、least_recently_visited",
                            p.text
                        ),
                    );
                    if let Some(s) = did_you_mean(&p.text, ["flagged", "least_recently_visited"]) {
                        f = f
                            .with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
                    }
                    self.findings.push(f);
                }
            }
            if r.cites.is_empty() {
                self.err(
                    "E0301",
                    r.name.span,
                    format!(
                        "rotation `{}` has no `cite`: name the document it implements",
                        r.name.text
                    ),
                    format!("轮换 `{}` 缺少 `依据`：请注明所依据的文件", r.name.text),
                );
            }
        }
    }

    // ------------------------------------------------------------------ rules

    fn compile_rules(&mut self, policies: &[PolicyInfo]) -> Vec<CompiledRule> {
        let mut rules: Vec<CompiledRule> = Vec::new();
        let mut decls: Vec<(usize, &'a ast::RuleDecl)> = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (fi, d) in self.decls() {
            let ast::Decl::Rule(r) = d else { continue };
            self.file = fi;
            let policy = self.policy_of.get(fi).cloned().unwrap_or_default();
            let id = format!("{policy}.{}", r.name.text);
            if ids.contains_key(&id) {
                self.err(
                    "E0104",
                    r.name.span,
                    format!("rule `{id}` is declared twice"),
                    format!("规则 `{id}` 重复声明"),
                );
                continue;
            }
            ids.insert(id, decls.len());
            decls.push((fi, r));
        }
        for (order, (fi, r)) in decls.iter().enumerate() {
            self.file = *fi;
            let policy = self.policy_of.get(*fi).cloned().unwrap_or_default();
            let id = format!("{policy}.{}", r.name.text);
            // A blank `cite ""` names no article either.
            if r.cites.iter().all(|c| c.value.trim().is_empty()) {
                self.findings.push(
                    Finding::error(
                        "E0301",
                        *fi,
                        r.name.span,
                        format!("rule `{}` has no `cite`: every rule must name the article it implements", r.name.text),
                        format!("规则 `{}` 缺少 `依据`：每条规则都必须注明所依据的条款", r.name.text),
                    )
                    .with_help(
                        "add a line such as `cite \"未成年人保护法 第十一条\"`",
                        "加一行，如 `依据 \"未成年人保护法 第十一条\"`",
                    ),
                );
            }
            let mut effective = effective_of(self, *fi, &r.effective);
            if let Some(p) = policies.get(*fi) {
                // A rule is in force only inside its policy's period too.
                if effective.0.is_none()
                    || p.effective
                        .0
                        .is_some_and(|pf| effective.0.is_some_and(|rf| rf < pf))
                {
                    if let (Some(pf), Some(rf)) = (p.effective.0, effective.0) {
                        self.findings.push(Finding::warning(
                            "W0304",
                            *fi,
                            r.name.span,
                            format!("rule `{}` takes effect ({rf}) before its policy does ({pf}); the policy's date applies", r.name.text),
                            format!("规则 `{}` 生效日期（{rf}）早于所属政策（{pf}），以政策日期为准", r.name.text),
                        ));
                    }
                    effective.0 = p.effective.0.or(effective.0);
                }
                if let Some(pu) = p.effective.1 {
                    effective.1 = Some(effective.1.map_or(pu, |ru| ru.min(pu)));
                }
            }
            let mut exceptions = Vec::new();
            for ex in &r.exceptions {
                let target = if ex.text.contains('.') {
                    ex.text.clone()
                } else {
                    format!("{policy}.{}", ex.text)
                };
                match ids.get(&target) {
                    Some(&i) if i != order => exceptions.push(i as u32),
                    Some(_) => self.err(
                        "E0107",
                        ex.span,
                        "a rule cannot be an exception to itself",
                        "规则不能是自身的例外",
                    ),
                    None => {
                        let names: Vec<&str> = ids.keys().map(|s| s.as_str()).collect();
                        let mut f = Finding::error(
                            "E0107",
                            *fi,
                            ex.span,
                            format!("`exception to {}`: there is no rule `{target}`", ex.text),
                            format!("`例外于 {}`：不存在规则 `{target}`", ex.text),
                        );
                        if let Some(s) = did_you_mean(&target, names) {
                            let bare = s.strip_prefix(&format!("{policy}.")).unwrap_or(s);
                            f = f.with_help(
                                format!("did you mean `{bare}`?"),
                                format!("是否想写 `{bare}`？"),
                            );
                        }
                        self.findings.push(f);
                    }
                }
            }
            let env = Env::default();
            let (when, conditions) = match &r.when {
                Some(w) => {
                    let ex = self.condition(w, &env);
                    let parts: Vec<&Expr> = match &w.kind {
                        ExprKind::And(items) => items.iter().collect(),
                        _ => vec![w],
                    };
                    let conds = match &ex {
                        Ex::And(items) if items.len() == parts.len() => parts
                            .iter()
                            .zip(items.iter())
                            .map(|(p, e)| Condition {
                                text: self.text_of(*fi, p.span),
                                ex: e.clone(),
                            })
                            .collect(),
                        other => vec![Condition {
                            text: self.text_of(*fi, w.span),
                            ex: other.clone(),
                        }],
                    };
                    (ex, conds)
                }
                None => (Ex::Const(Value::Bool(true)), Vec::new()),
            };
            if matches!(when, Ex::Const(Value::Bool(false))) {
                self.findings.push(Finding::warning(
                    "W0301",
                    *fi,
                    r.name.span,
                    format!(
                        "rule `{}` can never fire: its condition is always false",
                        r.name.text
                    ),
                    format!("规则 `{}` 永远不会触发：其条件恒为假", r.name.text),
                ));
            }
            let mut effects = Vec::new();
            let mut obligations = Vec::new();
            let mut notes = Vec::new();
            for o in &r.outcomes {
                match o {
                    ast::Outcome::Note { text, .. } => notes.push(text.value.clone()),
                    ast::Outcome::Conclude { key, value, .. } => {
                        if let Some((ci, ty, collect)) = self.conclusion_target(key) {
                            if collect {
                                self.err(
                                    "E0304",
                                    key.span,
                                    format!(
                                        "`{}` collects values: use `add <value> to {}`",
                                        key.text, key.text
                                    ),
                                    format!(
                                        "`{}` 是汇集型结论：请用 `加入 <值> 到 {}`",
                                        key.text, key.text
                                    ),
                                );
                                continue;
                            }
                            if let Some(v) = self.typed(value, &env, &ty) {
                                if !matches!(ty, Type::Bool | Type::Enum(_) | Type::Set(_)) {
                                    self.warn_sensitive_output(
                                        &v,
                                        value.span,
                                        &format!("the conclusion `{}`", key.text),
                                        &format!("结论 `{}` ", key.text),
                                    );
                                }
                                effects.push(Effect::Conclude {
                                    conclusion: ci,
                                    value: v,
                                });
                            }
                        }
                    }
                    ast::Outcome::Add { value, key, .. } => {
                        if let Some((ci, ty, collect)) = self.conclusion_target(key) {
                            let eid = match ty {
                                Type::Set(eid) if collect => eid,
                                _ => {
                                    self.err(
                                        "E0304",
                                        key.span,
                                        format!("`{}` is not a `collect` conclusion: use `conclude {} = …`", key.text, key.text),
                                        format!("`{}` 不是汇集型结论：请用 `认定 {} = …`", key.text, key.text),
                                    );
                                    continue;
                                }
                            };
                            if !collect {
                                self.err(
                                    "E0304",
                                    key.span,
                                    format!(
                                        "`{}` is not a `collect` conclusion: use `conclude {} = …`",
                                        key.text, key.text
                                    ),
                                    format!(
                                        "`{}` 不是汇集型结论：请用 `认定 {} = …`",
                                        key.text, key.text
                                    ),
                                );
                                continue;
                            }
                            if let Some(v) = self.typed(value, &env, &Type::Enum(eid)) {
                                effects.push(Effect::Add {
                                    conclusion: ci,
                                    value: v,
                                });
                            }
                        }
                    }
                    ast::Outcome::Oblige(ob) => {
                        if let Some(o) = self.obligation(ob, &env) {
                            obligations.push(o);
                        }
                    }
                }
            }
            let mut facts_read = Vec::new();
            let mut all: Vec<&Ex> = vec![&when];
            for e in &effects {
                match e {
                    Effect::Conclude { value, .. } | Effect::Add { value, .. } => all.push(value),
                }
            }
            for o in &obligations {
                if let Some(f) = &o.from {
                    all.push(f);
                }
                if let Deadline::By(b) = &o.deadline {
                    all.push(b);
                }
            }
            for e in all {
                walk(e, &mut |x| {
                    if let Ex::Fact(s) = x {
                        facts_read.push(*s);
                    }
                });
            }
            facts_read.sort_unstable();
            facts_read.dedup();
            let mut sections: Vec<u32> = facts_read
                .iter()
                .filter_map(|&s| {
                    self.schema
                        .facts
                        .get(s as usize)
                        .and_then(|f| f.section)
                        .map(|x| x as u32)
                })
                .collect();
            sections.sort_unstable();
            sections.dedup();
            rules.push(CompiledRule {
                id,
                name: r.name.text.clone(),
                policy,
                title: r.title.as_ref().map(|t| t.value.clone()),
                cites: r.cites.iter().map(|c| c.value.clone()).collect(),
                file: *fi,
                span: r.name.span,
                order: order as u32,
                effective,
                priority: r.priority.map_or(0, |p| p.0),
                exceptions,
                overridden_by: Vec::new(),
                when,
                conditions,
                effects,
                obligations,
                notes,
                sections,
                facts_read,
            });
        }
        rules
    }

    fn text_of(&self, file: usize, span: Span) -> String {
        let text = self
            .units
            .get(file)
            .and_then(|u| u.text.get(span.start as usize..span.end as usize))
            .unwrap_or_default();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn conclusion_target(&mut self, key: &ast::Name) -> Option<(u32, Type, bool)> {
        match self.conclusion_index.get(&key.text) {
            Some(&i) => self
                .conclusions
                .get(i)
                .map(|c| (i as u32, c.ty.clone(), c.collect)),
            None => {
                let names: Vec<&str> = self.conclusion_index.keys().map(|s| s.as_str()).collect();
                let mut f = Finding::error(
                    "E0101",
                    self.file,
                    key.span,
                    format!("unknown conclusion `{}`", key.text),
                    format!("未知结论 `{}`", key.text),
                );
                if let Some(s) = did_you_mean(&key.text, names) {
                    f = f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
                } else {
                    f = f.with_help(
                        format!("declare it: `conclusion {}: Type`", key.text),
                        format!("请先声明：`结论 {}: 类型`", key.text),
                    );
                }
                self.findings.push(f);
                None
            }
        }
    }

    fn obligation(&mut self, ob: &ast::ObligationDecl, env: &Env) -> Option<Obligation> {
        for (name, en) in [(&ob.actor, "Actor"), (&ob.action, "Action")]
            .into_iter()
            .chain(ob.party.as_ref().map(|p| (p, "Party")))
            .chain(ob.with.iter().map(|w| (w, "Party")))
        {
            self.check_word(name, en);
        }
        let deadline = match &ob.deadline {
            ast::DeadlineDecl::Immediately { .. } => Deadline::Immediately,
            ast::DeadlineDecl::Within {
                duration: ast::DurationOrParam::Literal(d),
                ..
            } => Deadline::Within(duration_of(d)),
            ast::DeadlineDecl::Within {
                duration: ast::DurationOrParam::Param(p),
                ..
            } => match self.param_index.get(&p.text).copied() {
                Some(i) if self.params.get(i).is_some_and(|x| x.ty == Type::Duration) => {
                    Deadline::WithinParam(i as u32)
                }
                Some(_) => {
                    self.err(
                        "E0201",
                        p.span,
                        format!("param `{}` is not a Duration", p.text),
                        format!("参数 `{}` 不是时长类型", p.text),
                    );
                    return None;
                }
                None => {
                    let names: Vec<&str> = self.param_index.keys().map(|s| s.as_str()).collect();
                    let mut f = Finding::error(
                        "E0101",
                        self.file,
                        p.span,
                        format!("unknown param `{}`", p.text),
                        format!("未知参数 `{}`", p.text),
                    );
                    if let Some(s) = did_you_mean(&p.text, names) {
                        f = f
                            .with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
                    }
                    self.findings.push(f);
                    return None;
                }
            },
            ast::DeadlineDecl::By(e) => {
                let (ex, t) = self.expr(e, env, None)?;
                if !matches!(t, Type::Date | Type::DateTime) {
                    self.type_mismatch(e.span, &Type::DateTime, &t);
                    return None;
                }
                Deadline::By(ex)
            }
        };
        let from = match &ob.deadline {
            ast::DeadlineDecl::Immediately { from: Some(f) }
            | ast::DeadlineDecl::Within { from: Some(f), .. } => {
                let (ex, t) = self.expr(f, env, None)?;
                if !matches!(t, Type::Date | Type::DateTime) {
                    self.type_mismatch(f.span, &Type::DateTime, &t);
                    return None;
                }
                Some(ex)
            }
            _ => None,
        };
        let by = match &deadline {
            Deadline::By(b) => Some(b),
            _ => None,
        };
        for ex in from.iter().chain(by) {
            self.warn_sensitive_output(
                ex,
                ob.action.span,
                &format!("the due time of `{}`", ob.action.text),
                &format!("`{}` 的期限", ob.action.text),
            );
        }
        Some(Obligation {
            actor: ob.actor.text.clone(),
            action: ob.action.text.clone(),
            party: ob.party.as_ref().map(|p| p.text.clone()),
            deadline,
            from,
            with: ob.with.iter().map(|w| w.text.clone()).collect(),
        })
    }

    /// W0305: a value every decision shows (a conclusion that is not a truth value or an enum
    /// value, an obligation's due time) is computed from a `@sensitive` fact, so the decision
    /// would disclose what the trace redacts.
    fn warn_sensitive_output(&mut self, ex: &Ex, span: Span, what_en: &str, what_zh: &str) {
        let mut read: Vec<String> = Vec::new();
        let facts = &self.schema.facts;
        walk(ex, &mut |x| {
            if let Ex::Fact(s) = x {
                if let Some(f) = facts.get(*s as usize) {
                    if f.sensitive && !read.contains(&f.path) {
                        read.push(f.path.clone());
                    }
                }
            }
        });
        if read.is_empty() {
            return;
        }
        let names = read.join("`, `");
        self.findings.push(Finding::warning(
            "W0305",
            self.file,
            span,
            format!("{what_en} is computed from the @sensitive fact `{names}`: every decision would show what traces redact"),
            format!("{what_zh}由敏感字段 `{names}` 计算得出：每份决定都会显示推理过程中隐去的信息"),
        ));
    }

    /// Actors, actions and parties are checked against `enum Actor/Action/Party` when declared.
    fn check_word(&mut self, name: &ast::Name, enum_name: &str) {
        let Some(id) = self.schema.enum_by_name(enum_name) else {
            return;
        };
        let Some(e) = self.schema.enum_def(id) else {
            return;
        };
        if e.index(&name.text).is_some() {
            return;
        }
        let sugg =
            did_you_mean(&name.text, e.variants.iter().map(|s| s.as_str())).map(|s| s.to_string());
        let mut f = Finding::error(
            "E0103",
            self.file,
            name.span,
            format!("`{}` is not a value of `{enum_name}`", name.text),
            format!("`{}` 不是 `{enum_name}` 的取值", name.text),
        );
        if let Some(s) = sugg {
            f = f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
        }
        self.findings.push(f);
    }

    // ------------------------------------------------------------------ expressions

    fn condition(&mut self, e: &Expr, env: &Env) -> Ex {
        self.typed(e, env, &Type::Bool)
            .unwrap_or(Ex::Const(Value::Unknown))
    }

    /// Compiles `e` and checks it has type `want`.
    fn typed(&mut self, e: &Expr, env: &Env, want: &Type) -> Option<Ex> {
        let (ex, t) = self.expr(e, env, Some(want))?;
        if self.assignable(&t, want) {
            Some(if *want == Type::Decimal && t == Type::Int {
                promote(ex)
            } else {
                ex
            })
        } else {
            self.type_mismatch(e.span, want, &t);
            None
        }
    }

    fn assignable(&self, from: &Type, to: &Type) -> bool {
        from == to || (*from == Type::Int && *to == Type::Decimal)
    }

    fn type_mismatch(&mut self, span: Span, want: &Type, got: &Type) {
        let w = self.schema.type_name(want);
        let g = self.schema.type_name(got);
        self.err(
            "E0201",
            span,
            format!("expected `{w}`, found `{g}`"),
            format!("此处应为 `{w}` 类型，实际为 `{g}`"),
        );
    }

    fn expr(&mut self, e: &Expr, env: &Env, want: Option<&Type>) -> Option<(Ex, Type)> {
        match &e.kind {
            ExprKind::Bool(b) => Some((Ex::Const(Value::Bool(*b)), Type::Bool)),
            ExprKind::Int(i) => Some((Ex::Const(Value::Int(*i)), Type::Int)),
            ExprKind::Decimal(s) => match parse_decimal(s) {
                Some(d) => Some((Ex::Const(Value::Decimal(d)), Type::Decimal)),
                None => {
                    self.err(
                        "E0205",
                        e.span,
                        format!("`{s}` is not a decimal with at most 6 places"),
                        format!("`{s}` 不是合法小数（最多 6 位小数）"),
                    );
                    None
                }
            },
            ExprKind::Text(s) => Some((Ex::Const(Value::Text(s.as_str().into())), Type::Text)),
            ExprKind::Date(s) => match Date::parse(s) {
                Ok(d) => Some((Ex::Const(Value::Date(d)), Type::Date)),
                Err(err) => {
                    self.err("E0205", e.span, err.to_string(), err.message_zh());
                    None
                }
            },
            ExprKind::DateTime(s) => match DateTime::parse(s) {
                Ok((d, _)) => Some((Ex::Const(Value::DateTime(d)), Type::DateTime)),
                Err(err) => {
                    self.err("E0205", e.span, err.to_string(), err.message_zh());
                    None
                }
            },
            ExprKind::Duration(d) => {
                Some((Ex::Const(Value::Duration(duration_of(d))), Type::Duration))
            }
            ExprKind::Path(p) => self.path(p, e.span, env, want),
            ExprKind::Set(items) => self.set_literal(items, e.span, env, want),
            ExprKind::Call { name, args } => self.call(name, args, e.span, env),
            ExprKind::Unary { op, expr } => match op {
                ast::UnaryOp::Not => Some((
                    Ex::Not(Box::new(self.typed(expr, env, &Type::Bool)?)),
                    Type::Bool,
                )),
                ast::UnaryOp::Neg => {
                    let (x, t) = self.expr(expr, env, None)?;
                    if !matches!(t, Type::Int | Type::Decimal) {
                        self.type_mismatch(expr.span, &Type::Int, &t);
                        return None;
                    }
                    Some((Ex::Neg(Box::new(x)), t))
                }
            },
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for i in items {
                    match self.typed(i, env, &Type::Bool) {
                        Some(x) => out.push(x),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Some((if is_and { Ex::And(out) } else { Ex::Or(out) }, Type::Bool))
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span, env),
            ExprKind::Postfix { op, expr } => {
                let (x, t) = self.expr(expr, env, None)?;
                match op {
                    ast::PostfixOp::IsKnown => Some((Ex::IsKnown(Box::new(x)), Type::Bool)),
                    ast::PostfixOp::IsUnknown => {
                        Some((Ex::Not(Box::new(Ex::IsKnown(Box::new(x)))), Type::Bool))
                    }
                    ast::PostfixOp::IsEmpty | ast::PostfixOp::IsNotEmpty => {
                        if !matches!(t, Type::Set(_) | Type::List(_)) {
                            let g = self.schema.type_name(&t);
                            self.err(
                                "E0202",
                                expr.span,
                                format!("`is empty` needs a set or list, found `{g}`"),
                                format!("`为空` 只能用于集合或列表，实际为 `{g}`"),
                            );
                            return None;
                        }
                        let x = Ex::IsEmpty(Box::new(x));
                        Some((
                            if *op == ast::PostfixOp::IsEmpty {
                                x
                            } else {
                                Ex::Not(Box::new(x))
                            },
                            Type::Bool,
                        ))
                    }
                }
            }
            ExprKind::If { cond, then, els } => {
                let c = self.typed(cond, env, &Type::Bool)?;
                let (t, tt) = self.expr(then, env, want)?;
                let (f, ft) = self.expr(els, env, Some(&tt))?;
                let (t, f, ty) = if tt == ft {
                    (t, f, tt)
                } else if tt == Type::Int && ft == Type::Decimal {
                    (promote(t), f, Type::Decimal)
                } else if tt == Type::Decimal && ft == Type::Int {
                    (t, promote(f), Type::Decimal)
                } else {
                    self.type_mismatch(els.span, &tt, &ft);
                    return None;
                };
                Some((Ex::If(Box::new(c), Box::new(t), Box::new(f)), ty))
            }
            ExprKind::AnyOf(items) | ExprKind::AllOf(items) => {
                let is_any = matches!(e.kind, ExprKind::AnyOf(_));
                let mut out = Vec::new();
                for i in items {
                    out.push(self.typed(i, env, &Type::Bool)?);
                }
                Some((if is_any { Ex::Or(out) } else { Ex::And(out) }, Type::Bool))
            }
            ExprKind::Count(list) => {
                let (x, t) = self.path(&list.text, list.span, env, None)?;
                if !matches!(t, Type::List(_) | Type::Set(_)) {
                    let g = self.schema.type_name(&t);
                    self.err(
                        "E0202",
                        list.span,
                        format!("`count` needs a list or set, found `{g}`"),
                        format!("`计数` 只能用于列表或集合，实际为 `{g}`"),
                    );
                    return None;
                }
                Some((Ex::Len(Box::new(x)), Type::Int))
            }
            ExprKind::Quant {
                kind,
                var,
                list,
                filter,
                body,
            } => self.quantifier(
                *kind,
                var,
                list,
                filter.as_deref(),
                body.as_deref(),
                e.span,
                env,
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn quantifier(
        &mut self,
        kind: ast::QuantKind,
        var: &ast::Name,
        list: &ast::Name,
        filter: Option<&Expr>,
        body: Option<&Expr>,
        span: Span,
        env: &Env,
    ) -> Option<(Ex, Type)> {
        let (lx, lt) = self.path(&list.text, list.span, env, None)?;
        let Type::List(rid) = lt else {
            let g = self.schema.type_name(&lt);
            self.err(
                "E0202",
                list.span,
                format!("`{}` is not a list (it is `{g}`)", list.text),
                format!("`{}` 不是列表（其类型为 `{g}`）", list.text),
            );
            return None;
        };
        let mut inner = env.clone();
        inner.bindings.push(Binding::Local {
            name: var.text.clone(),
            index: env.depth,
            ty: Type::Record(rid),
        });
        inner.depth += 1;
        let filter = match filter {
            Some(f) => Some(Box::new(self.typed(f, &inner, &Type::Bool)?)),
            None => None,
        };
        let (agg, body, ty) = match kind {
            ast::QuantKind::Any | ast::QuantKind::All => {
                let b = match body {
                    Some(b) => Some(Box::new(self.typed(b, &inner, &Type::Bool)?)),
                    None if filter.is_some() => None,
                    None => {
                        self.err("E0203", span, "`any`/`all` over a list needs a condition: `any p in list: <condition>`", "`任一`/`所有` 需要条件：`任一 p 属于 列表: <条件>`");
                        return None;
                    }
                };
                (
                    if kind == ast::QuantKind::Any {
                        Agg::Any
                    } else {
                        Agg::All
                    },
                    b,
                    Type::Bool,
                )
            }
            ast::QuantKind::Count => {
                let b = match body {
                    Some(b) => Some(Box::new(self.typed(b, &inner, &Type::Bool)?)),
                    None => None,
                };
                (Agg::Count, b, Type::Int)
            }
            ast::QuantKind::Sum | ast::QuantKind::Min | ast::QuantKind::Max => {
                let Some(b) = body else {
                    self.err(
                        "E0203",
                        span,
                        "`sum`/`min`/`max` need a value: `sum r in list: r.amount`",
                        "`求和`/`最小`/`最大` 需要取值：`求和 r 属于 列表: r.金额`",
                    );
                    return None;
                };
                let (bx, bt) = self.expr(b, &inner, None)?;
                let ok = match kind {
                    ast::QuantKind::Sum => matches!(bt, Type::Int | Type::Decimal),
                    _ => matches!(bt, Type::Int | Type::Decimal | Type::Date | Type::DateTime),
                };
                if !ok {
                    let g = self.schema.type_name(&bt);
                    self.err(
                        "E0202",
                        b.span,
                        format!("cannot aggregate values of type `{g}`"),
                        format!("不能对 `{g}` 类型的值求和或取最值"),
                    );
                    return None;
                }
                let agg = match kind {
                    ast::QuantKind::Sum => Agg::Sum,
                    ast::QuantKind::Min => Agg::Min,
                    _ => Agg::Max,
                };
                (agg, Some(Box::new(bx)), bt)
            }
        };
        Some((
            Ex::Quant {
                agg,
                list: Box::new(lx),
                filter,
                body,
            },
            ty,
        ))
    }

    fn binary(
        &mut self,
        op: ast::BinOp,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
        env: &Env,
    ) -> Option<(Ex, Type)> {
        use ast::BinOp as B;
        match op {
            B::In | B::NotIn => {
                let (x, t) = self.membership(lhs, rhs, span, env)?;
                Some(if op == B::NotIn {
                    (Ex::Not(Box::new(x)), t)
                } else {
                    (x, t)
                })
            }
            B::Eq | B::Ne | B::Lt | B::Le | B::Gt | B::Ge => {
                // Compile the side that is not a bare enum value first, so `female == minor.sex` works too.
                let (l, lt, r, rt) = if self.is_bare_name(lhs, env) && !self.is_bare_name(rhs, env)
                {
                    let (r, rt) = self.expr(rhs, env, None)?;
                    let (l, lt) = self.expr(lhs, env, Some(&rt))?;
                    (l, lt, r, rt)
                } else {
                    let (l, lt) = self.expr(lhs, env, None)?;
                    let (r, rt) = self.expr(rhs, env, Some(&lt))?;
                    (l, lt, r, rt)
                };
                let (l, r, t) = self.unify(l, lt, r, rt, rhs.span)?;
                let cmp = match op {
                    B::Eq => Cmp::Eq,
                    B::Ne => Cmp::Ne,
                    B::Lt => Cmp::Lt,
                    B::Le => Cmp::Le,
                    B::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                if !matches!(cmp, Cmp::Eq | Cmp::Ne)
                    && !matches!(t, Type::Int | Type::Decimal | Type::Date | Type::DateTime)
                {
                    let g = self.schema.type_name(&t);
                    self.err(
                        "E0202",
                        span,
                        format!("values of type `{g}` cannot be ordered with `<`/`>`"),
                        format!("`{g}` 类型的值不能用 `<`/`>` 比较"),
                    );
                    return None;
                }
                if matches!(t, Type::List(_) | Type::Record(_)) {
                    self.err(
                        "E0202",
                        span,
                        "lists and records cannot be compared",
                        "列表和记录不能比较",
                    );
                    return None;
                }
                Some((Ex::Cmp(cmp, Box::new(l), Box::new(r)), Type::Bool))
            }
            B::Add | B::Sub | B::Mul | B::Div => {
                let (l, lt) = self.expr(lhs, env, None)?;
                let (r, rt) = self.expr(rhs, env, None)?;
                let arith = match op {
                    B::Add => Arith::Add,
                    B::Sub => Arith::Sub,
                    B::Mul => Arith::Mul,
                    _ => Arith::Div,
                };
                let ty = match (&lt, &rt, arith) {
                    (Type::Int, Type::Int, _) => Type::Int,
                    (Type::Int | Type::Decimal, Type::Int | Type::Decimal, _) => {
                        let l = if lt == Type::Int { promote(l) } else { l };
                        let r = if rt == Type::Int { promote(r) } else { r };
                        return Some((Ex::Arith(arith, Box::new(l), Box::new(r)), Type::Decimal));
                    }
                    (Type::Date, Type::Duration, Arith::Add | Arith::Sub) => Type::Date,
                    (Type::DateTime, Type::Duration, Arith::Add | Arith::Sub) => Type::DateTime,
                    _ => {
                        let (a, b) = (self.schema.type_name(&lt), self.schema.type_name(&rt));
                        let sym = match arith {
                            Arith::Add => "+",
                            Arith::Sub => "-",
                            Arith::Mul => "*",
                            Arith::Div => "/",
                        };
                        self.err(
                            "E0202",
                            span,
                            format!("cannot compute `{a} {sym} {b}`"),
                            format!("无法计算 `{a} {sym} {b}`"),
                        );
                        return None;
                    }
                };
                Some((Ex::Arith(arith, Box::new(l), Box::new(r)), ty))
            }
        }
    }

    fn unify(&mut self, l: Ex, lt: Type, r: Ex, rt: Type, span: Span) -> Option<(Ex, Ex, Type)> {
        if lt == rt {
            return Some((l, r, lt));
        }
        match (&lt, &rt) {
            (Type::Int, Type::Decimal) => Some((promote(l), r, Type::Decimal)),
            (Type::Decimal, Type::Int) => Some((l, promote(r), Type::Decimal)),
            _ => {
                self.type_mismatch(span, &lt, &rt);
                None
            }
        }
    }

    fn membership(&mut self, lhs: &Expr, rhs: &Expr, span: Span, env: &Env) -> Option<(Ex, Type)> {
        // `any {a, b} in s` / `all {a, b} in s`: set tests against a set of enum values.
        if let ExprKind::AnyOf(items) | ExprKind::AllOf(items) = &lhs.kind {
            let is_any = matches!(lhs.kind, ExprKind::AnyOf(_));
            let (sx, st) = self.expr(rhs, env, None)?;
            let Type::Set(eid) = st else {
                let g = self.schema.type_name(&st);
                self.err(
                    "E0202",
                    rhs.span,
                    format!("`any {{…}} in` needs a set on the right, found `{g}`"),
                    format!("`任一 {{…}} 属于` 右侧应为集合，实际为 `{g}`"),
                );
                return None;
            };
            let bits = self.enum_bits(items, eid, env)?;
            return Some((
                if is_any {
                    Ex::Intersects(bits, Box::new(sx))
                } else {
                    Ex::Subset(bits, Box::new(sx))
                },
                Type::Bool,
            ));
        }
        let (lx, lt) = self.expr(lhs, env, None).or(None)?;
        match &rhs.kind {
            ExprKind::Set(items) => {
                // A literal list of values: enum values, numbers, texts.
                if let Type::Enum(eid) = lt {
                    let bits = self.enum_bits(items, eid, env)?;
                    return Some((
                        Ex::InSet(
                            Box::new(lx),
                            Box::new(Ex::Const(Value::Set {
                                bits,
                                complete: true,
                            })),
                        ),
                        Type::Bool,
                    ));
                }
                let mut vals = Vec::new();
                for i in items {
                    let (x, t) = self.expr(i, env, Some(&lt))?;
                    let Ex::Const(v) = x else {
                        self.err(
                            "E0206",
                            i.span,
                            "the values after `in {…}` must be constants",
                            "`属于 {…}` 中的值必须是常量",
                        );
                        return None;
                    };
                    if !(self.assignable(&t, &lt) || (lt == Type::Int && t == Type::Decimal)) {
                        self.type_mismatch(i.span, &lt, &t);
                        return None;
                    }
                    vals.push(coerce(v, &lt));
                }
                Some((Ex::InValues(Box::new(lx), vals), Type::Bool))
            }
            _ => {
                let (sx, st) = self.expr(rhs, env, None)?;
                match (&lt, &st) {
                    (Type::Enum(a), Type::Set(b)) if a == b => {
                        Some((Ex::InSet(Box::new(lx), Box::new(sx)), Type::Bool))
                    }
                    _ => {
                        let (a, b) = (self.schema.type_name(&lt), self.schema.type_name(&st));
                        self.err("E0202", span, format!("cannot test `{a} in {b}`: the right side must be a set of the same enum"), format!("无法判断 `{a} 属于 {b}`：右侧必须是同一枚举的集合"));
                        None
                    }
                }
            }
        }
    }

    fn enum_bits(&mut self, items: &[Expr], eid: EnumId, env: &Env) -> Option<u128> {
        let mut bits = 0u128;
        for i in items {
            let (x, t) = self.expr(i, env, Some(&Type::Enum(eid)))?;
            match (x, t) {
                (Ex::Const(Value::Enum(v)), Type::Enum(e)) if e == eid => {
                    bits |= 1u128 << (v % 128)
                }
                (_, t) => {
                    self.type_mismatch(i.span, &Type::Enum(eid), &t);
                    return None;
                }
            }
        }
        Some(bits)
    }

    fn set_literal(
        &mut self,
        items: &[Expr],
        span: Span,
        env: &Env,
        want: Option<&Type>,
    ) -> Option<(Ex, Type)> {
        let eid = match want {
            Some(Type::Set(e)) => *e,
            _ => {
                // Infer from the first item.
                let first = items.first()?;
                match self.expr(first, env, None)? {
                    (_, Type::Enum(e)) => e,
                    _ => {
                        self.err(
                            "E0202",
                            span,
                            "a set literal here must hold enum values",
                            "此处的集合只能包含枚举值",
                        );
                        return None;
                    }
                }
            }
        };
        let bits = self.enum_bits(items, eid, env)?;
        Some((
            Ex::Const(Value::Set {
                bits,
                complete: true,
            }),
            Type::Set(eid),
        ))
    }

    fn is_bare_name(&self, e: &Expr, env: &Env) -> bool {
        let ExprKind::Path(p) = &e.kind else {
            return false;
        };
        !p.contains('.')
            && env.lookup(p).is_none()
            && !self.lets.get(self.file).is_some_and(|m| m.contains_key(p))
            && !self.fact_index.contains_key(p)
            && !self.conclusion_index.contains_key(p)
            && !self.param_index.contains_key(p)
            && !is_as_of(p)
    }

    fn path(&mut self, p: &str, span: Span, env: &Env, want: Option<&Type>) -> Option<(Ex, Type)> {
        let mut segs = p.split('.');
        let head = segs.next().unwrap_or("");
        // Bound variables and their fields.
        if let Some(b) = env.lookup(head) {
            let (mut ex, mut ty) = match b {
                Binding::Local { index, ty, .. } => (Ex::Local(*index), ty.clone()),
                Binding::Arg { ex, ty, .. } => (ex.clone(), ty.clone()),
            };
            for seg in segs {
                let Type::Record(rid) = ty else {
                    self.err(
                        "E0108",
                        span,
                        format!("`{p}`: `{seg}` is not a field here"),
                        format!("`{p}`：此处没有字段 `{seg}`"),
                    );
                    return None;
                };
                let rec = self.schema.record_def(rid)?;
                match rec.field(seg) {
                    Some((i, f)) => {
                        ty = f.ty.clone();
                        ex = Ex::Field(Box::new(ex), i as u32);
                    }
                    None => {
                        let rname = rec.name.clone();
                        let names: Vec<String> =
                            rec.fields.iter().map(|f| f.name.clone()).collect();
                        let mut f = Finding::error(
                            "E0108",
                            self.file,
                            span,
                            format!("record `{rname}` has no field `{seg}`"),
                            format!("记录 `{rname}` 没有字段 `{seg}`"),
                        );
                        if let Some(s) = did_you_mean(seg, names.iter().map(|s| s.as_str())) {
                            f = f.with_help(
                                format!("did you mean `{head}.{s}`?"),
                                format!("是否想写 `{head}.{s}`？"),
                            );
                        }
                        self.findings.push(f);
                        return None;
                    }
                }
            }
            return Some((ex, ty));
        }
        // Where an enum value is expected, its values come first: `minor.sex == female`.
        if !p.contains('.') {
            if let Some(Type::Enum(eid) | Type::Set(eid)) = want {
                if let Some(v) = self.schema.enum_def(*eid).and_then(|e| e.index(p)) {
                    return Some((Ex::Const(Value::Enum(v)), Type::Enum(*eid)));
                }
            }
        }
        if !p.contains('.') {
            if let Some(r) = self.let_ref(p, span, env) {
                return r;
            }
            if is_as_of(p) {
                return Some((Ex::AsOf, Type::Date));
            }
        }
        if let Some(&i) = self.fact_index.get(p) {
            let ty = self.schema.facts.get(i).map(|f| f.ty.clone())?;
            return Some((Ex::Fact(i as u32), ty));
        }
        if let Some(&i) = self.conclusion_index.get(p) {
            let ty = self.conclusions.get(i).map(|c| c.ty.clone())?;
            return Some((Ex::Conclusion(i as u32), ty));
        }
        if let Some(&i) = self.param_index.get(p) {
            let ty = self.params.get(i).map(|c| c.ty.clone())?;
            return Some((Ex::Param(i as u32), ty));
        }
        // Enum values: by the expected type, else unique across enums.
        if !p.contains('.') {
            if let Some(Type::Enum(eid) | Type::Set(eid)) = want {
                if let Some(e) = self.schema.enum_def(*eid) {
                    if let Some(v) = e.index(p) {
                        return Some((Ex::Const(Value::Enum(v)), Type::Enum(*eid)));
                    }
                    let ename = e.name.clone();
                    let sugg = did_you_mean(p, e.variants.iter().map(|s| s.as_str()))
                        .map(|s| s.to_string());
                    let mut f = Finding::error(
                        "E0103",
                        self.file,
                        span,
                        format!("`{p}` is not a value of `{ename}`"),
                        format!("`{p}` 不是 `{ename}` 的取值"),
                    );
                    f = match sugg {
                        Some(s) => {
                            f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"))
                        }
                        None => {
                            let vals = e
                                .variants
                                .iter()
                                .take(12)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ");
                            let n = e.variants.len();
                            let (more, more_zh) = if n > 12 {
                                (format!(", … ({n} in all)"), format!("……（共 {n} 个）"))
                            } else {
                                (String::new(), String::new())
                            };
                            f.with_help(
                                format!("the values are: {vals}{more}"),
                                format!("可选值：{vals}{more_zh}"),
                            )
                        }
                    };
                    self.findings.push(f);
                    return None;
                }
            }
            let hits: Vec<(EnumId, u16)> = self
                .schema
                .enums
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.index(p).map(|v| (i as EnumId, v)))
                .collect();
            if let [(eid, v)] = hits.as_slice() {
                return Some((Ex::Const(Value::Enum(*v)), Type::Enum(*eid)));
            }
            if hits.len() > 1 {
                let names: Vec<String> = hits
                    .iter()
                    .filter_map(|(e, _)| self.schema.enum_def(*e).map(|d| d.name.clone()))
                    .collect();
                self.err(
                    "E0101",
                    span,
                    format!("`{p}` is a value of several enums ({}); compare it with a fact to say which", names.join(", ")),
                    format!("`{p}` 同时是多个枚举（{}）的取值；请与事实比较以确定类型", names.join("、")),
                );
                return None;
            }
        }
        self.unknown_name(p, span, env);
        None
    }

    fn unknown_name(&mut self, p: &str, span: Span, env: &Env) {
        let mut cands: Vec<String> = self.schema.facts.iter().map(|f| f.path.clone()).collect();
        cands.extend(self.conclusion_index.keys().cloned());
        cands.extend(self.param_index.keys().cloned());
        if let Some(m) = self.lets.get(self.file) {
            cands.extend(m.keys().cloned());
        }
        if let Some(imps) = self.imports.get(self.file) {
            for i in imps {
                if let Some(m) = self.lets.get(*i) {
                    cands.extend(m.keys().cloned());
                }
            }
        }
        for b in &env.bindings {
            match b {
                Binding::Local { name, .. } | Binding::Arg { name, .. } => cands.push(name.clone()),
            }
        }
        let mut f = Finding::error(
            "E0101",
            self.file,
            span,
            format!("unknown name `{p}`: not a fact, conclusion, param or definition"),
            format!("未知名称 `{p}`：不是已声明的事实、结论、参数或定义"),
        );
        if let Some(s) = did_you_mean(p, cands.iter().map(|s| s.as_str())) {
            f = f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
        }
        self.findings.push(f);
    }

    /// A reference to a `let` without arguments; `None` when `name` is not a let in scope.
    fn let_ref(&mut self, name: &str, span: Span, env: &Env) -> Option<Option<(Ex, Type)>> {
        let (file, decl) = self.find_let(name)?;
        if decl.params.is_some() {
            self.err(
                "E0203",
                span,
                format!("`{name}` takes arguments: `{name}(…)`"),
                format!("`{name}` 需要参数：`{name}(…)`"),
            );
            return Some(None);
        }
        let key = (file, name.to_string(), env.depth);
        if let Some(c) = self.let_cache.get(&key) {
            return Some(Some(c.clone()));
        }
        let r = self.inline_let(
            file,
            decl,
            Env {
                bindings: Vec::new(),
                depth: env.depth,
            },
            span,
        );
        if let Some(c) = &r {
            self.let_cache.insert(key, c.clone());
        }
        Some(r)
    }

    fn find_let(&self, name: &str) -> Option<(usize, &'a ast::LetDecl)> {
        if let Some(l) = self.lets.get(self.file).and_then(|m| m.get(name)) {
            return Some((l.file, l.decl));
        }
        for i in self.imports.get(self.file)? {
            if let Some(l) = self.lets.get(*i).and_then(|m| m.get(name)) {
                return Some((l.file, l.decl));
            }
        }
        None
    }

    fn inline_let(
        &mut self,
        file: usize,
        decl: &'a ast::LetDecl,
        env: Env,
        span: Span,
    ) -> Option<(Ex, Type)> {
        let key = (file, decl.name.text.clone());
        if let Some(pos) = self.let_stack.iter().position(|k| *k == key) {
            let cycle: Vec<String> = self
                .let_stack
                .iter()
                .skip(pos)
                .map(|(_, n)| n.clone())
                .chain([decl.name.text.clone()])
                .collect();
            let c = cycle.join(" → ");
            self.err(
                "E0302",
                span,
                format!("definitions refer to each other in a cycle: {c}"),
                format!("定义之间循环引用：{c}"),
            );
            return None;
        }
        self.let_stack.push(key);
        let saved = self.file;
        self.file = file;
        let r = self.expr(&decl.body, &env, None);
        self.file = saved;
        self.let_stack.pop();
        r
    }

    fn call(
        &mut self,
        name: &ast::Name,
        args: &[Expr],
        span: Span,
        env: &Env,
    ) -> Option<(Ex, Type)> {
        let builtin = match name.text.as_str() {
            "zhousui" | "周岁" => {
                Some((Builtin::Zhousui, vec![Type::Date, Type::Date], Type::Int))
            }
            "date" | "日期" => Some((Builtin::DateOf, vec![Type::DateTime], Type::Date)),
            "days_between" | "相差天数" => Some((
                Builtin::DaysBetween,
                vec![Type::Date, Type::Date],
                Type::Int,
            )),
            _ => None,
        };
        if let Some((b, params, ret)) = builtin {
            if args.len() != params.len() {
                self.err(
                    "E0203",
                    span,
                    format!(
                        "`{}` takes {} argument(s), found {}",
                        name.text,
                        params.len(),
                        args.len()
                    ),
                    format!(
                        "`{}` 需要 {} 个参数，实际 {} 个",
                        name.text,
                        params.len(),
                        args.len()
                    ),
                );
                return None;
            }
            let mut xs = Vec::new();
            for (a, t) in args.iter().zip(params.iter()) {
                xs.push(self.typed(a, env, t)?);
            }
            return Some((Ex::Call(b, xs), ret));
        }
        let Some((file, decl)) = self.find_let(&name.text) else {
            let mut cands: Vec<String> =
                vec!["zhousui".into(), "date".into(), "days_between".into()];
            if let Some(m) = self.lets.get(self.file) {
                cands.extend(
                    m.iter()
                        .filter(|(_, l)| l.decl.params.is_some())
                        .map(|(k, _)| k.clone()),
                );
            }
            let mut f = Finding::error(
                "E0101",
                self.file,
                name.span,
                format!("unknown function `{}`", name.text),
                format!("未知函数 `{}`", name.text),
            );
            if let Some(s) = did_you_mean(&name.text, cands.iter().map(|s| s.as_str())) {
                f = f.with_help(format!("did you mean `{s}`?"), format!("是否想写 `{s}`？"));
            }
            self.findings.push(f);
            return None;
        };
        let Some(params) = &decl.params else {
            self.err(
                "E0203",
                span,
                format!("`{}` takes no arguments", name.text),
                format!("`{}` 不需要参数", name.text),
            );
            return None;
        };
        if params.len() != args.len() {
            self.err(
                "E0203",
                span,
                format!(
                    "`{}` takes {} argument(s), found {}",
                    name.text,
                    params.len(),
                    args.len()
                ),
                format!(
                    "`{}` 需要 {} 个参数，实际 {} 个",
                    name.text,
                    params.len(),
                    args.len()
                ),
            );
            return None;
        }
        let mut inner = Env {
            bindings: Vec::new(),
            depth: env.depth,
        };
        for (p, a) in params.iter().zip(args) {
            let saved = self.file;
            self.file = file;
            let pt = self.resolve_type(&p.ty);
            self.file = saved;
            let pt = pt?;
            let (ax, at) = self.expr(a, env, Some(&pt))?;
            if !self.assignable(&at, &pt) {
                self.type_mismatch(a.span, &pt, &at);
                return None;
            }
            inner.bindings.push(Binding::Arg {
                name: p.name.text.clone(),
                ex: ax,
                ty: pt,
            });
        }
        self.inline_let(file, decl, inner, span)
    }

    // ------------------------------------------------------------------ tests

    fn compile_test(
        &mut self,
        t: &ast::TestDecl,
        rule_ids: &std::collections::HashSet<&str>,
    ) -> Option<CompiledTest> {
        let file = self.file;
        let policy = self.policy_of.get(file).cloned().unwrap_or_default();
        let mut ct = CompiledTest {
            file,
            policy: policy.clone(),
            title: t
                .title
                .as_ref()
                .map(|s| s.value.clone())
                .unwrap_or_default(),
            span: t.span,
            given: serde_json::Value::Object(serde_json::Map::new()),
            as_of: None,
            params: Vec::new(),
            expects: Vec::new(),
            plan: None,
        };
        if let Some(p) = &t.plan {
            ct.title = format!(
                "plan {} from {} months {}",
                p.rotation.text, p.from.text, p.months.0
            );
            ct.plan = Some(PlanTest {
                rotation: p.rotation.text.clone(),
                from: p.from.text.clone(),
                months: u32::try_from(p.months.0.clamp(0, 600)).unwrap_or(0),
                flags: p
                    .flags
                    .iter()
                    .map(|(s, r)| (s.text.clone(), r.value.clone()))
                    .collect(),
            });
        }
        let resolve_rule = |cx: &mut Ctx, n: &ast::Name| -> Option<String> {
            let id = if n.text.contains('.') {
                n.text.clone()
            } else {
                format!("{policy}.{}", n.text)
            };
            if rule_ids.contains(&id.as_str()) {
                return Some(id);
            }
            let mut f = Finding::error(
                "E0601",
                file,
                n.span,
                format!("the test names a rule that does not exist: `{}`", n.text),
                format!("测试引用了不存在的规则 `{}`", n.text),
            );
            if let Some(s) = did_you_mean(&id, rule_ids.iter().copied()) {
                let bare = s.strip_prefix(&format!("{policy}.")).unwrap_or(s);
                f = f.with_help(
                    format!("did you mean `{bare}`?"),
                    format!("是否想写 `{bare}`？"),
                );
            }
            cx.findings.push(f);
            None
        };
        for item in &t.items {
            match item {
                ast::TestItem::Given(d) => ct.given = datum_json(d),
                ast::TestItem::AsOf(n) => ct.as_of = parse_date_at(self, file, n),
                ast::TestItem::Param { path, value, .. } => {
                    match self.param_index.get(&path.text).copied() {
                        Some(i) => {
                            let ty = self.params.get(i).map(|p| p.ty.clone())?;
                            if let Some(v) = self.const_value(value, &ty) {
                                ct.params.push((i as u32, v));
                            }
                        }
                        None => {
                            let names: Vec<&str> =
                                self.param_index.keys().map(|s| s.as_str()).collect();
                            let mut f = Finding::error(
                                "E0601",
                                file,
                                path.span,
                                format!("unknown param `{}`", path.text),
                                format!("未知参数 `{}`", path.text),
                            );
                            if let Some(s) = did_you_mean(&path.text, names) {
                                f = f.with_help(
                                    format!("did you mean `{s}`?"),
                                    format!("是否想写 `{s}`？"),
                                );
                            }
                            self.findings.push(f);
                        }
                    }
                }
                ast::TestItem::Expect(e) => {
                    let text = self.text_of(file, e.span);
                    let kind = match &e.kind {
                        ast::ExpectKind::Status(n) => {
                            if !matches!(
                                n.text.as_str(),
                                "determined" | "undetermined" | "conflict"
                            ) {
                                self.err("E0601", n.span, format!("unknown status `{}`; use determined, undetermined or conflict", n.text), format!("未知状态 `{}`；可用 determined、undetermined、conflict", n.text));
                                continue;
                            }
                            ExpectKind::Status(n.text.clone())
                        }
                        ast::ExpectKind::Missing { first, fact } => {
                            // `parents[1].since`: check the list fact and the record field.
                            let base = fact.text.split('[').next().unwrap_or("");
                            if !self.fact_index.contains_key(base) {
                                self.unknown_name(&fact.text, fact.span, &Env::default());
                                continue;
                            }
                            ExpectKind::Missing {
                                first: *first,
                                fact: fact.text.clone(),
                            }
                        }
                        ast::ExpectKind::Fired(n) => match resolve_rule(self, n) {
                            Some(id) => ExpectKind::Fired(id),
                            None => continue,
                        },
                        ast::ExpectKind::NotFired(n) => match resolve_rule(self, n) {
                            Some(id) => ExpectKind::NotFired(id),
                            None => continue,
                        },
                        ast::ExpectKind::Undecided(n) => {
                            if !self.conclusion_index.contains_key(&n.text) {
                                self.unknown_name(&n.text, n.span, &Env::default());
                                continue;
                            }
                            ExpectKind::Undecided(n.text.clone())
                        }
                        ast::ExpectKind::NoObligation { action, party } => {
                            self.check_word(action, "Action");
                            if let Some(p) = party {
                                self.check_word(p, "Party");
                            }
                            ExpectKind::NoObligation {
                                action: action.text.clone(),
                                party: party.as_ref().map(|p| p.text.clone()),
                            }
                        }
                        ast::ExpectKind::Obligation {
                            actor,
                            action,
                            party,
                            due,
                        } => {
                            if let Some(a) = actor {
                                self.check_word(a, "Actor");
                            }
                            self.check_word(action, "Action");
                            if let Some(p) = party {
                                self.check_word(p, "Party");
                            }
                            if let Some(d) = due {
                                if DateTime::parse(&d.text).is_err()
                                    && Date::parse(&d.text).is_err()
                                {
                                    self.err(
                                        "E0205",
                                        d.span,
                                        format!("`{}` is not a date or time", d.text),
                                        format!("`{}` 不是日期或时间", d.text),
                                    );
                                    continue;
                                }
                            }
                            ExpectKind::Obligation {
                                actor: actor.as_ref().map(|a| a.text.clone()),
                                action: action.text.clone(),
                                party: party.as_ref().map(|p| p.text.clone()),
                                due: due.as_ref().map(|d| d.text.clone()),
                            }
                        }
                        ast::ExpectKind::Expr(x) => {
                            match self.typed(x, &Env::default(), &Type::Bool) {
                                Some(ex) => ExpectKind::Holds(ex),
                                None => continue,
                            }
                        }
                        ast::ExpectKind::EveryStreetVisitedOnce => {
                            ExpectKind::EveryStreetVisitedOnce
                        }
                        ast::ExpectKind::NoCommunityRepeated => ExpectKind::NoCommunityRepeated,
                        ast::ExpectKind::StreetInMonth { street, month } => {
                            ExpectKind::StreetInMonth {
                                street: street.text.clone(),
                                month: month.text.clone(),
                            }
                        }
                    };
                    ct.expects.push(Expect {
                        text,
                        span: e.span,
                        kind,
                    });
                }
            }
        }
        if ct.expects.is_empty() {
            self.findings.push(Finding::warning(
                "W0601",
                file,
                t.span,
                "this test expects nothing, so it cannot fail",
                "此测试没有任何预期，永远不会失败",
            ));
        }
        Some(ct)
    }

    // ------------------------------------------------------------------ ordering and conflicts

    /// Orders rules and conclusion settlements so every conclusion is settled before a rule
    /// reads it, and exceptions are decided before the rules they override.
    fn order(&mut self, rules: &[CompiledRule], conclusions: &[ConclusionDef]) -> Vec<Step> {
        let nr = rules.len();
        let nc = conclusions.len();
        let node_rule = |r: usize| r;
        let node_conc = |c: usize| nr + c;
        let n = nr + nc;
        let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut indeg = vec![0usize; n];
        // Edges are collected, then sorted and deduplicated once (a `contains` check per edge
        // was quadratic in the readers of one conclusion); the order of a node's successors
        // does not change the order Kahn's algorithm picks.
        let add = |a: usize, b: usize, succ: &mut Vec<Vec<usize>>, _: &mut Vec<usize>| {
            if let Some(s) = succ.get_mut(a) {
                s.push(b);
            }
        };
        for (ri, r) in rules.iter().enumerate() {
            let mut reads = Vec::new();
            let mut exprs: Vec<&Ex> = vec![&r.when];
            for e in &r.effects {
                match e {
                    Effect::Conclude { value, .. } | Effect::Add { value, .. } => exprs.push(value),
                }
            }
            for o in &r.obligations {
                if let Some(f) = &o.from {
                    exprs.push(f);
                }
                if let Deadline::By(b) = &o.deadline {
                    exprs.push(b);
                }
            }
            for e in exprs {
                walk(e, &mut |x| {
                    if let Ex::Conclusion(c) = x {
                        reads.push(*c as usize);
                    }
                });
            }
            for c in reads {
                add(node_conc(c), node_rule(ri), &mut succ, &mut indeg);
            }
            for e in &r.effects {
                let c = match e {
                    Effect::Conclude { conclusion, .. } | Effect::Add { conclusion, .. } => {
                        *conclusion as usize
                    }
                };
                add(node_rule(ri), node_conc(c), &mut succ, &mut indeg);
            }
            // An exception is decided before the rule it overrides.
            for &x in &r.exceptions {
                add(node_rule(ri), node_rule(x as usize), &mut succ, &mut indeg);
            }
        }
        for s in succ.iter_mut() {
            s.sort_unstable();
            s.dedup();
            for &b in s.iter() {
                if let Some(d) = indeg.get_mut(b) {
                    *d += 1;
                }
            }
        }
        // Kahn's algorithm; among ready nodes, the earliest declared goes first (deterministic).
        let mut ready: std::collections::BTreeSet<(usize, usize)> =
            std::collections::BTreeSet::new();
        let key = |v: usize| -> (usize, usize) {
            if v < nr {
                (v, 0)
            } else {
                (
                    conclusions
                        .get(v - nr)
                        .and_then(|c| c.writers.iter().max().map(|&w| w as usize))
                        .unwrap_or(0),
                    1 + v,
                )
            }
        };
        for v in 0..n {
            if indeg.get(v).copied().unwrap_or(0) == 0 {
                ready.insert((key(v).0, key(v).1 * n + v));
            }
        }
        let mut steps = Vec::with_capacity(n);
        let mut done = vec![false; n];
        while let Some(first) = ready.iter().next().copied() {
            ready.remove(&first);
            let v = first.1 % n.max(1);
            if done.get(v).copied().unwrap_or(true) {
                continue;
            }
            if let Some(d) = done.get_mut(v) {
                *d = true;
            }
            steps.push(if v < nr {
                Step::Rule(v as u32)
            } else {
                Step::Settle((v - nr) as u32)
            });
            for &w in succ.get(v).map(|s| s.as_slice()).unwrap_or(&[]) {
                if let Some(d) = indeg.get_mut(w) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert((key(w).0, key(w).1 * n + w));
                    }
                }
            }
        }
        if steps.len() < n {
            // A cycle: report the rules on it.
            let stuck: Vec<String> = (0..nr)
                .filter(|&r| !done.get(r).copied().unwrap_or(true))
                .filter_map(|r| rules.get(r).map(|x| x.id.clone()))
                .collect();
            let cs: Vec<String> = (0..nc)
                .filter(|&c| !done.get(nr + c).copied().unwrap_or(true))
                .filter_map(|c| conclusions.get(c).map(|x| x.key.clone()))
                .collect();
            let (file, span) = rules
                .iter()
                .find(|r| !done.get(r.order as usize).copied().unwrap_or(true))
                .map_or((0, Span::default()), |r| (r.file, r.span));
            self.findings.push(Finding::error(
                "E0303",
                file,
                span,
                format!("rules and conclusions depend on each other in a cycle: rules {}; conclusions {}", stuck.join(", "), cs.join(", ")),
                format!("规则与结论之间存在循环依赖：规则 {}；结论 {}", stuck.join("、"), cs.join("、")),
            ));
            for v in 0..n {
                if !done.get(v).copied().unwrap_or(true) {
                    steps.push(if v < nr {
                        Step::Rule(v as u32)
                    } else {
                        Step::Settle((v - nr) as u32)
                    });
                }
            }
        }
        steps
    }

    /// Two rules that set one single-valued conclusion to different constants, with the same
    /// priority and no exception between them, may conflict: warn (their conditions may still
    /// exclude each other, which only evaluation can tell).
    fn check_conflicts(&mut self, rules: &[CompiledRule], conclusions: &[ConclusionDef]) {
        // One warning per rule at most, naming the first earlier rule it may conflict with:
        // the number of warnings and the work stay linear in the number of rules (a pairwise
        // report made a set of a thousand rules for one conclusion print half a million).
        for c in conclusions.iter().filter(|c| !c.collect) {
            // By priority: each value set so far, with the rules that set it, in order, and
            // where each value is in that list (keyed by its debug text: values are not Hash).
            type ByValue = (Vec<(Value, Vec<usize>)>, HashMap<String, usize>);
            let mut seen: Vec<ByValue> = Vec::new();
            let mut by_priority: HashMap<i64, usize> = HashMap::new();
            for &w in &c.writers {
                let Some(r) = rules.get(w as usize) else {
                    continue;
                };
                for e in &r.effects {
                    let Effect::Conclude {
                        conclusion,
                        value: Ex::Const(v),
                    } = e
                    else {
                        continue;
                    };
                    if conclusions.get(*conclusion as usize).map(|x| &x.key) != Some(&c.key) {
                        continue;
                    }
                    let pi = *by_priority.entry(r.priority).or_insert_with(|| {
                        seen.push((Vec::new(), HashMap::new()));
                        seen.len() - 1
                    });
                    let Some((by_value, index)) = seen.get_mut(pi) else {
                        continue;
                    };
                    let unrelated = |o: usize| {
                        rules.get(o).is_some_and(|other| {
                            !(r.exceptions.contains(&(o as u32)) || other.exceptions.contains(&w))
                        })
                    };
                    let first = by_value
                        .iter()
                        .filter(|(ov, _)| ov != v)
                        .find_map(|(_, os)| os.iter().copied().find(|&o| unrelated(o)));
                    if let Some(other) = first.and_then(|o| rules.get(o)) {
                        let (a, b) = (other.id.clone(), r.id.clone());
                        self.findings.push(
                            Finding::warning(
                                "W0302",
                                r.file,
                                r.span,
                                format!("rules `{a}` and `{b}` set `{}` to different values with the same priority", c.key),
                                format!("规则 `{a}` 与 `{b}` 以相同优先级将 `{}` 认定为不同的值", c.key),
                            )
                            .with_help(
                                "if both can apply to one case, add `priority N` or `exception to` to say which wins",
                                "如果两条规则可能同时适用，请用 `优先级 N` 或 `例外于` 说明哪条优先",
                            ),
                        );
                    }
                    let key = format!("{v:?}");
                    match index.get(&key).and_then(|&i| by_value.get_mut(i)) {
                        Some((_, os)) => os.push(w as usize),
                        None => {
                            index.insert(key, by_value.len());
                            by_value.push((v.clone(), vec![w as usize]));
                        }
                    }
                }
            }
        }
    }
}

fn is_builtin_type(n: &str) -> bool {
    TYPE_NAMES.iter().any(|(e, z)| *e == n || *z == n)
}

fn is_as_of(p: &str) -> bool {
    p == "as_of" || p == "基准日"
}

pub(crate) fn duration_of(d: &ast::DurationLit) -> Duration {
    match d.unit {
        ast::DurationUnit::Hours => Duration::Hours(d.amount),
        ast::DurationUnit::Days => Duration::Days(d.amount),
        ast::DurationUnit::WorkingDays => Duration::WorkingDays(d.amount),
        ast::DurationUnit::Months => Duration::Months(d.amount),
        ast::DurationUnit::Years => Duration::Years(d.amount),
    }
}

fn promote(e: Ex) -> Ex {
    match e {
        Ex::Const(Value::Int(i)) => Ex::Const(Value::Decimal(i.saturating_mul(DECIMAL_SCALE))),
        other => Ex::Arith(
            Arith::Mul,
            Box::new(other),
            Box::new(Ex::Const(Value::Decimal(DECIMAL_SCALE))),
        ),
    }
}

fn coerce(v: Value, ty: &Type) -> Value {
    match (v, ty) {
        (Value::Int(i), Type::Decimal) => Value::Decimal(i.saturating_mul(DECIMAL_SCALE)),
        (Value::Enum(b), Type::Set(_)) => Value::Set {
            bits: 1u128 << (b % 128),
            complete: true,
        },
        (v, _) => v,
    }
}

/// Calls `f` on every node of an expression.
pub fn walk(e: &Ex, f: &mut dyn FnMut(&Ex)) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        f(e);
        match e {
            Ex::Field(x, _)
            | Ex::Not(x)
            | Ex::Neg(x)
            | Ex::IsKnown(x)
            | Ex::IsEmpty(x)
            | Ex::Len(x)
            | Ex::Intersects(_, x)
            | Ex::Subset(_, x)
            | Ex::InValues(x, _) => stack.push(x),
            Ex::And(v) | Ex::Or(v) | Ex::Call(_, v) => stack.extend(v.iter()),
            Ex::Cmp(_, a, b) | Ex::Arith(_, a, b) | Ex::InSet(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            Ex::If(a, b, c) => {
                stack.push(a);
                stack.push(b);
                stack.push(c);
            }
            Ex::Quant {
                list, filter, body, ..
            } => {
                stack.push(list);
                if let Some(x) = filter {
                    stack.push(x);
                }
                if let Some(x) = body {
                    stack.push(x);
                }
            }
            Ex::Const(_)
            | Ex::Fact(_)
            | Ex::Param(_)
            | Ex::Conclusion(_)
            | Ex::AsOf
            | Ex::Local(_) => {}
        }
    }
}

/// The canonical text of a value (for params in the digest and in `assumptions`).
pub fn value_text(schema: &Schema, ty: &Type, v: &Value) -> String {
    match schema.to_json(ty, v) {
        serde_json::Value::String(s) => s,
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), |s| s.to_string()))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// A param value given by the caller: JSON of the param's type, or text (`"48 hours"`, `"a, b"`).
pub fn param_from_json(
    schema: &Schema,
    ty: &Type,
    v: &serde_json::Value,
) -> Result<Value, (String, String)> {
    use serde_json::Value as J;
    let bad = |what: &str| {
        let t = schema.type_name(ty);
        (
            format!("expected {t}, found {what}"),
            format!("应为 {t} 类型，实际为 {what}"),
        )
    };
    match (ty, v) {
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, J::String(s)) => match s.as_str() {
            "true" | "真" => Ok(Value::Bool(true)),
            "false" | "假" => Ok(Value::Bool(false)),
            _ => Err(bad(&format!("`{s}`"))),
        },
        (Type::Int, J::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .ok_or_else(|| bad(&n.to_string())),
        (Type::Int, J::String(s)) => s
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| bad(&format!("`{s}`"))),
        (Type::Decimal, J::Number(n)) => parse_decimal(&n.to_string())
            .map(Value::Decimal)
            .ok_or_else(|| bad(&n.to_string())),
        (Type::Decimal, J::String(s)) => parse_decimal(s.trim())
            .map(Value::Decimal)
            .ok_or_else(|| bad(&format!("`{s}`"))),
        (Type::Text, J::String(s)) => Ok(Value::Text(s.as_str().into())),
        (Type::Date, J::String(s)) => Date::parse(s.trim())
            .map(Value::Date)
            .map_err(|e| (e.to_string(), e.message_zh())),
        (Type::DateTime, J::String(s)) => DateTime::parse(s.trim())
            .map(|d| Value::DateTime(d.0))
            .map_err(|e| (e.to_string(), e.message_zh())),
        (Type::Duration, J::String(s)) => Duration::parse(s)
            .map(Value::Duration)
            .map_err(|e| (e.to_string(), e.message_zh())),
        (Type::Enum(id), J::String(s)) => schema
            .enum_def(*id)
            .and_then(|e| e.index(s.trim()))
            .map(Value::Enum)
            .ok_or_else(|| bad(&format!("`{s}`"))),
        (Type::Set(id), J::Array(items)) => {
            let e = schema.enum_def(*id).ok_or_else(|| bad("a list"))?;
            let mut bits = 0u128;
            for i in items {
                let s = i.as_str().ok_or_else(|| bad(&i.to_string()))?;
                let v = e.index(s).ok_or_else(|| bad(&format!("`{s}`")))?;
                bits |= 1u128 << (v % 128);
            }
            Ok(Value::Set {
                bits,
                complete: true,
            })
        }
        (Type::Set(_), J::String(s)) => {
            let items: Vec<J> = s
                .trim()
                .trim_start_matches('{')
                .trim_end_matches('}')
                .split([',', '，', '、'])
                .map(|x| x.trim())
                .filter(|x| !x.is_empty())
                .map(|x| J::String(x.to_string()))
                .collect();
            param_from_json(schema, ty, &J::Array(items))
        }
        (_, other) => Err(bad(&other.to_string())),
    }
}

/// Test data as JSON: bare names, dates and times become strings.
pub fn datum_json(d: &ast::Datum) -> serde_json::Value {
    use serde_json::Value as J;
    match &d.kind {
        ast::DatumKind::Object(entries) => {
            let mut m = serde_json::Map::new();
            for (k, v) in entries {
                m.insert(k.text.clone(), datum_json(v));
            }
            J::Object(m)
        }
        ast::DatumKind::List(items) => J::Array(items.iter().map(datum_json).collect()),
        ast::DatumKind::Text(s) | ast::DatumKind::Word(s) => J::String(s.clone()),
        ast::DatumKind::Int(i) => J::from(*i),
        ast::DatumKind::Decimal(s) => serde_json::from_str(s).unwrap_or(J::Null),
        ast::DatumKind::Bool(b) => J::Bool(*b),
    }
}
