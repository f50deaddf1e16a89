//! From text to [`File`]: split at top-level declarations, pre-scan nesting, run pest on
//! each piece, and build the AST. Never panics; every problem becomes a [`SyntaxError`].

use crate::ast::*;
use crate::error::{describe_expected, SyntaxError, SyntaxErrorKind};
use crate::{HumiaoParser, Rule};
use pest::iterators::{Pair, Pairs};
use pest::Parser;

/// Limits that keep hostile input from exhausting the stack or memory.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// Largest source file accepted, in bytes.
    pub max_source_bytes: usize,
    /// Deepest nesting of `(`, `[` and `{`.
    pub max_nesting: usize,
    /// Deepest expression tree (operators nested in operators).
    pub max_expr_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_source_bytes: 4 * 1024 * 1024,
            max_nesting: 32,
            max_expr_depth: 128,
        }
    }
}

/// Words that start a top-level declaration when they begin a line at column 0.
const DECL_WORDS: &[&str] = &[
    "policy",
    "政策",
    "import",
    "导入",
    "enum",
    "枚举",
    "record",
    "记录",
    "facts",
    "事实",
    "param",
    "参数",
    "conclusion",
    "结论",
    "let",
    "令",
    "rule",
    "规则",
    "test",
    "测试",
    "calendar",
    "日历",
    "roster",
    "名册",
    "rotation",
    "轮换",
];

/// Parses one file. Returns the declarations that parsed and every syntax error found.
pub fn parse_file(src: &str, opts: &ParseOptions) -> (File, Vec<SyntaxError>) {
    parse_pieces(src, opts, true)
}

/// [`parse_file`] with pest alone, without the direct parser (`direct.rs`): the reference the
/// tests hold the direct parser to. Same results, several times slower.
#[doc(hidden)]
pub fn parse_file_with_pest(src: &str, opts: &ParseOptions) -> (File, Vec<SyntaxError>) {
    parse_pieces(src, opts, false)
}

/// How many of a file's declaration pieces the direct parser read, and how many went to pest.
#[cfg(feature = "direct")]
#[doc(hidden)]
pub fn direct_coverage(src: &str, opts: &ParseOptions) -> (usize, usize) {
    let (mut direct, mut pest) = (0, 0);
    for (start, piece) in split_pieces(src) {
        if piece.trim().is_empty() || is_only_comments(piece) {
            continue;
        }
        match crate::direct::decl(piece, start, opts) {
            Some(_) => direct += 1,
            None => pest += 1,
        }
    }
    (direct, pest)
}

fn parse_pieces(src: &str, opts: &ParseOptions, direct: bool) -> (File, Vec<SyntaxError>) {
    let mut errors = Vec::new();
    let mut decls = Vec::new();
    if src.len() > opts.max_source_bytes {
        errors.push(SyntaxError::new(
            Span::new(0, 0),
            SyntaxErrorKind::TooLarge {
                size: src.len(),
                limit: opts.max_source_bytes,
            },
        ));
        return (File { decls }, errors);
    }
    for (start, piece) in split_pieces(src) {
        if piece.trim().is_empty() || is_only_comments(piece) {
            continue;
        }
        if let Some(err) = check_nesting(piece, start, opts.max_nesting) {
            errors.push(err);
            continue;
        }
        // The direct parser reads nearly every piece; what it does not accept (errors among
        // them) pest reads, and pest alone reports syntax errors.
        #[cfg(feature = "direct")]
        if direct {
            if let Some(decl) = crate::direct::decl(piece, start, opts) {
                decls.push(decl);
                continue;
            }
        }
        #[cfg(not(feature = "direct"))]
        let _ = direct;
        match HumiaoParser::parse(Rule::decl_piece, piece) {
            Ok(pairs) => {
                let mut b = Builder {
                    offset: start,
                    errors: &mut errors,
                    opts,
                };
                if let Some(decl) = b.piece(pairs) {
                    decls.push(decl);
                }
            }
            Err(e) => errors.push(from_pest_error(&e, piece, start)),
        }
    }
    (File { decls }, errors)
}

/// Whether a text is blank or comments only (a byte-order mark counts as blank): a piece of a
/// file that declares nothing, or a whole file that does (W0103).
pub fn is_only_comments(piece: &str) -> bool {
    piece.lines().all(|l| {
        // A byte-order mark (Windows editors write one) is blank space, as in the grammar.
        let t = l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        t.is_empty() || t.starts_with('#')
    })
}

/// Splits at lines that start (column 0) with a declaration keyword. Text before the first
/// such line joins the first piece.
fn split_pieces(src: &str) -> Vec<(usize, &str)> {
    let mut starts = vec![0usize];
    let mut pos = 0usize;
    for line in src.split_inclusive('\n') {
        if pos != 0 && starts_decl(line) {
            starts.push(pos);
        }
        pos += line.len();
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, &s) in starts.iter().enumerate() {
        let e = starts.get(i + 1).copied().unwrap_or(src.len());
        if let Some(p) = src.get(s..e) {
            out.push((s, p));
        }
    }
    out
}

fn starts_decl(line: &str) -> bool {
    // Most lines are indented, blank or comments: no declaration word starts with a blank,
    // `#` or punctuation, so those are out before the 26 words are tried.
    if line
        .as_bytes()
        .first()
        .is_none_or(|b| b.is_ascii() && !b.is_ascii_lowercase())
    {
        return false;
    }
    DECL_WORDS.iter().any(|w| {
        line.strip_prefix(w)
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| !is_ident_continue(c)))
    })
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// A cheap scan before pest runs: pest recurses once per bracket level. Every character it
/// looks at is ASCII, and no byte of a multi-byte UTF-8 character is, so it reads bytes.
fn check_nesting(piece: &str, offset: usize, max: usize) -> Option<SyntaxError> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, &c) in piece.as_bytes().iter().enumerate() {
        let c = char::from(c);
        if in_comment {
            if c == '\n' {
                in_comment = false;
            }
            continue;
        }
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '#' => in_comment = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > max {
                    return Some(SyntaxError::new(
                        Span::new(offset + i, offset + i + 1),
                        SyntaxErrorKind::TooDeep { limit: max },
                    ));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn from_pest_error(e: &pest::error::Error<Rule>, piece: &str, offset: usize) -> SyntaxError {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let expected: Vec<Rule> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let rest = piece.get(pos..).unwrap_or("");
    if let Some((at, c, ascii)) = full_width_on_line(piece, pos) {
        // The full-width mark is the mistake, wherever pest gave up on the line.
        let mut e = SyntaxError::new(
            Span::new(offset + at, offset + at + c.len_utf8()),
            SyntaxErrorKind::Unexpected {
                expected: describe_expected(&expected),
                found: Some(c.to_string()),
            },
        );
        e.hint = Some((
            format!("`{c}` is a full-width mark: write the ASCII `{ascii}` (switch the input method to English punctuation)"),
            format!("`{c}` 是全角符号，请改为半角 `{ascii}`（输入法切换为英文标点）"),
        ));
        return e;
    }
    let found = found_token(rest);
    // The span covers the token as shown, without the `…` of a cut one.
    let end = pos + found.as_ref().map_or(0, |f| f.trim_end_matches('…').len());
    let mut e = SyntaxError::new(
        Span::new(offset + pos, offset + end),
        SyntaxErrorKind::Unexpected {
            expected: describe_expected(&expected),
            found,
        },
    );
    if let Some(word) = indented_declaration(piece, pos) {
        // An indented `rule …` is read as part of the declaration above it.
        e.hint = Some((
            format!("`{word}` starts a new declaration only at the start of a line: remove the spaces before it"),
            format!("`{word}` 只有写在行首才开始新的声明：请删去前面的空格"),
        ));
    }
    e
}

/// The declaration word an indented line starts with, on the error's line or the one after it
/// (an indented `rule` makes the line above it fail to parse as often as its own).
fn indented_declaration(piece: &str, pos: usize) -> Option<&'static str> {
    let start = piece.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    let mut lines = piece.get(start..)?.split('\n');
    let this = lines.next()?;
    let next = lines.next();
    [Some(this), next].into_iter().flatten().find_map(|line| {
        let body = line.trim_start_matches([' ', '\t', '\u{3000}']);
        if body.len() == line.len() {
            return None;
        }
        DECL_WORDS.iter().copied().find(|w| {
            body.strip_prefix(w)
                .is_some_and(|rest| rest.starts_with(' '))
        })
    })
}

/// The first full-width punctuation mark on the line of `pos` (from the line's start; outside
/// quoted text and comments, where Chinese punctuation belongs): its offset, itself and the
/// ASCII mark it stands for.
fn full_width_on_line(piece: &str, pos: usize) -> Option<(usize, char, char)> {
    let start = piece.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    let line = piece.get(start..)?;
    let line = line.split('\n').next().unwrap_or(line);
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return None,
            _ if !quoted => {
                if let Some(ascii) = crate::error::ascii_of_full_width(c) {
                    return Some((start + i, c, ascii));
                }
            }
            _ => {}
        }
    }
    None
}

/// The token at an error: a word, a number, or one punctuation character; None at the end.
fn found_token(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{3000}']);
    // Skip comments so the user sees the real next token.
    let mut chars = rest.char_indices();
    let (_, first) = chars.next()?;
    if is_ident_continue(first) {
        let end = rest
            .char_indices()
            .find(|(_, c)| !is_ident_continue(*c))
            .map_or(rest.len(), |(i, _)| i);
        let word = rest.get(..end).unwrap_or(rest);
        // Long Chinese runs: show at most 12 characters, and say so when cut.
        let mut shown: String = word.chars().take(12).collect();
        if shown.len() < word.len() {
            shown.push('…');
        }
        Some(shown)
    } else {
        Some(first.to_string())
    }
}

/// Converts pest pairs to AST nodes, shifting spans by the piece's offset.
struct Builder<'e> {
    offset: usize,
    errors: &'e mut Vec<SyntaxError>,
    opts: &'e ParseOptions,
}

/// Result of converting one pair; `Err(span)` means the tree did not have the expected
/// shape (a grammar/builder mismatch), reported as an internal error, never a panic.
type B<T> = Result<T, Span>;

impl Builder<'_> {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(s.start() + self.offset, s.end() + self.offset)
    }

    fn piece(&mut self, mut pairs: Pairs<Rule>) -> Option<Decl> {
        let piece = pairs.next()?;
        let decl = piece.into_inner().find(|p| p.as_rule() != Rule::EOI)?;
        let span = self.span(&decl);
        match self.decl(decl) {
            Ok(d) => Some(d),
            Err(at) => {
                let at = if at == Span::default() { span } else { at };
                self.errors
                    .push(SyntaxError::new(at, SyntaxErrorKind::Internal));
                None
            }
        }
    }

    fn decl(&mut self, p: Pair<Rule>) -> B<Decl> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            Rule::policy_decl => Decl::Policy(self.policy(p, span)?),
            Rule::import_decl => {
                let s = self.string(first(p, span)?)?;
                Decl::Import(ImportDecl { path: s, span })
            }
            Rule::enum_decl => Decl::Enum(self.enum_decl(p, span)?),
            Rule::record_decl => {
                let mut name = None;
                let mut label = None;
                let mut fields = Vec::new();
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(&c)),
                        Rule::string => label = Some(self.string(c)?),
                        Rule::field_decl => fields.push(self.field(c)?),
                        _ => {}
                    }
                }
                Decl::Record(RecordDecl {
                    name: name.ok_or(span)?,
                    label,
                    fields,
                    span,
                })
            }
            Rule::facts_decl => {
                let mut section = None;
                let mut optional = false;
                let mut label = None;
                let mut fields = Vec::new();
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::path => section = Some(self.name(&c)),
                        Rule::kw_optional => optional = true,
                        Rule::string => label = Some(self.string(c)?),
                        Rule::field_decl => fields.push(self.field(c)?),
                        _ => {}
                    }
                }
                Decl::Facts(FactsDecl {
                    section,
                    optional,
                    label,
                    fields,
                    span,
                })
            }
            Rule::param_decl => {
                let mut it = p.into_inner().filter(|c| c.as_rule() != Rule::kw_param);
                let path = self.name(&it.next().ok_or(span)?);
                let ty = self.type_expr(it.next().ok_or(span)?)?;
                let value = self.value(it.next().ok_or(span)?)?;
                let mut annotations = Vec::new();
                for c in it {
                    annotations.push(self.annotation(c)?);
                }
                Decl::Param(ParamDecl {
                    path,
                    ty,
                    value,
                    annotations,
                    span,
                })
            }
            Rule::conclusion_decl => {
                let mut path = None;
                let mut ty = None;
                let mut collect = false;
                let mut default = None;
                let mut label = None;
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::path => path = Some(self.name(&c)),
                        Rule::type_expr => ty = Some(self.type_expr(c)?),
                        Rule::kw_collect => collect = true,
                        Rule::default_clause => default = Some(self.default_clause(c)?),
                        Rule::string => label = Some(self.string(c)?),
                        _ => {}
                    }
                }
                Decl::Conclusion(ConclusionDecl {
                    path: path.ok_or(span)?,
                    ty: ty.ok_or(span)?,
                    collect,
                    default,
                    label,
                    span,
                })
            }
            Rule::let_decl => {
                let mut name = None;
                let mut params = None;
                let mut body = None;
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(&c)),
                        Rule::let_params => {
                            let mut ps = Vec::new();
                            for lp in c.into_inner() {
                                let lspan = self.span(&lp);
                                let mut it = lp.into_inner();
                                let n = self.name(&it.next().ok_or(lspan)?);
                                let ty = self.type_expr(it.next().ok_or(lspan)?)?;
                                ps.push(LetParam { name: n, ty });
                            }
                            params = Some(ps);
                        }
                        Rule::expr => body = Some(self.expr(c)?),
                        _ => {}
                    }
                }
                Decl::Let(LetDecl {
                    name: name.ok_or(span)?,
                    params,
                    body: body.ok_or(span)?,
                    span,
                })
            }
            Rule::rule_decl => Decl::Rule(self.rule(p, span)?),
            Rule::test_decl => Decl::Test(self.test(p, span)?),
            Rule::calendar_decl => Decl::Calendar(self.calendar(p, span)?),
            Rule::roster_decl => {
                let mut name = None;
                let mut strings = Vec::new();
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(&c)),
                        Rule::string => strings.push(self.string(c)?),
                        _ => {}
                    }
                }
                let file = strings.pop().ok_or(span)?;
                Decl::Roster(RosterDecl {
                    name: name.ok_or(span)?,
                    title: strings.pop(),
                    file,
                    span,
                })
            }
            Rule::rotation_decl => Decl::Rotation(self.rotation(p, span)?),
            _ => return Err(span),
        })
    }

    fn name(&self, p: &Pair<Rule>) -> Name {
        Name {
            text: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn string(&self, p: Pair<Rule>) -> B<Str> {
        let span = self.span(&p);
        let body = p.into_inner().next().map(|b| b.as_str()).unwrap_or("");
        Ok(Str {
            value: unescape(body),
            span,
        })
    }

    fn int(&mut self, p: &Pair<Rule>) -> (i64, Span) {
        let span = self.span(p);
        match p.as_str().parse::<i64>() {
            Ok(n) => (n, span),
            Err(_) => {
                self.errors
                    .push(SyntaxError::new(span, SyntaxErrorKind::NumberTooLarge));
                (0, span)
            }
        }
    }

    fn policy(&mut self, p: Pair<Rule>, span: Span) -> B<PolicyDecl> {
        let mut name = None;
        let mut title = None;
        let mut sources = Vec::new();
        let mut effective = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.name(&c)),
                Rule::string => title = Some(self.string(c)?),
                Rule::source_clause => {
                    let cs = self.span(&c);
                    let mut text = None;
                    let mut date = None;
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::string => text = Some(self.string(x)?),
                            Rule::date_lit => date = Some(self.name(&x)),
                            _ => {}
                        }
                    }
                    sources.push(SourceRef {
                        text: text.ok_or(cs)?,
                        date,
                    });
                }
                Rule::effective_clause => effective = Some(self.effective(c)?),
                _ => {}
            }
        }
        Ok(PolicyDecl {
            name: name.ok_or(span)?,
            title,
            sources,
            effective,
            span,
        })
    }

    fn effective(&self, p: Pair<Rule>) -> B<Effective> {
        let span = self.span(&p);
        let mut dates = p.into_inner().filter(|c| c.as_rule() == Rule::date_lit);
        let from = self.name(&dates.next().ok_or(span)?);
        let until = dates.next().map(|d| self.name(&d));
        Ok(Effective { from, until, span })
    }

    fn enum_decl(&mut self, p: Pair<Rule>, span: Span) -> B<EnumDecl> {
        let mut name = None;
        let mut label = None;
        let mut variants = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.name(&c)),
                Rule::string => label = Some(self.string(c)?),
                Rule::enum_variant => {
                    let vs = self.span(&c);
                    let mut it = c.into_inner();
                    let n = self.name(&it.next().ok_or(vs)?);
                    let l = match it.next() {
                        Some(s) => Some(self.string(s)?),
                        None => None,
                    };
                    variants.push(Variant { name: n, label: l });
                }
                _ => {}
            }
        }
        Ok(EnumDecl {
            name: name.ok_or(span)?,
            label,
            variants,
            span,
        })
    }

    fn field(&mut self, p: Pair<Rule>) -> B<FieldDecl> {
        let span = self.span(&p);
        let mut path = None;
        let mut ty = None;
        let mut default = None;
        let mut annotations = Vec::new();
        let mut label = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::path => path = Some(self.name(&c)),
                Rule::type_expr => ty = Some(self.type_expr(c)?),
                Rule::default_clause => default = Some(self.default_clause(c)?),
                Rule::annotation => annotations.push(self.annotation(c)?),
                Rule::string => label = Some(self.string(c)?),
                _ => {}
            }
        }
        Ok(FieldDecl {
            path: path.ok_or(span)?,
            ty: ty.ok_or(span)?,
            default,
            annotations,
            label,
            span,
        })
    }

    fn default_clause(&mut self, p: Pair<Rule>) -> B<Expr> {
        let span = self.span(&p);
        let v = p
            .into_inner()
            .find(|c| c.as_rule() != Rule::kw_default)
            .ok_or(span)?;
        self.value(v)
    }

    /// A constant value: a set literal, a literal or a bare name.
    fn value(&mut self, p: Pair<Rule>) -> B<Expr> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::set_lit => {
                let mut items = Vec::new();
                for c in p.into_inner() {
                    items.push(self.expr(c)?);
                }
                Ok(Expr {
                    kind: ExprKind::Set(items),
                    span,
                })
            }
            Rule::literal => self.literal(p),
            Rule::ident | Rule::path => Ok(Expr {
                kind: ExprKind::Path(p.as_str().to_string()),
                span,
            }),
            _ => Err(span),
        }
    }

    fn type_expr(&self, p: Pair<Rule>) -> B<TypeExpr> {
        let span = self.span(&p);
        let mut kind = None;
        let mut optional = false;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::type_base => {
                    let inner = c.into_inner().next().ok_or(span)?;
                    kind = Some(match inner.as_rule() {
                        Rule::set_type => {
                            TypeKind::Set(self.name(&inner.into_inner().next().ok_or(span)?))
                        }
                        Rule::list_type => {
                            TypeKind::List(self.name(&inner.into_inner().next().ok_or(span)?))
                        }
                        _ => TypeKind::Named(self.name(&inner)),
                    });
                }
                Rule::opt_mark => optional = true,
                _ => {}
            }
        }
        Ok(TypeExpr {
            kind: kind.ok_or(span)?,
            optional,
            span,
        })
    }

    fn annotation(&self, p: Pair<Rule>) -> B<Annotation> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let name = self.name(&it.next().ok_or(span)?);
        let mut args = Vec::new();
        for c in it {
            let c = if c.as_rule() == Rule::ann_arg {
                c.into_inner().next().ok_or(span)?
            } else {
                c
            };
            args.push(match c.as_rule() {
                Rule::signed_number => AnnArg::Number(c.as_str().to_string(), self.span(&c)),
                Rule::string => AnnArg::Str(self.string(c)?),
                _ => AnnArg::Path(self.name(&c)),
            });
        }
        Ok(Annotation { name, args, span })
    }

    fn rule(&mut self, p: Pair<Rule>, span: Span) -> B<RuleDecl> {
        let mut r = RuleDecl {
            name: Name {
                text: String::new(),
                span,
            },
            title: None,
            cites: Vec::new(),
            effective: None,
            exceptions: Vec::new(),
            priority: None,
            when: None,
            outcomes: Vec::new(),
            span,
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => r.name = self.name(&c),
                Rule::string => r.title = Some(self.string(c)?),
                Rule::cite_clause => {
                    for s in c.into_inner().filter(|x| x.as_rule() == Rule::string) {
                        r.cites.push(self.string(s)?);
                    }
                }
                Rule::effective_clause => r.effective = Some(self.effective(c)?),
                Rule::exception_clause => {
                    for x in c.into_inner().filter(|x| x.as_rule() == Rule::path) {
                        r.exceptions.push(self.name(&x));
                    }
                }
                Rule::priority_clause => {
                    let n = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::int_lit)
                        .ok_or(span)?;
                    r.priority = Some(self.int(&n));
                }
                Rule::expr => r.when = Some(self.expr(c)?),
                Rule::conclude => {
                    let os = self.span(&c);
                    let mut it = c.into_inner().filter(|x| x.as_rule() != Rule::kw_conclude);
                    let key = self.name(&it.next().ok_or(os)?);
                    let value = self.expr(it.next().ok_or(os)?)?;
                    r.outcomes.push(Outcome::Conclude {
                        key,
                        value,
                        span: os,
                    });
                }
                Rule::add_to => {
                    let os = self.span(&c);
                    let mut it = c
                        .into_inner()
                        .filter(|x| !matches!(x.as_rule(), Rule::kw_add | Rule::kw_to));
                    let value = self.expr(it.next().ok_or(os)?)?;
                    let key = self.name(&it.next().ok_or(os)?);
                    r.outcomes.push(Outcome::Add {
                        value,
                        key,
                        span: os,
                    });
                }
                Rule::obligation => r.outcomes.push(Outcome::Oblige(self.obligation(c)?)),
                Rule::note_out => {
                    let os = self.span(&c);
                    let s = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::string)
                        .ok_or(os)?;
                    r.outcomes.push(Outcome::Note {
                        text: self.string(s)?,
                        span: os,
                    });
                }
                _ => {}
            }
        }
        Ok(r)
    }

    fn obligation(&mut self, p: Pair<Rule>) -> B<ObligationDecl> {
        let span = self.span(&p);
        let mut idents = Vec::new();
        let mut deadline = None;
        let mut with = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => idents.push(self.name(&c)),
                Rule::deadline => deadline = Some(self.deadline(c)?),
                Rule::with_clause => {
                    for x in c.into_inner().filter(|x| x.as_rule() == Rule::ident) {
                        with.push(self.name(&x));
                    }
                }
                _ => {}
            }
        }
        let mut it = idents.into_iter();
        let actor = it.next().ok_or(span)?;
        let action = it.next().ok_or(span)?;
        let party = it.next();
        Ok(ObligationDecl {
            actor,
            action,
            party,
            deadline: deadline.ok_or(span)?,
            with,
            span,
        })
    }

    fn deadline(&mut self, p: Pair<Rule>) -> B<DeadlineDecl> {
        let span = self.span(&p);
        let inner = p.into_inner().next().ok_or(span)?;
        let from_of = |b: &mut Self, pairs: Pairs<Rule>| -> B<Option<Expr>> {
            for c in pairs {
                if c.as_rule() == Rule::from_clause {
                    let cs = b.span(&c);
                    let e = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::expr)
                        .ok_or(cs)?;
                    return b.expr(e).map(Some);
                }
            }
            Ok(None)
        };
        Ok(match inner.as_rule() {
            Rule::immediately => DeadlineDecl::Immediately {
                from: from_of(self, inner.into_inner())?,
            },
            Rule::within => {
                let mut duration = None;
                let mut rest = Vec::new();
                for c in inner.into_inner() {
                    match c.as_rule() {
                        Rule::duration_lit => {
                            duration = Some(DurationOrParam::Literal(self.duration(c)?))
                        }
                        Rule::path => duration = Some(DurationOrParam::Param(self.name(&c))),
                        _ => rest.push(c),
                    }
                }
                let mut from = None;
                for c in rest {
                    if c.as_rule() == Rule::from_clause {
                        let cs = self.span(&c);
                        let e = c
                            .into_inner()
                            .find(|x| x.as_rule() == Rule::expr)
                            .ok_or(cs)?;
                        from = Some(self.expr(e)?);
                    }
                }
                DeadlineDecl::Within {
                    duration: duration.ok_or(span)?,
                    from,
                }
            }
            Rule::by_date => {
                let e = inner
                    .into_inner()
                    .find(|x| x.as_rule() == Rule::expr)
                    .ok_or(span)?;
                DeadlineDecl::By(self.expr(e)?)
            }
            _ => return Err(span),
        })
    }

    fn duration(&mut self, p: Pair<Rule>) -> B<DurationLit> {
        let span = self.span(&p);
        let mut amount = None;
        let mut unit = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::int_lit => amount = Some(self.int(&c).0),
                Rule::unit_hours => unit = Some(DurationUnit::Hours),
                Rule::unit_days => unit = Some(DurationUnit::Days),
                Rule::unit_working_days => unit = Some(DurationUnit::WorkingDays),
                Rule::unit_months => unit = Some(DurationUnit::Months),
                Rule::unit_years => unit = Some(DurationUnit::Years),
                _ => {}
            }
        }
        Ok(DurationLit {
            amount: amount.ok_or(span)?,
            unit: unit.ok_or(span)?,
            span,
        })
    }

    fn literal(&mut self, p: Pair<Rule>) -> B<Expr> {
        let span = self.span(&p);
        let inner = p.into_inner().next().ok_or(span)?;
        let kind = match inner.as_rule() {
            Rule::datetime_lit => ExprKind::DateTime(inner.as_str().to_string()),
            Rule::date_lit => ExprKind::Date(inner.as_str().to_string()),
            Rule::duration_lit => ExprKind::Duration(self.duration(inner)?),
            Rule::decimal_lit => ExprKind::Decimal(inner.as_str().to_string()),
            Rule::int_lit => ExprKind::Int(self.int(&inner).0),
            Rule::string => ExprKind::Text(self.string(inner)?.value),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            _ => return Err(span),
        };
        Ok(Expr { kind, span })
    }

    /// `expr`: an if-expression or a flat operator chain built by precedence climbing
    /// with explicit stacks (no recursion per operator).
    fn expr(&mut self, p: Pair<Rule>) -> B<Expr> {
        let span = self.span(&p);
        let p = if p.as_rule() == Rule::expr {
            p.into_inner().next().ok_or(span)?
        } else {
            p
        };
        match p.as_rule() {
            Rule::if_expr => {
                let mut it = p.into_inner().filter(|c| c.as_rule() == Rule::expr);
                let cond = self.expr(it.next().ok_or(span)?)?;
                let then = self.expr(it.next().ok_or(span)?)?;
                let els = self.expr(it.next().ok_or(span)?)?;
                let e = Expr {
                    kind: ExprKind::If {
                        cond: Box::new(cond),
                        then: Box::new(then),
                        els: Box::new(els),
                    },
                    span,
                };
                self.depth_ok(e)
            }
            Rule::binary_chain => self.chain(p, span),
            _ => Err(span),
        }
    }

    fn depth_ok(&mut self, e: Expr) -> B<Expr> {
        if depth(&e) > self.opts.max_expr_depth {
            self.errors.push(SyntaxError::new(
                e.span,
                SyntaxErrorKind::ExprTooDeep {
                    limit: self.opts.max_expr_depth,
                },
            ));
            // Keep a harmless placeholder so the declaration survives for other checks.
            return Ok(Expr {
                kind: ExprKind::Bool(false),
                span: e.span,
            });
        }
        Ok(e)
    }

    fn chain(&mut self, p: Pair<Rule>, span: Span) -> B<Expr> {
        let mut operands: Vec<Expr> = Vec::new();
        let mut ops: Vec<(Op, Span)> = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::prefixed => {
                    let mut prefixes = Vec::new();
                    let mut operand = None;
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::prefix_op => {
                                let xs = self.span(&x);
                                let k = x.into_inner().next().ok_or(xs)?;
                                prefixes.push((
                                    if k.as_rule() == Rule::neg {
                                        Op::Unary(UnaryOp::Neg)
                                    } else {
                                        Op::Unary(UnaryOp::Not)
                                    },
                                    xs,
                                ));
                            }
                            Rule::postfixed => operand = Some(self.postfixed(x)?),
                            _ => {}
                        }
                    }
                    for pre in prefixes {
                        ops.push(pre);
                    }
                    operands.push(operand.ok_or(span)?);
                }
                Rule::infix_op => {
                    let os = self.span(&c);
                    let k = c.into_inner().next().ok_or(os)?;
                    let op = match k.as_rule() {
                        Rule::kw_or => Op::Or,
                        Rule::kw_and => Op::And,
                        Rule::op_eq => Op::Bin(BinOp::Eq),
                        Rule::op_ne => Op::Bin(BinOp::Ne),
                        Rule::op_lt => Op::Bin(BinOp::Lt),
                        Rule::op_le => Op::Bin(BinOp::Le),
                        Rule::op_gt => Op::Bin(BinOp::Gt),
                        Rule::op_ge => Op::Bin(BinOp::Ge),
                        Rule::kw_in => Op::Bin(BinOp::In),
                        Rule::kw_not_in => Op::Bin(BinOp::NotIn),
                        Rule::op_add => Op::Bin(BinOp::Add),
                        Rule::op_sub => Op::Bin(BinOp::Sub),
                        Rule::op_mul => Op::Bin(BinOp::Mul),
                        Rule::op_div => Op::Bin(BinOp::Div),
                        _ => return Err(os),
                    };
                    while let Some(&(top, _)) = ops.last() {
                        if top.prec() >= op.prec() {
                            ops.pop();
                            reduce(&mut operands, top, span)?;
                        } else {
                            break;
                        }
                    }
                    ops.push((op, os));
                }
                _ => {}
            }
        }
        while let Some((top, _)) = ops.pop() {
            reduce(&mut operands, top, span)?;
        }
        let e = operands.pop().ok_or(span)?;
        if !operands.is_empty() {
            return Err(span);
        }
        self.depth_ok(e)
    }

    fn postfixed(&mut self, p: Pair<Rule>) -> B<Expr> {
        let span = self.span(&p);
        let mut e = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::primary => e = Some(self.primary(c)?),
                Rule::postfix_op => {
                    let cs = self.span(&c);
                    let k = c.into_inner().next().ok_or(cs)?;
                    let op = match k.as_rule() {
                        Rule::is_known => PostfixOp::IsKnown,
                        Rule::is_unknown | Rule::is_not_known => PostfixOp::IsUnknown,
                        Rule::is_empty => PostfixOp::IsEmpty,
                        Rule::is_not_empty | Rule::kw_not_empty => PostfixOp::IsNotEmpty,
                        _ => return Err(cs),
                    };
                    let inner = e.take().ok_or(cs)?;
                    let s = inner.span.to(cs);
                    e = Some(Expr {
                        kind: ExprKind::Postfix {
                            op,
                            expr: Box::new(inner),
                        },
                        span: s,
                    });
                }
                _ => {}
            }
        }
        e.ok_or(span)
    }

    fn primary(&mut self, p: Pair<Rule>) -> B<Expr> {
        let span = self.span(&p);
        let inner = p.into_inner().next().ok_or(span)?;
        let kind = match inner.as_rule() {
            Rule::paren => {
                let e = inner.into_inner().next().ok_or(span)?;
                let mut e = self.expr(e)?;
                e.span = span;
                // Parentheses end a chain: `(a and b) and c` stays two levels only in the tree shape.
                return Ok(e);
            }
            Rule::quantifier => {
                let mut kind = None;
                let mut var = None;
                let mut list = None;
                let mut filter = None;
                let mut body = None;
                let mut after_where = false;
                for c in inner.into_inner() {
                    match c.as_rule() {
                        Rule::quant_kw => {
                            let k = c.into_inner().next().ok_or(span)?;
                            kind = Some(match k.as_rule() {
                                Rule::kw_any => QuantKind::Any,
                                Rule::kw_all => QuantKind::All,
                                Rule::kw_count => QuantKind::Count,
                                Rule::kw_sum => QuantKind::Sum,
                                Rule::kw_min => QuantKind::Min,
                                _ => QuantKind::Max,
                            });
                        }
                        Rule::ident => var = Some(self.name(&c)),
                        Rule::path => list = Some(self.name(&c)),
                        Rule::kw_where => after_where = true,
                        Rule::expr => {
                            let e = Box::new(self.expr(c)?);
                            if after_where && filter.is_none() {
                                filter = Some(e);
                            } else {
                                body = Some(e);
                            }
                        }
                        _ => {}
                    }
                }
                ExprKind::Quant {
                    kind: kind.ok_or(span)?,
                    var: var.ok_or(span)?,
                    list: list.ok_or(span)?,
                    filter,
                    body,
                }
            }
            Rule::any_of | Rule::all_of => {
                let is_any = inner.as_rule() == Rule::any_of;
                let set = inner
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::set_lit)
                    .ok_or(span)?;
                let mut items = Vec::new();
                for c in set.into_inner() {
                    items.push(self.expr(c)?);
                }
                if is_any {
                    ExprKind::AnyOf(items)
                } else {
                    ExprKind::AllOf(items)
                }
            }
            Rule::count_call => {
                let path = inner
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::path)
                    .ok_or(span)?;
                ExprKind::Count(self.name(&path))
            }
            Rule::set_lit => {
                let mut items = Vec::new();
                for c in inner.into_inner() {
                    items.push(self.expr(c)?);
                }
                ExprKind::Set(items)
            }
            Rule::literal => return self.literal(inner),
            Rule::call => {
                let mut it = inner.into_inner();
                let name = self.name(&it.next().ok_or(span)?);
                let mut args = Vec::new();
                for c in it {
                    args.push(self.expr(c)?);
                }
                ExprKind::Call { name, args }
            }
            Rule::path => ExprKind::Path(inner.as_str().to_string()),
            _ => return Err(span),
        };
        Ok(Expr { kind, span })
    }

    fn test(&mut self, p: Pair<Rule>, span: Span) -> B<TestDecl> {
        let mut t = TestDecl {
            title: None,
            plan: None,
            items: Vec::new(),
            span,
        };
        for c in p.into_inner() {
            let cs = self.span(&c);
            match c.as_rule() {
                Rule::string => t.title = Some(self.string(c)?),
                Rule::plan_test_head => {
                    let mut idents = Vec::new();
                    let mut from = None;
                    let mut months = None;
                    let mut flags = Vec::new();
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::ident => idents.push(self.name(&x)),
                            Rule::year_month_lit => from = Some(self.name(&x)),
                            Rule::int_lit => months = Some(self.int(&x)),
                            Rule::plan_flag => {
                                let xs = self.span(&x);
                                let mut fi =
                                    x.into_inner().filter(|y| y.as_rule() != Rule::kw_flag);
                                let street = self.name(&fi.next().ok_or(xs)?);
                                let reason = self.string(fi.next().ok_or(xs)?)?;
                                flags.push((street, reason));
                            }
                            _ => {}
                        }
                    }
                    t.plan = Some(PlanTestHead {
                        rotation: idents.into_iter().next().ok_or(cs)?,
                        from: from.ok_or(cs)?,
                        months: months.ok_or(cs)?,
                        flags,
                    });
                }
                Rule::given => {
                    let d = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::data_obj)
                        .ok_or(cs)?;
                    t.items.push(TestItem::Given(self.datum(d)?));
                }
                Rule::as_of_item => {
                    let d = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::date_lit)
                        .ok_or(cs)?;
                    t.items.push(TestItem::AsOf(self.name(&d)));
                }
                Rule::test_param => {
                    let mut it = c.into_inner().filter(|x| x.as_rule() != Rule::kw_param);
                    let path = self.name(&it.next().ok_or(cs)?);
                    let value = self.value(it.next().ok_or(cs)?)?;
                    t.items.push(TestItem::Param {
                        path,
                        value,
                        span: cs,
                    });
                }
                Rule::kw_test | Rule::kw_expect => {}
                _ => {
                    let kind = self.expectation(c)?;
                    t.items
                        .push(TestItem::Expect(Expectation { kind, span: cs }));
                }
            }
        }
        Ok(t)
    }

    fn expectation(&mut self, p: Pair<Rule>) -> B<ExpectKind> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let parts: Vec<Pair<Rule>> = p.into_inner().collect();
        let names: Vec<Name> = parts
            .iter()
            .filter(|x| {
                matches!(
                    x.as_rule(),
                    Rule::ident
                        | Rule::path
                        | Rule::fact_ref
                        | Rule::year_month_lit
                        | Rule::datetime_lit
                        | Rule::date_lit
                )
            })
            .map(|x| self.name(x))
            .collect();
        let has = |r: Rule| parts.iter().any(|x| x.as_rule() == r);
        let nth = |i: usize| names.get(i).cloned().ok_or(span);
        Ok(match rule {
            Rule::expect_status => ExpectKind::Status(nth(0)?),
            Rule::expect_missing => ExpectKind::Missing {
                first: has(Rule::kw_first),
                fact: nth(0)?,
            },
            Rule::expect_fired => ExpectKind::Fired(nth(0)?),
            Rule::expect_not_fired => ExpectKind::NotFired(nth(0)?),
            Rule::expect_undecided => ExpectKind::Undecided(nth(0)?),
            Rule::expect_no_obligation => ExpectKind::NoObligation {
                action: nth(0)?,
                party: names.get(1).cloned(),
            },
            Rule::expect_obligation => {
                let with_actor = has(Rule::kw_must);
                let idents: Vec<Name> = parts
                    .iter()
                    .filter(|x| x.as_rule() == Rule::ident)
                    .map(|x| self.name(x))
                    .collect();
                let due = parts
                    .iter()
                    .find(|x| matches!(x.as_rule(), Rule::datetime_lit | Rule::date_lit))
                    .map(|x| self.name(x));
                let mut it = idents.into_iter();
                let actor = if with_actor { it.next() } else { None };
                let action = it.next().ok_or(span)?;
                ExpectKind::Obligation {
                    actor,
                    action,
                    party: it.next(),
                    due,
                }
            }
            Rule::expect_plan => {
                let inner = parts.into_iter().next().ok_or(span)?;
                match inner.as_rule() {
                    Rule::plan_every_visited => ExpectKind::EveryStreetVisitedOnce,
                    Rule::plan_no_repeat => ExpectKind::NoCommunityRepeated,
                    _ => {
                        let ns: Vec<Name> = inner
                            .into_inner()
                            .filter(|x| matches!(x.as_rule(), Rule::ident | Rule::year_month_lit))
                            .map(|x| self.name(&x))
                            .collect();
                        let mut it = ns.into_iter();
                        ExpectKind::StreetInMonth {
                            street: it.next().ok_or(span)?,
                            month: it.next().ok_or(span)?,
                        }
                    }
                }
            }
            Rule::expect_expr => {
                let e = parts
                    .into_iter()
                    .find(|x| x.as_rule() == Rule::expr)
                    .ok_or(span)?;
                ExpectKind::Expr(self.expr(e)?)
            }
            _ => return Err(span),
        })
    }

    fn datum(&mut self, p: Pair<Rule>) -> B<Datum> {
        let span = self.span(&p);
        let p = if p.as_rule() == Rule::datum {
            p.into_inner().next().ok_or(span)?
        } else {
            p
        };
        let kind = match p.as_rule() {
            Rule::data_obj => {
                let mut entries = Vec::new();
                for e in p.into_inner() {
                    let es = self.span(&e);
                    let mut it = e.into_inner();
                    let k = self.name(&it.next().ok_or(es)?);
                    let v = self.datum(it.next().ok_or(es)?)?;
                    entries.push((k, v));
                }
                DatumKind::Object(entries)
            }
            Rule::data_list => {
                let mut items = Vec::new();
                for d in p.into_inner() {
                    items.push(self.datum(d)?);
                }
                DatumKind::List(items)
            }
            Rule::string => DatumKind::Text(self.string(p)?.value),
            Rule::signed_int => match p.as_str().parse::<i64>() {
                Ok(n) => DatumKind::Int(n),
                Err(_) => {
                    self.errors
                        .push(SyntaxError::new(span, SyntaxErrorKind::NumberTooLarge));
                    DatumKind::Int(0)
                }
            },
            Rule::decimal_lit => DatumKind::Decimal(p.as_str().to_string()),
            Rule::kw_true => DatumKind::Bool(true),
            Rule::kw_false => DatumKind::Bool(false),
            _ => DatumKind::Word(p.as_str().to_string()),
        };
        Ok(Datum { kind, span })
    }

    fn calendar(&mut self, p: Pair<Rule>, span: Span) -> B<CalendarDecl> {
        let mut name = None;
        let mut title = None;
        let mut years = Vec::new();
        let mut entries = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.name(&c)),
                Rule::string => title = Some(self.string(c)?),
                Rule::int_lit => years.push(self.int(&c)),
                Rule::calendar_entry => {
                    let es = self.span(&c);
                    let mut holiday = true;
                    let mut dates = Vec::new();
                    let mut label = None;
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::kw_workday => holiday = false,
                            Rule::date_lit => dates.push(self.name(&x)),
                            Rule::string => label = Some(self.string(x)?),
                            _ => {}
                        }
                    }
                    let mut it = dates.into_iter();
                    entries.push(CalendarEntry {
                        holiday,
                        from: it.next().ok_or(es)?,
                        to: it.next(),
                        label,
                        span: es,
                    });
                }
                _ => {}
            }
        }
        let mut y = years.into_iter();
        Ok(CalendarDecl {
            name: name.ok_or(span)?,
            title,
            first_year: y.next().ok_or(span)?,
            last_year: y.next().ok_or(span)?,
            entries,
            span,
        })
    }

    fn rotation(&mut self, p: Pair<Rule>, span: Span) -> B<RotationDecl> {
        let mut r = RotationDecl {
            name: Name {
                text: String::new(),
                span,
            },
            title: None,
            cites: Vec::new(),
            over: None,
            every_month: false,
            pick_streets: None,
            pick_communities: None,
            methods: Vec::new(),
            prefer: Vec::new(),
            exclude: Vec::new(),
            exclude_reason: None,
            seed: None,
            span,
        };
        for c in p.into_inner() {
            let cs = self.span(&c);
            match c.as_rule() {
                Rule::ident => r.name = self.name(&c),
                Rule::string => r.title = Some(self.string(c)?),
                Rule::cite_clause => {
                    for s in c.into_inner().filter(|x| x.as_rule() == Rule::string) {
                        r.cites.push(self.string(s)?);
                    }
                }
                Rule::rot_over => {
                    let n = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::ident)
                        .ok_or(cs)?;
                    r.over = Some(self.name(&n));
                }
                Rule::rot_every => r.every_month = true,
                Rule::rot_pick_streets | Rule::rot_pick_communities => {
                    let streets = c.as_rule() == Rule::rot_pick_streets;
                    let n = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::int_lit)
                        .ok_or(cs)?;
                    let v = self.int(&n);
                    if streets {
                        r.pick_streets = Some(v);
                    } else {
                        r.pick_communities = Some(v);
                    }
                }
                Rule::rot_methods => {
                    for m in c.into_inner().filter(|x| x.as_rule() == Rule::rot_method) {
                        let ms = self.span(&m);
                        let mut it = m.into_inner();
                        let n = self.name(&it.next().ok_or(ms)?);
                        let l = match it.next() {
                            Some(s) => Some(self.string(s)?),
                            None => None,
                        };
                        r.methods.push((n, l));
                    }
                }
                Rule::rot_prefer => {
                    for x in c.into_inner().filter(|x| x.as_rule() == Rule::ident) {
                        r.prefer.push(self.name(&x));
                    }
                }
                Rule::rot_exclude => {
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::string => r.exclude.push(self.string(x)?),
                            Rule::ident => r.exclude.push(Str {
                                value: x.as_str().to_string(),
                                span: self.span(&x),
                            }),
                            Rule::string_reason => {
                                let s = x.into_inner().next().ok_or(cs)?;
                                r.exclude_reason = Some(self.string(s)?);
                            }
                            _ => {}
                        }
                    }
                }
                Rule::rot_seed => {
                    let n = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::int_lit)
                        .ok_or(cs)?;
                    r.seed = Some(self.int(&n));
                }
                _ => {}
            }
        }
        Ok(r)
    }
}

fn first(p: Pair<Rule>, span: Span) -> B<Pair<Rule>> {
    p.into_inner()
        .find(|c| c.as_rule() == Rule::string)
        .ok_or(span)
}

pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) enum Op {
    Or,
    And,
    Unary(UnaryOp),
    Bin(BinOp),
}

impl Op {
    /// Binding strength: `or` < `and` < `not` < comparison < `+ -` < `* /` < unary minus.
    pub(crate) fn prec(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Unary(UnaryOp::Not) => 3,
            Op::Bin(
                BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::In
                | BinOp::NotIn,
            ) => 4,
            Op::Bin(BinOp::Add | BinOp::Sub) => 5,
            Op::Bin(BinOp::Mul | BinOp::Div) => 6,
            Op::Unary(UnaryOp::Neg) => 7,
        }
    }
}

pub(crate) fn reduce(operands: &mut Vec<Expr>, op: Op, span: Span) -> B<()> {
    match op {
        Op::Unary(u) => {
            let e = operands.pop().ok_or(span)?;
            let s = e.span;
            operands.push(Expr {
                kind: ExprKind::Unary {
                    op: u,
                    expr: Box::new(e),
                },
                span: s,
            });
        }
        Op::And | Op::Or => {
            let rhs = operands.pop().ok_or(span)?;
            let lhs = operands.pop().ok_or(span)?;
            let s = lhs.span.to(rhs.span);
            let is_and = op == Op::And;
            let mut items = match lhs.kind {
                // `and`/`or` are associative, so a left chain (even parenthesised) is merged.
                ExprKind::And(v) if is_and => v,
                ExprKind::Or(v) if !is_and => v,
                k => vec![Expr {
                    kind: k,
                    span: lhs.span,
                }],
            };
            items.push(rhs);
            operands.push(Expr {
                kind: if is_and {
                    ExprKind::And(items)
                } else {
                    ExprKind::Or(items)
                },
                span: s,
            });
        }
        Op::Bin(b) => {
            let rhs = operands.pop().ok_or(span)?;
            let lhs = operands.pop().ok_or(span)?;
            let s = lhs.span.to(rhs.span);
            operands.push(Expr {
                kind: ExprKind::Binary {
                    op: b,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span: s,
            });
        }
    }
    Ok(())
}

/// Depth of an expression tree, computed without deep recursion on the flat lists.
pub fn depth(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        for c in children(e) {
            stack.push((c, d + 1));
        }
    }
    max
}

/// The direct sub-expressions of an expression.
pub fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Set(v)
        | ExprKind::And(v)
        | ExprKind::Or(v)
        | ExprKind::AnyOf(v)
        | ExprKind::AllOf(v) => v.iter().collect(),
        ExprKind::Call { args, .. } => args.iter().collect(),
        ExprKind::Unary { expr, .. } | ExprKind::Postfix { expr, .. } => vec![expr],
        ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
        ExprKind::If { cond, then, els } => vec![cond, then, els],
        ExprKind::Quant { filter, body, .. } => {
            filter.iter().chain(body.iter()).map(|b| &**b).collect()
        }
        _ => Vec::new(),
    }
}
