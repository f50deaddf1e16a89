//! The direct parser: one declaration piece straight to its AST, without pest.
//!
//! pest stays the definition of the language (`humiao.pest`) and the only source of syntax
//! errors. This module is a transliteration of the grammar for the declarations a policy set
//! is made of, used first on every piece: when it accepts a piece, the declaration it returns is
//! the one pest and the builder in `parse.rs` would have produced, byte for byte and span for
//! span; when it does not (a syntax error, a declaration it does not cover, a number too large,
//! an expression too deep, …) it gives up and the piece goes through pest as before, so every
//! diagnostic comes from the same place as always. Giving up is always safe; accepting something
//! pest would read differently is the one thing it must never do, and
//! `grammar/tests/direct.rs` holds the two to the same trees on the bundled set, the samples,
//! the fuzz corpora and mutations of them.
//!
//! Each grammar rule has a method here that mirrors pest's generated code, including where
//! pest skips blanks and comments: between the elements of a sequence always (so a rule whose
//! last element is an absent optional ends after the blanks that follow it, as in pest), before
//! each further item of a repetition only when that item matches. An ordered choice takes the
//! first alternative that matches; a keyword commits to the first of its spellings that is a
//! prefix of the input and then needs `word_end`.
//!
//! Why: pest spends several hundred instructions a byte on this grammar (a boxed state moved
//! through every call, a stack probe on every rule, sequence and repetition, `memcmp` for every
//! literal and 46 literals tried before every identifier); compiling the bundled set was four
//! fifths parsing.

use crate::ast::*;
use crate::parse::{depth, reduce, unescape, Op, ParseOptions};

/// Deepest nesting of expressions (and data) this parser recurses into before giving up and
/// leaving the piece to pest. Brackets are already bounded by the pre-scan (32 by default);
/// this also bounds `if … then if … then …`, which has none.
const MAX_RECURSION: usize = 96;

/// Parses one declaration piece (as split by `parse.rs`), or gives up.
pub(crate) fn decl(piece: &str, offset: usize, opts: &ParseOptions) -> Option<Decl> {
    let mut p = P {
        s: piece,
        pos: 0,
        off: offset,
        opts,
        level: 0,
        bail: false,
    };
    // decl_piece = { SOI ~ decl ~ EOI }
    p.skip();
    let d = p.decl();
    if p.bail {
        return None;
    }
    let d = d?;
    p.skip();
    (p.pos == piece.len()).then_some(d)
}

// ---------------------------------------------------------------- keywords (humiao.pest)

const KW_POLICY: &[&str] = &["policy", "政策"];
const KW_SOURCE: &[&str] = &["source", "来源"];
const KW_EFFECTIVE: &[&str] = &["effective", "生效"];
const KW_UNTIL: &[&str] = &["until", "截至"];
const KW_IMPORT: &[&str] = &["import", "导入"];
const KW_ENUM: &[&str] = &["enum", "枚举"];
const KW_RECORD: &[&str] = &["record", "记录"];
const KW_FACTS: &[&str] = &["facts", "事实"];
const KW_OPTIONAL: &[&str] = &["optional", "可选"];
const KW_PARAM: &[&str] = &["param", "参数"];
const KW_CONCLUSION: &[&str] = &["conclusion", "结论"];
const KW_COLLECT: &[&str] = &["collect", "汇集"];
const KW_DEFAULT: &[&str] = &["default", "默认"];
const KW_LET: &[&str] = &["let", "令"];
const KW_RULE: &[&str] = &["rule", "规则"];
const KW_CITE: &[&str] = &["cite", "依据"];
const KW_EXCEPTION: &[&str] = &["exception", "例外于"];
const KW_TO: &[&str] = &["to", "向", "到"];
const KW_PRIORITY: &[&str] = &["priority", "优先级"];
const KW_WHEN: &[&str] = &["when", "当"];
const KW_THEN: &[&str] = &["then", "则"];
const KW_CONCLUDE: &[&str] = &["conclude", "认定"];
const KW_ADD: &[&str] = &["add", "加入"];
const KW_MUST: &[&str] = &["must", "须"];
const KW_IMMEDIATELY: &[&str] = &["immediately", "立即"];
const KW_WITHIN: &[&str] = &["within", "限"];
const KW_FROM: &[&str] = &["from", "自"];
const KW_BY: &[&str] = &["by", "不迟于"];
const KW_WITH: &[&str] = &["with", "会同"];
const KW_NOTE: &[&str] = &["note", "备注"];
const KW_AND: &[&str] = &["and", "并且", "且"];
const KW_OR: &[&str] = &["or", "或"];
const KW_NOT: &[&str] = &["not", "非"];
const KW_IN: &[&str] = &["in", "属于"];
const KW_IS: &[&str] = &["is", "是"];
const KW_KNOWN: &[&str] = &["known", "已知"];
const KW_UNKNOWN: &[&str] = &["unknown", "未知"];
const KW_EMPTY: &[&str] = &["empty", "为空"];
const KW_NOT_EMPTY: &[&str] = &["非空"];
const KW_IF: &[&str] = &["if", "若"];
const KW_ELSE: &[&str] = &["else", "否则"];
const KW_ANY: &[&str] = &["any", "任一"];
const KW_ALL: &[&str] = &["all", "所有"];
const KW_COUNT: &[&str] = &["count", "计数"];
const KW_SUM: &[&str] = &["sum", "求和"];
const KW_MIN: &[&str] = &["min", "最小"];
const KW_MAX: &[&str] = &["max", "最大"];
const KW_WHERE: &[&str] = &["where", "满足"];
const KW_TRUE: &[&str] = &["true", "真"];
const KW_FALSE: &[&str] = &["false", "假"];
const KW_TEST: &[&str] = &["test", "测试"];
const KW_GIVEN: &[&str] = &["given", "给定"];
const KW_AS_OF: &[&str] = &["as_of", "基准日"];
const KW_EXPECT: &[&str] = &["expect", "预期"];
const KW_FIRED: &[&str] = &["fired", "触发"];
const KW_NO: &[&str] = &["no", "无"];
const KW_DUE: &[&str] = &["due", "到期"];
const KW_STATUS: &[&str] = &["status", "状态"];
const KW_MISSING: &[&str] = &["missing", "缺少"];
const KW_FIRST: &[&str] = &["first", "首先"];
const KW_UNDECIDED: &[&str] = &["undecided", "待定"];
const KW_CALENDAR: &[&str] = &["calendar", "日历"];
const KW_COVERS: &[&str] = &["covers", "覆盖"];
const KW_HOLIDAY: &[&str] = &["holiday", "假日"];
const KW_WORKDAY: &[&str] = &["workday", "补班"];
const KW_ROSTER: &[&str] = &["roster", "名册"];
const KW_PLAN: &[&str] = &["plan", "计划"];
const KW_EVERY: &[&str] = &["every", "每"];
const KW_STREET_WORD: &[&str] = &["streets", "street", "街道"];
const KW_COMMUNITY_WORD: &[&str] = &["communities", "community", "社区"];
const KW_VISITED: &[&str] = &["visited", "走访"];
const KW_ONCE: &[&str] = &["once", "一次"];
const KW_REPEATED: &[&str] = &["repeated", "重复"];
const KW_MONTH_OF: &[&str] = &["month", "月份", "月"];

/// `reserved`, in the grammar's order.
const RESERVED: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "then",
    "else",
    "when",
    "true",
    "false",
    "any",
    "all",
    "where",
    "must",
    "conclude",
    "add",
    "immediately",
    "within",
    "且",
    "并且",
    "或",
    "非",
    "属于",
    "不属于",
    "若",
    "则",
    "否则",
    "当",
    "真",
    "假",
    "任一",
    "所有",
    "满足",
    "须",
    "认定",
    "加入",
    "立即",
    "限",
    "已知",
    "未知",
    "为空",
    "非空",
];

/// `rest` starts with `w`: a byte loop (the words are short; `str::starts_with` calls
/// `memcmp` for each, which was the largest single cost of this parser).
fn starts(rest: &str, w: &str) -> bool {
    let (r, w) = (rest.as_bytes(), w.as_bytes());
    r.len() >= w.len() && r.iter().zip(w).all(|(a, b)| a == b)
}

/// `WHITESPACE`
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{3000}' | '\u{FEFF}')
}

/// pest's `XID_START`.
fn xid_start(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        pest::unicode::XID_START(c)
    }
}

/// pest's `XID_CONTINUE`.
fn xid_continue(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        pest::unicode::XID_CONTINUE(c)
    }
}

/// A declaration's parts, as the builder reads them from pest's pairs.
type Pos = (usize, usize);

struct P<'a> {
    s: &'a str,
    pos: usize,
    off: usize,
    opts: &'a ParseOptions,
    /// Current recursion through expressions and data.
    level: usize,
    /// Set when this parser gives up on the piece (not a failure of the grammar: the piece
    /// goes to pest). Every primitive fails from then on, so the parse unwinds at once.
    bail: bool,
}

impl<'a> P<'a> {
    // ------------------------------------------------------------ primitives

    fn give_up<T>(&mut self) -> Option<T> {
        self.bail = true;
        None
    }

    fn rest(&self) -> &'a str {
        if self.bail {
            return "";
        }
        self.s.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn text(&self, (a, b): Pos) -> &'a str {
        self.s.get(a..b).unwrap_or("")
    }

    fn span(&self, (a, b): Pos) -> Span {
        Span::new(a + self.off, b + self.off)
    }

    fn name(&self, at: Pos) -> Name {
        Name {
            text: self.text(at).to_string(),
            span: self.span(at),
        }
    }

    /// Runs `f`; on failure puts the position back.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.pos;
        let r = f(self);
        if r.is_none() {
            self.pos = save;
        }
        r
    }

    /// `x*` in a non-atomic rule: the first `x` as is, each further one after a skip.
    fn rep(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) {
        if self.attempt(&mut f).is_none() {
            return;
        }
        loop {
            let save = self.pos;
            self.skip();
            if f(self).is_none() {
                self.pos = save;
                return;
            }
        }
    }

    /// The implicit `(WHITESPACE | COMMENT)*` between the tokens of a non-atomic rule.
    fn skip(&mut self) {
        loop {
            match self.peek() {
                Some(c) if is_blank(c) => self.pos += c.len_utf8(),
                Some('#') => {
                    self.pos += 1;
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += c.len_utf8();
                    }
                }
                _ => return,
            }
        }
    }

    /// A literal string.
    fn lit(&mut self, t: &str) -> bool {
        if starts(self.rest(), t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    /// `word_end = _{ !XID_CONTINUE }`
    fn word_end(&self) -> bool {
        self.peek().is_none_or(|c| !xid_continue(c))
    }

    /// `kw_x = @{ ("a" | "b") ~ word_end }`: the first spelling that is a prefix, then the
    /// word's end (no second spelling is tried when the end is missing).
    fn kw(&mut self, spellings: &[&str]) -> Option<Pos> {
        let start = self.pos;
        let rest = self.rest();
        let w = spellings.iter().find(|w| starts(rest, w))?;
        self.pos += w.len();
        if self.word_end() {
            Some((start, self.pos))
        } else {
            self.pos = start;
            None
        }
    }

    /// `WHITESPACE+` inside an atomic rule.
    fn blanks(&mut self) -> bool {
        let start = self.pos;
        while let Some(c) = self.peek().filter(|c| is_blank(*c)) {
            self.pos += c.len_utf8();
        }
        self.pos > start
    }

    /// `kw_not_in = @{ (("not" ~ WHITESPACE+ ~ "in") | "不属于") ~ word_end }`
    fn kw_not_in(&mut self) -> Option<Pos> {
        let start = self.pos;
        let matched = self
            .attempt(|p| (p.lit("not") && p.blanks() && p.lit("in")).then_some(()))
            .is_some()
            || self.lit("不属于");
        if matched && self.word_end() {
            Some((start, self.pos))
        } else {
            self.pos = start;
            None
        }
    }

    /// `!reserved`: the first reserved word that is a prefix here, followed by `word_end`.
    fn reserved(&self) -> bool {
        let rest = self.rest();
        match rest.as_bytes().first() {
            Some(b) if b.is_ascii() && !b"aceifmnotw".contains(b) => return false,
            None => return false,
            _ => {}
        }
        match RESERVED.iter().find(|w| starts(rest, w)) {
            Some(w) => rest
                .get(w.len()..)
                .and_then(|r| r.chars().next())
                .is_none_or(|c| !xid_continue(c)),
            None => false,
        }
    }

    /// `ident = @{ !reserved ~ (XID_START | "_") ~ ident_char* }`
    fn ident(&mut self) -> Option<Pos> {
        if self.reserved() {
            return None;
        }
        let start = self.pos;
        let c = self.peek().filter(|c| xid_start(*c) || *c == '_')?;
        self.pos += c.len_utf8();
        while let Some(c) = self.peek().filter(|c| xid_continue(*c)) {
            self.pos += c.len_utf8();
        }
        Some((start, self.pos))
    }

    /// `path = @{ ident ~ ("." ~ ident)* }`
    fn path(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.ident()?;
        while self
            .attempt(|p| {
                p.lit(".").then_some(())?;
                p.ident()
            })
            .is_some()
        {}
        Some((start, self.pos))
    }

    /// `string = ${ "\"" ~ string_body ~ "\"" }`
    fn string(&mut self) -> Option<Str> {
        let start = self.pos;
        if !self.lit("\"") {
            return None;
        }
        let body = self.pos;
        loop {
            match self.peek() {
                None | Some('"') | Some('\n') => break,
                Some('\\') => {
                    let next = self.rest().as_bytes().get(1).copied();
                    if matches!(next, Some(b'"' | b'\\' | b'n' | b't')) {
                        self.pos += 2;
                    } else {
                        break;
                    }
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let body = (body, self.pos);
        if !self.lit("\"") {
            self.pos = start;
            return None;
        }
        Some(Str {
            value: unescape(self.text(body)),
            span: self.span((start, self.pos)),
        })
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> bool {
        let ok = self
            .rest()
            .as_bytes()
            .get(..n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        if ok {
            self.pos += n;
        }
        ok
    }

    /// `ASCII_DIGIT+`
    fn digits1(&mut self) -> bool {
        let n = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        self.pos += n;
        n > 0
    }

    fn next_is_digit(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_digit)
    }

    /// `int_lit = @{ ASCII_DIGIT+ }`
    fn int_lit(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.digits1().then_some((start, self.pos))
    }

    /// The builder's `int`: a number too large is its error, so this parser gives up.
    fn int_value(&mut self, at: Pos) -> Option<(i64, Span)> {
        match self.text(at).parse::<i64>() {
            Ok(n) => Some((n, self.span(at))),
            Err(_) => self.give_up(),
        }
    }

    /// `decimal_lit = @{ ASCII_DIGIT+ ~ "." ~ ASCII_DIGIT+ }`
    fn decimal_lit(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.attempt(|p| (p.digits1() && p.lit(".") && p.digits1()).then_some((start, p.pos)))
    }

    fn date_head(&mut self) -> bool {
        self.digits(4) && self.lit("-") && self.digits(2) && self.lit("-") && self.digits(2)
    }

    /// `date_lit = @{ ASCII_DIGIT{4} ~ "-" ~ ASCII_DIGIT{2} ~ "-" ~ ASCII_DIGIT{2} ~ !("T" | ASCII_DIGIT) }`
    fn date_lit(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.attempt(|p| {
            (p.date_head() && !p.rest().starts_with('T') && !p.next_is_digit())
                .then_some((start, p.pos))
        })
    }

    /// `datetime_lit`: a date, `T`, hours and minutes, optional seconds and offset.
    fn datetime_lit(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.attempt(|p| {
            if !(p.date_head() && p.lit("T") && p.digits(2) && p.lit(":") && p.digits(2)) {
                return None;
            }
            p.attempt(|p| (p.lit(":") && p.digits(2)).then_some(()));
            if !p.lit("Z") {
                p.attempt(|p| {
                    ((p.lit("+") || p.lit("-")) && p.digits(2) && p.lit(":") && p.digits(2))
                        .then_some(())
                });
            }
            Some((start, p.pos))
        })
    }

    /// `year_month_lit = @{ ASCII_DIGIT{4} ~ "-" ~ ASCII_DIGIT{2} ~ !("-" | ASCII_DIGIT) }`
    fn year_month_lit(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.attempt(|p| {
            (p.digits(4)
                && p.lit("-")
                && p.digits(2)
                && !p.rest().starts_with('-')
                && !p.next_is_digit())
            .then_some((start, p.pos))
        })
    }

    /// `signed_int = @{ "-"? ~ ASCII_DIGIT+ }`
    fn signed_int(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.attempt(|p| {
            p.lit("-");
            p.digits1().then_some((start, p.pos))
        })
    }

    /// `"word" ~ word_end` as one alternative of a unit.
    fn word(&mut self, w: &str) -> bool {
        self.attempt(|p| (p.lit(w) && p.word_end()).then_some(()))
            .is_some()
    }

    /// `duration_unit`
    fn duration_unit(&mut self) -> Option<DurationUnit> {
        if self.word("hours") || self.word("hour") || self.lit("小时") {
            return Some(DurationUnit::Hours);
        }
        let working = self
            .attempt(|p| {
                if !(p.lit("working") && p.blanks()) {
                    return None;
                }
                let w = ["days", "day"].into_iter().find(|w| starts(p.rest(), w))?;
                (p.lit(w) && p.word_end()).then_some(())
            })
            .is_some();
        if working || self.lit("个工作日") || self.lit("工作日") {
            return Some(DurationUnit::WorkingDays);
        }
        if self.word("days") || self.word("day") || self.lit("天") || self.lit("日") {
            return Some(DurationUnit::Days);
        }
        if self.word("months") || self.word("month") || self.lit("个月") {
            return Some(DurationUnit::Months);
        }
        if self.word("years") || self.word("year") || self.lit("年") {
            return Some(DurationUnit::Years);
        }
        None
    }

    /// `duration_lit = ${ int_lit ~ " "* ~ duration_unit }`
    fn duration_lit(&mut self) -> Option<DurationLit> {
        let start = self.pos;
        let (amount, unit) = self.attempt(|p| {
            let n = p.int_lit()?;
            while p.lit(" ") {}
            let unit = p.duration_unit()?;
            Some((n, unit))
        })?;
        let (amount, _) = self.int_value(amount)?;
        Some(DurationLit {
            amount,
            unit,
            span: self.span((start, self.pos)),
        })
    }

    // ------------------------------------------------------------ expressions

    /// `expr = { if_expr | binary_chain }`
    fn expr(&mut self) -> Option<Expr> {
        self.level += 1;
        if self.level > MAX_RECURSION {
            return self.give_up();
        }
        let start = self.pos;
        let e = match self.attempt(|p| p.if_expr(start)) {
            Some(e) => Some(e),
            None => self.attempt(|p| p.chain()),
        };
        self.level -= 1;
        e
    }

    /// The builder's `depth_ok`: an expression too deep is its error, so give up.
    fn depth_ok(&mut self, e: Expr) -> Option<Expr> {
        if depth(&e) > self.opts.max_expr_depth {
            return self.give_up();
        }
        Some(e)
    }

    /// `if_expr = { kw_if ~ expr ~ kw_then ~ expr ~ kw_else ~ expr }`
    fn if_expr(&mut self, start: usize) -> Option<Expr> {
        self.kw(KW_IF)?;
        self.skip();
        let cond = self.expr()?;
        self.skip();
        self.kw(KW_THEN)?;
        self.skip();
        let then = self.expr()?;
        self.skip();
        self.kw(KW_ELSE)?;
        self.skip();
        let els = self.expr()?;
        let e = Expr {
            kind: ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                els: Box::new(els),
            },
            span: self.span((start, self.pos)),
        };
        self.depth_ok(e)
    }

    /// `binary_chain = { prefixed ~ (infix_op ~ prefixed)* }`, built as the builder's `chain`.
    fn chain(&mut self) -> Option<Expr> {
        let mut operands: Vec<Expr> = Vec::new();
        let mut ops: Vec<Op> = Vec::new();
        let (prefixes, operand) = self.prefixed()?;
        ops.extend(prefixes);
        operands.push(operand);
        self.skip();
        let mut infix = |p: &mut Self| {
            let op = p.infix_op()?;
            p.skip();
            let (prefixes, operand) = p.prefixed()?;
            while let Some(&top) = ops.last() {
                if top.prec() >= op.prec() {
                    ops.pop();
                    if reduce(&mut operands, top, Span::default()).is_err() {
                        return p.give_up();
                    }
                } else {
                    break;
                }
            }
            ops.push(op);
            ops.extend(prefixes);
            operands.push(operand);
            Some(())
        };
        self.rep(&mut infix);
        while let Some(top) = ops.pop() {
            if reduce(&mut operands, top, Span::default()).is_err() {
                return self.give_up();
            }
        }
        let e = operands.pop()?;
        if !operands.is_empty() {
            return self.give_up();
        }
        self.depth_ok(e)
    }

    /// `prefixed = { prefix_op* ~ postfixed }`; `prefix_op = { kw_not | neg }`
    fn prefixed(&mut self) -> Option<(Vec<Op>, Expr)> {
        let mut prefixes = Vec::new();
        self.rep(|p| {
            if p.kw(KW_NOT).is_some() {
                prefixes.push(Op::Unary(UnaryOp::Not));
            } else if p.lit("-") {
                prefixes.push(Op::Unary(UnaryOp::Neg));
            } else {
                return None;
            }
            Some(())
        });
        self.skip();
        let e = self.postfixed()?;
        Some((prefixes, e))
    }

    /// `postfixed = { primary ~ postfix_op* }`
    fn postfixed(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        self.skip();
        self.rep(|p| {
            let start = p.pos;
            let op = p.postfix_op()?;
            let cs = p.span((start, p.pos));
            let inner = std::mem::replace(
                &mut e,
                Expr {
                    kind: ExprKind::Bool(false),
                    span: Span::default(),
                },
            );
            let s = inner.span.to(cs);
            e = Expr {
                kind: ExprKind::Postfix {
                    op,
                    expr: Box::new(inner),
                },
                span: s,
            };
            Some(())
        });
        Some(e)
    }

    /// `postfix_op = { is_not_known | is_known | is_unknown | is_not_empty | is_empty | kw_not_empty }`
    fn postfix_op(&mut self) -> Option<PostfixOp> {
        let is_not = |p: &mut Self, word: &[&str]| {
            p.attempt(|p| {
                p.kw(KW_IS)?;
                p.skip();
                p.kw(KW_NOT)?;
                p.skip();
                p.kw(word)
            })
        };
        let is_or_bare = |p: &mut Self, word: &[&str]| {
            p.attempt(|p| {
                p.kw(KW_IS)?;
                p.skip();
                p.kw(word)
            })
            .or_else(|| p.kw(word))
        };
        if is_not(self, KW_KNOWN).is_some() {
            Some(PostfixOp::IsUnknown)
        } else if is_or_bare(self, KW_KNOWN).is_some() {
            Some(PostfixOp::IsKnown)
        } else if is_or_bare(self, KW_UNKNOWN).is_some() {
            Some(PostfixOp::IsUnknown)
        } else if is_not(self, KW_EMPTY).is_some() {
            Some(PostfixOp::IsNotEmpty)
        } else if is_or_bare(self, KW_EMPTY).is_some() {
            Some(PostfixOp::IsEmpty)
        } else if self.kw(KW_NOT_EMPTY).is_some() {
            Some(PostfixOp::IsNotEmpty)
        } else {
            None
        }
    }

    /// `infix_op`, in the grammar's order.
    fn infix_op(&mut self) -> Option<Op> {
        if self.kw(KW_OR).is_some() {
            return Some(Op::Or);
        }
        if self.kw(KW_AND).is_some() {
            return Some(Op::And);
        }
        for (t, op) in [
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("!=", BinOp::Ne),
            ("==", BinOp::Eq),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ] {
            if self.lit(t) {
                return Some(Op::Bin(op));
            }
        }
        if self.kw_not_in().is_some() {
            return Some(Op::Bin(BinOp::NotIn));
        }
        if self.kw(KW_IN).is_some() {
            return Some(Op::Bin(BinOp::In));
        }
        for (t, op) in [
            ("+", BinOp::Add),
            ("-", BinOp::Sub),
            ("*", BinOp::Mul),
            ("/", BinOp::Div),
        ] {
            if self.lit(t) {
                return Some(Op::Bin(op));
            }
        }
        None
    }

    /// `primary = { paren | quantifier | any_of | all_of | count_call | set_lit | literal | call | path }`
    fn primary(&mut self) -> Option<Expr> {
        let start = self.pos;
        if let Some(mut e) = self.attempt(|p| {
            p.lit("(").then_some(())?;
            p.skip();
            let e = p.expr()?;
            p.skip();
            p.lit(")").then_some(e)
        }) {
            e.span = self.span((start, self.pos));
            return Some(e);
        }
        let kind = if let Some(k) = self.attempt(|p| p.quantifier()) {
            k
        } else if let Some(items) = self.attempt(|p| {
            p.kw(KW_ANY)?;
            p.skip();
            p.set_lit()
        }) {
            ExprKind::AnyOf(items)
        } else if let Some(items) = self.attempt(|p| {
            p.kw(KW_ALL)?;
            p.skip();
            p.set_lit()
        }) {
            ExprKind::AllOf(items)
        } else if let Some(path) = self.attempt(|p| {
            p.kw(KW_COUNT)?;
            p.skip();
            p.lit("(").then_some(())?;
            p.skip();
            let path = p.path()?;
            p.skip();
            p.lit(")").then_some(path)
        }) {
            ExprKind::Count(self.name(path))
        } else if let Some(items) = self.attempt(|p| p.set_lit()) {
            ExprKind::Set(items)
        } else if let Some(e) = self.literal() {
            return Some(e);
        } else if let Some((name, args)) = self.attempt(|p| {
            let name = p.ident()?;
            p.skip();
            p.lit("(").then_some(())?;
            p.skip();
            let args = p.expr_list().unwrap_or_default();
            p.skip();
            p.lit(")").then_some((name, args))
        }) {
            ExprKind::Call {
                name: self.name(name),
                args,
            }
        } else if let Some(path) = self.path() {
            ExprKind::Path(self.text(path).to_string())
        } else {
            return None;
        };
        Some(Expr {
            kind,
            span: self.span((start, self.pos)),
        })
    }

    /// `expr ~ ("," ~ expr)*` (the arguments of a call), or nothing.
    fn expr_list(&mut self) -> Option<Vec<Expr>> {
        self.attempt(|p| {
            let mut items = vec![p.expr()?];
            p.skip();
            p.rep(|p| {
                p.lit(",").then_some(())?;
                p.skip();
                items.push(p.expr()?);
                Some(())
            });
            Some(items)
        })
    }

    /// `set_lit = { "{" ~ (expr ~ ("," ~ expr)* ~ ","?)? ~ "}" }`
    fn set_lit(&mut self) -> Option<Vec<Expr>> {
        self.lit("{").then_some(())?;
        self.skip();
        let items = self
            .attempt(|p| {
                let items = p.expr_list()?;
                p.skip();
                p.lit(",");
                Some(items)
            })
            .unwrap_or_default();
        self.skip();
        self.lit("}").then_some(items)
    }

    /// `quantifier = { quant_kw ~ ident ~ kw_in ~ path ~ (kw_where ~ expr)? ~ (":" ~ expr)? }`
    fn quantifier(&mut self) -> Option<ExprKind> {
        let kind = if self.kw(KW_ANY).is_some() {
            QuantKind::Any
        } else if self.kw(KW_ALL).is_some() {
            QuantKind::All
        } else if self.kw(KW_COUNT).is_some() {
            QuantKind::Count
        } else if self.kw(KW_SUM).is_some() {
            QuantKind::Sum
        } else if self.kw(KW_MIN).is_some() {
            QuantKind::Min
        } else if self.kw(KW_MAX).is_some() {
            QuantKind::Max
        } else {
            return None;
        };
        self.skip();
        let var = self.ident()?;
        self.skip();
        self.kw(KW_IN)?;
        self.skip();
        let list = self.path()?;
        self.skip();
        let filter = self.attempt(|p| {
            p.kw(KW_WHERE)?;
            p.skip();
            p.expr()
        });
        self.skip();
        let body = self.attempt(|p| {
            p.lit(":").then_some(())?;
            p.skip();
            p.expr()
        });
        Some(ExprKind::Quant {
            kind,
            var: self.name(var),
            list: self.name(list),
            filter: filter.map(Box::new),
            body: body.map(Box::new),
        })
    }

    /// `literal = { datetime_lit | date_lit | duration_lit | decimal_lit | int_lit | string | kw_true | kw_false }`
    fn literal(&mut self) -> Option<Expr> {
        let start = self.pos;
        let kind = if let Some(at) = self.datetime_lit() {
            ExprKind::DateTime(self.text(at).to_string())
        } else if let Some(at) = self.date_lit() {
            ExprKind::Date(self.text(at).to_string())
        } else if let Some(d) = self.duration_lit() {
            ExprKind::Duration(d)
        } else if let Some(at) = self.decimal_lit() {
            ExprKind::Decimal(self.text(at).to_string())
        } else if let Some(at) = self.int_lit() {
            ExprKind::Int(self.int_value(at)?.0)
        } else if let Some(s) = self.string() {
            ExprKind::Text(s.value)
        } else if self.kw(KW_TRUE).is_some() {
            ExprKind::Bool(true)
        } else if self.kw(KW_FALSE).is_some() {
            ExprKind::Bool(false)
        } else {
            return None;
        };
        Some(Expr {
            kind,
            span: self.span((start, self.pos)),
        })
    }

    /// `(set_lit | literal | ident)`: the builder's `value`.
    fn value(&mut self) -> Option<Expr> {
        let start = self.pos;
        if let Some(items) = self.attempt(|p| p.set_lit()) {
            return Some(Expr {
                kind: ExprKind::Set(items),
                span: self.span((start, self.pos)),
            });
        }
        if let Some(e) = self.literal() {
            return Some(e);
        }
        let at = self.ident()?;
        Some(Expr {
            kind: ExprKind::Path(self.text(at).to_string()),
            span: self.span(at),
        })
    }

    // ------------------------------------------------------------ types and annotations

    /// `type_expr = { type_base ~ opt_mark? }`
    fn type_expr(&mut self) -> Option<TypeExpr> {
        let start = self.pos;
        let generic = |p: &mut Self, words: [&str; 2]| {
            p.attempt(|p| {
                (p.lit(words[0]) || p.lit(words[1])).then_some(())?;
                p.skip();
                p.lit("<").then_some(())?;
                p.skip();
                let n = p.ident()?;
                p.skip();
                p.lit(">").then_some(n)
            })
        };
        let kind = if let Some(n) = generic(self, ["Set", "集合"]) {
            TypeKind::Set(self.name(n))
        } else if let Some(n) = generic(self, ["List", "列表"]) {
            TypeKind::List(self.name(n))
        } else {
            let n = self.ident()?;
            TypeKind::Named(self.name(n))
        };
        self.skip();
        let optional = self.lit("?");
        Some(TypeExpr {
            kind,
            optional,
            span: self.span((start, self.pos)),
        })
    }

    /// `annotation = { "@" ~ text_ann_name ~ string | "@" ~ ident ~ ("(" ~ (ann_arg ~ ("," ~ ann_arg)*)? ~ ")")? }`
    fn annotation(&mut self) -> Option<Annotation> {
        let start = self.pos;
        if let Some((name, s)) = self.attempt(|p| {
            p.lit("@").then_some(())?;
            p.skip();
            let name = p.kw(&["unconfirmed", "source", "label", "待核实", "来源", "标签"])?;
            p.skip();
            Some((name, p.string()?))
        }) {
            return Some(Annotation {
                name: self.name(name),
                args: vec![AnnArg::Str(s)],
                span: self.span((start, self.pos)),
            });
        }
        self.lit("@").then_some(())?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let args = self
            .attempt(|p| {
                p.lit("(").then_some(())?;
                p.skip();
                let args = p
                    .attempt(|p| {
                        let mut args = vec![p.ann_arg()?];
                        p.skip();
                        p.rep(|p| {
                            p.lit(",").then_some(())?;
                            p.skip();
                            args.push(p.ann_arg()?);
                            Some(())
                        });
                        Some(args)
                    })
                    .unwrap_or_default();
                p.skip();
                p.lit(")").then_some(args)
            })
            .unwrap_or_default();
        Some(Annotation {
            name: self.name(name),
            args,
            span: self.span((start, self.pos)),
        })
    }

    /// `ann_arg = { signed_number | string | path }`
    fn ann_arg(&mut self) -> Option<AnnArg> {
        let start = self.pos;
        // signed_number = @{ "-"? ~ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? }
        if self
            .attempt(|p| {
                p.lit("-");
                p.digits1().then_some(())?;
                p.attempt(|p| (p.lit(".") && p.digits1()).then_some(()));
                Some(())
            })
            .is_some()
        {
            let at = (start, self.pos);
            return Some(AnnArg::Number(self.text(at).to_string(), self.span(at)));
        }
        if let Some(s) = self.string() {
            return Some(AnnArg::Str(s));
        }
        let at = self.path()?;
        Some(AnnArg::Path(self.name(at)))
    }

    // ------------------------------------------------------------ declarations

    fn decl(&mut self) -> Option<Decl> {
        let start = self.pos;
        let rest = self.rest();
        let first = |ws: &[&str]| ws.iter().any(|w| starts(rest, w));
        // The alternatives of `decl` start with distinct keywords, so at most one can match:
        // the one whose keyword is here.
        let d = if first(KW_ENUM) {
            Decl::Enum(self.attempt(|p| p.enum_decl(start))?)
        } else if first(KW_RECORD) {
            Decl::Record(self.attempt(|p| p.record_decl(start))?)
        } else if first(KW_FACTS) {
            Decl::Facts(self.attempt(|p| p.facts_decl(start))?)
        } else if first(KW_PARAM) {
            Decl::Param(self.attempt(|p| p.param_decl(start))?)
        } else if first(KW_CONCLUSION) {
            Decl::Conclusion(self.attempt(|p| p.conclusion_decl(start))?)
        } else if first(KW_LET) {
            Decl::Let(self.attempt(|p| p.let_decl(start))?)
        } else if first(KW_RULE) {
            Decl::Rule(self.attempt(|p| p.rule_decl(start))?)
        } else if first(KW_TEST) {
            Decl::Test(self.attempt(|p| p.test_decl(start))?)
        } else if first(KW_POLICY) {
            Decl::Policy(self.attempt(|p| p.policy_decl(start))?)
        } else if first(KW_IMPORT) {
            Decl::Import(self.attempt(|p| {
                p.kw(KW_IMPORT)?;
                p.skip();
                let path = p.string()?;
                Some(ImportDecl {
                    path,
                    span: p.span((start, p.pos)),
                })
            })?)
        } else if first(KW_CALENDAR) {
            Decl::Calendar(self.attempt(|p| p.calendar_decl(start))?)
        } else if first(KW_ROSTER) {
            Decl::Roster(self.attempt(|p| p.roster_decl(start))?)
        } else {
            // rotation_decl and anything else: pest.
            return self.give_up();
        };
        Some(d)
    }

    /// `string?` after a name.
    fn opt_string(&mut self) -> Option<Str> {
        self.string()
    }

    /// `enum_decl = { kw_enum ~ ident ~ string? ~ "{" ~ (enum_variant ~ ","?)* ~ "}" }`
    fn enum_decl(&mut self, start: usize) -> Option<EnumDecl> {
        self.kw(KW_ENUM)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let label = self.opt_string();
        self.skip();
        self.lit("{").then_some(())?;
        self.skip();
        let mut variants = Vec::new();
        self.rep(|p| {
            // enum_variant = { ident ~ string? }
            let n = p.ident()?;
            p.skip();
            let l = p.opt_string();
            variants.push(Variant {
                name: p.name(n),
                label: l,
            });
            p.skip();
            p.lit(",");
            Some(())
        });
        self.skip();
        self.lit("}").then_some(())?;
        Some(EnumDecl {
            name: self.name(name),
            label,
            variants,
            span: self.span((start, self.pos)),
        })
    }

    /// `(field_decl ~ ","?)* ~ "}"` after the `{` of a record or facts block.
    fn fields(&mut self) -> Option<Vec<FieldDecl>> {
        self.lit("{").then_some(())?;
        self.skip();
        let mut fields = Vec::new();
        self.rep(|p| {
            fields.push(p.field_decl()?);
            p.skip();
            p.lit(",");
            Some(())
        });
        self.skip();
        self.lit("}").then_some(fields)
    }

    /// `record_decl = { kw_record ~ ident ~ string? ~ "{" ~ (field_decl ~ ","?)* ~ "}" }`
    fn record_decl(&mut self, start: usize) -> Option<RecordDecl> {
        self.kw(KW_RECORD)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let label = self.opt_string();
        self.skip();
        let fields = self.fields()?;
        Some(RecordDecl {
            name: self.name(name),
            label,
            fields,
            span: self.span((start, self.pos)),
        })
    }

    /// `facts_decl = { kw_facts ~ (path ~ kw_optional?)? ~ string? ~ "{" ~ (field_decl ~ ","?)* ~ "}" }`
    fn facts_decl(&mut self, start: usize) -> Option<FactsDecl> {
        self.kw(KW_FACTS)?;
        self.skip();
        let mut optional = false;
        let section = self.attempt(|p| {
            let s = p.path()?;
            p.skip();
            optional = p.kw(KW_OPTIONAL).is_some();
            Some(s)
        });
        self.skip();
        let label = self.opt_string();
        self.skip();
        let fields = self.fields()?;
        Some(FactsDecl {
            section: section.map(|s| self.name(s)),
            optional,
            label,
            fields,
            span: self.span((start, self.pos)),
        })
    }

    /// `field_decl = { path ~ ":" ~ type_expr ~ default_clause? ~ annotation* ~ string? }`
    fn field_decl(&mut self) -> Option<FieldDecl> {
        let start = self.pos;
        let path = self.path()?;
        self.skip();
        self.lit(":").then_some(())?;
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        let default = self.attempt(|p| p.default_clause());
        self.skip();
        let mut annotations = Vec::new();
        self.rep(|p| {
            annotations.push(p.annotation()?);
            Some(())
        });
        self.skip();
        let label = self.opt_string();
        Some(FieldDecl {
            path: self.name(path),
            ty,
            default,
            annotations,
            label,
            span: self.span((start, self.pos)),
        })
    }

    /// `default_clause = { kw_default ~ (set_lit | literal | ident) }`
    fn default_clause(&mut self) -> Option<Expr> {
        self.kw(KW_DEFAULT)?;
        self.skip();
        self.value()
    }

    /// `param_decl = { kw_param ~ path ~ ":" ~ type_expr ~ "=" ~ (set_lit | literal | ident) ~ annotation* }`
    fn param_decl(&mut self, start: usize) -> Option<ParamDecl> {
        self.kw(KW_PARAM)?;
        self.skip();
        let path = self.path()?;
        self.skip();
        self.lit(":").then_some(())?;
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        self.lit("=").then_some(())?;
        self.skip();
        let value = self.value()?;
        self.skip();
        let mut annotations = Vec::new();
        self.rep(|p| {
            annotations.push(p.annotation()?);
            Some(())
        });
        Some(ParamDecl {
            path: self.name(path),
            ty,
            value,
            annotations,
            span: self.span((start, self.pos)),
        })
    }

    /// `conclusion_decl = { kw_conclusion ~ path ~ ":" ~ type_expr ~ (kw_collect | default_clause)? ~ string? }`
    fn conclusion_decl(&mut self, start: usize) -> Option<ConclusionDecl> {
        self.kw(KW_CONCLUSION)?;
        self.skip();
        let path = self.path()?;
        self.skip();
        self.lit(":").then_some(())?;
        self.skip();
        let ty = self.type_expr()?;
        self.skip();
        let mut collect = false;
        let mut default = None;
        if self.kw(KW_COLLECT).is_some() {
            collect = true;
        } else {
            default = self.attempt(|p| p.default_clause());
        }
        self.skip();
        let label = self.opt_string();
        Some(ConclusionDecl {
            path: self.name(path),
            ty,
            collect,
            default,
            label,
            span: self.span((start, self.pos)),
        })
    }

    /// `let_decl = { kw_let ~ ident ~ let_params? ~ "=" ~ expr }`
    fn let_decl(&mut self, start: usize) -> Option<LetDecl> {
        self.kw(KW_LET)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        // let_params = { "(" ~ (let_param ~ ("," ~ let_param)*)? ~ ")" }
        let params = self.attempt(|p| {
            p.lit("(").then_some(())?;
            p.skip();
            let ps = p
                .attempt(|p| {
                    let mut ps = vec![p.let_param()?];
                    p.skip();
                    p.rep(|p| {
                        p.lit(",").then_some(())?;
                        p.skip();
                        ps.push(p.let_param()?);
                        Some(())
                    });
                    Some(ps)
                })
                .unwrap_or_default();
            p.skip();
            p.lit(")").then_some(ps)
        });
        self.skip();
        self.lit("=").then_some(())?;
        self.skip();
        let body = self.expr()?;
        Some(LetDecl {
            name: self.name(name),
            params,
            body,
            span: self.span((start, self.pos)),
        })
    }

    /// `let_param = { ident ~ ":" ~ type_expr }`
    fn let_param(&mut self) -> Option<LetParam> {
        let n = self.ident()?;
        self.skip();
        self.lit(":").then_some(())?;
        self.skip();
        let ty = self.type_expr()?;
        Some(LetParam {
            name: self.name(n),
            ty,
        })
    }

    /// `effective_clause = { kw_effective ~ date_lit ~ (kw_until ~ date_lit)? }`
    fn effective_clause(&mut self) -> Option<Effective> {
        let start = self.pos;
        self.kw(KW_EFFECTIVE)?;
        self.skip();
        let from = self.date_lit()?;
        self.skip();
        let until = self.attempt(|p| {
            p.kw(KW_UNTIL)?;
            p.skip();
            p.date_lit()
        });
        Some(Effective {
            from: self.name(from),
            until: until.map(|u| self.name(u)),
            span: self.span((start, self.pos)),
        })
    }

    /// `cite_clause = { kw_cite ~ string ~ ("," ~ string)* }`
    fn cite_clause(&mut self) -> Option<Vec<Str>> {
        self.kw(KW_CITE)?;
        self.skip();
        let mut cites = vec![self.string()?];
        self.skip();
        self.rep(|p| {
            p.lit(",").then_some(())?;
            p.skip();
            cites.push(p.string()?);
            Some(())
        });
        Some(cites)
    }

    /// `rule_decl = { kw_rule ~ ident ~ string? ~ rule_clause* ~ (kw_when ~ expr)? ~ kw_then ~ outcome+ }`
    fn rule_decl(&mut self, start: usize) -> Option<RuleDecl> {
        self.kw(KW_RULE)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let title = self.opt_string();
        self.skip();
        let mut cites = Vec::new();
        let mut effective = None;
        let mut exceptions = Vec::new();
        let mut priority = None;
        self.rep(|p| {
            // rule_clause = _{ cite_clause | effective_clause | exception_clause | priority_clause }
            if let Some(c) = p.attempt(|p| p.cite_clause()) {
                cites.extend(c);
            } else if let Some(e) = p.attempt(|p| p.effective_clause()) {
                effective = Some(e);
            } else if let Some(x) = p.attempt(|p| p.exception_clause()) {
                exceptions.extend(x);
            } else {
                let n = p.attempt(|p| {
                    p.kw(KW_PRIORITY)?;
                    p.skip();
                    p.int_lit()
                })?;
                priority = Some(p.int_value(n)?);
            }
            Some(())
        });
        self.skip();
        let when = self.attempt(|p| {
            p.kw(KW_WHEN)?;
            p.skip();
            p.expr()
        });
        self.skip();
        self.kw(KW_THEN)?;
        self.skip();
        let mut outcomes = vec![self.outcome()?];
        self.skip();
        self.rep(|p| {
            outcomes.push(p.outcome()?);
            Some(())
        });
        Some(RuleDecl {
            name: self.name(name),
            title,
            cites,
            effective,
            exceptions,
            priority,
            when,
            outcomes,
            span: self.span((start, self.pos)),
        })
    }

    /// `exception_clause = { kw_exception ~ kw_to? ~ path ~ ("," ~ path)* }`
    fn exception_clause(&mut self) -> Option<Vec<Name>> {
        self.kw(KW_EXCEPTION)?;
        self.skip();
        self.kw(KW_TO);
        self.skip();
        let mut names = vec![self.path()?];
        self.skip();
        self.rep(|p| {
            p.lit(",").then_some(())?;
            p.skip();
            names.push(p.path()?);
            Some(())
        });
        Some(names.into_iter().map(|n| self.name(n)).collect())
    }

    /// `outcome = _{ (conclude | add_to | note_out | obligation) ~ (","|";")? }`
    fn outcome(&mut self) -> Option<Outcome> {
        self.attempt(|p| {
            let o = p.outcome_body()?;
            p.skip();
            let _ = p.lit(",") || p.lit(";");
            Some(o)
        })
    }

    fn outcome_body(&mut self) -> Option<Outcome> {
        let start = self.pos;
        // conclude = { kw_conclude ~ path ~ "=" ~ expr }
        if let Some((key, value)) = self.attempt(|p| {
            p.kw(KW_CONCLUDE)?;
            p.skip();
            let key = p.path()?;
            p.skip();
            p.lit("=").then_some(())?;
            p.skip();
            Some((key, p.expr()?))
        }) {
            return Some(Outcome::Conclude {
                key: self.name(key),
                value,
                span: self.span((start, self.pos)),
            });
        }
        // add_to = { kw_add ~ expr ~ kw_to ~ path }
        if let Some((value, key)) = self.attempt(|p| {
            p.kw(KW_ADD)?;
            p.skip();
            let value = p.expr()?;
            p.skip();
            p.kw(KW_TO)?;
            p.skip();
            Some((value, p.path()?))
        }) {
            return Some(Outcome::Add {
                value,
                key: self.name(key),
                span: self.span((start, self.pos)),
            });
        }
        // note_out = { kw_note ~ string }
        if let Some(text) = self.attempt(|p| {
            p.kw(KW_NOTE)?;
            p.skip();
            p.string()
        }) {
            return Some(Outcome::Note {
                text,
                span: self.span((start, self.pos)),
            });
        }
        self.attempt(|p| p.obligation()).map(Outcome::Oblige)
    }

    /// `obligation = { ident ~ kw_must ~ ident ~ (kw_to ~ ident)? ~ deadline ~ with_clause? }`
    fn obligation(&mut self) -> Option<ObligationDecl> {
        let start = self.pos;
        let actor = self.ident()?;
        self.skip();
        self.kw(KW_MUST)?;
        self.skip();
        let action = self.ident()?;
        self.skip();
        let party = self.attempt(|p| {
            p.kw(KW_TO)?;
            p.skip();
            p.ident()
        });
        self.skip();
        let deadline = self.deadline()?;
        self.skip();
        // with_clause = { kw_with ~ ident ~ ("," ~ ident)* }
        let with = self
            .attempt(|p| {
                p.kw(KW_WITH)?;
                p.skip();
                let mut with = vec![p.ident()?];
                p.skip();
                p.rep(|p| {
                    p.lit(",").then_some(())?;
                    p.skip();
                    with.push(p.ident()?);
                    Some(())
                });
                Some(with)
            })
            .unwrap_or_default();
        Some(ObligationDecl {
            actor: self.name(actor),
            action: self.name(action),
            party: party.map(|x| self.name(x)),
            deadline,
            with: with.into_iter().map(|w| self.name(w)).collect(),
            span: self.span((start, self.pos)),
        })
    }

    /// `from_clause = { kw_from ~ expr }`
    fn opt_from_clause(&mut self) -> Option<Expr> {
        self.attempt(|p| {
            p.kw(KW_FROM)?;
            p.skip();
            p.expr()
        })
    }

    /// `deadline = { immediately | within | by_date }`
    fn deadline(&mut self) -> Option<DeadlineDecl> {
        // immediately = { kw_immediately ~ from_clause? }
        if let Some(from) = self.attempt(|p| {
            p.kw(KW_IMMEDIATELY)?;
            p.skip();
            Some(p.opt_from_clause())
        }) {
            return Some(DeadlineDecl::Immediately { from });
        }
        // within = { kw_within ~ (duration_lit | path) ~ from_clause? }
        if let Some((duration, from)) = self.attempt(|p| {
            p.kw(KW_WITHIN)?;
            p.skip();
            let duration = match p.duration_lit() {
                Some(d) => DurationOrParam::Literal(d),
                None => {
                    let at = p.path()?;
                    DurationOrParam::Param(p.name(at))
                }
            };
            p.skip();
            Some((duration, p.opt_from_clause()))
        }) {
            return Some(DeadlineDecl::Within { duration, from });
        }
        // by_date = { kw_by ~ expr }
        self.attempt(|p| {
            p.kw(KW_BY)?;
            p.skip();
            p.expr()
        })
        .map(DeadlineDecl::By)
    }

    // ------------------------------------------------------------ tests

    /// `test_decl = { kw_test ~ (plan_test_head | string) ~ "{" ~ test_item* ~ "}" }`
    fn test_decl(&mut self, start: usize) -> Option<TestDecl> {
        self.kw(KW_TEST)?;
        self.skip();
        if self.rest().starts_with("plan") || self.rest().starts_with("计划") {
            // A rotation's plan test (plan_test_head): pest.
            if self.attempt(|p| p.kw(KW_PLAN)).is_some() {
                return self.give_up();
            }
        }
        let title = self.string()?;
        self.skip();
        self.lit("{").then_some(())?;
        self.skip();
        let mut items = Vec::new();
        self.rep(|p| {
            items.push(p.test_item()?);
            Some(())
        });
        self.skip();
        self.lit("}").then_some(())?;
        Some(TestDecl {
            title: Some(title),
            plan: None,
            items,
            span: self.span((start, self.pos)),
        })
    }

    /// `test_item = _{ given | as_of_item | test_param | expectation }`
    fn test_item(&mut self) -> Option<TestItem> {
        // given = { kw_given ~ data_obj }
        if let Some(d) = self.attempt(|p| {
            p.kw(KW_GIVEN)?;
            p.skip();
            p.data_obj()
        }) {
            return Some(TestItem::Given(d));
        }
        // as_of_item = { kw_as_of ~ date_lit }
        if let Some(d) = self.attempt(|p| {
            p.kw(KW_AS_OF)?;
            p.skip();
            p.date_lit()
        }) {
            return Some(TestItem::AsOf(self.name(d)));
        }
        // test_param = { kw_param ~ path ~ "=" ~ (set_lit | literal | ident) }
        let start = self.pos;
        if let Some((path, value)) = self.attempt(|p| {
            p.kw(KW_PARAM)?;
            p.skip();
            let path = p.path()?;
            p.skip();
            p.lit("=").then_some(())?;
            p.skip();
            Some((path, p.value()?))
        }) {
            return Some(TestItem::Param {
                path: self.name(path),
                value,
                span: self.span((start, self.pos)),
            });
        }
        // expectation = _{ kw_expect ~ (…) }
        self.attempt(|p| {
            p.kw(KW_EXPECT)?;
            p.skip();
            let start = p.pos;
            let kind = p.expectation()?;
            Some(TestItem::Expect(Expectation {
                kind,
                span: p.span((start, p.pos)),
            }))
        })
    }

    /// The alternatives of `expectation`, in the grammar's order.
    fn expectation(&mut self) -> Option<ExpectKind> {
        // expect_status = { kw_status ~ "==" ~ ident }
        if let Some(n) = self.attempt(|p| {
            p.kw(KW_STATUS)?;
            p.skip();
            p.lit("==").then_some(())?;
            p.skip();
            p.ident()
        }) {
            return Some(ExpectKind::Status(self.name(n)));
        }
        // expect_missing = { kw_missing ~ kw_first? ~ fact_ref }
        if let Some((first, fact)) = self.attempt(|p| {
            p.kw(KW_MISSING)?;
            p.skip();
            let first = p.kw(KW_FIRST).is_some();
            p.skip();
            Some((first, p.fact_ref()?))
        }) {
            return Some(ExpectKind::Missing {
                first,
                fact: self.name(fact),
            });
        }
        // expect_fired = { kw_fired ~ path }
        if let Some(n) = self.attempt(|p| {
            p.kw(KW_FIRED)?;
            p.skip();
            p.path()
        }) {
            return Some(ExpectKind::Fired(self.name(n)));
        }
        // expect_not_fired = { kw_not ~ kw_fired ~ path }
        if let Some(n) = self.attempt(|p| {
            p.kw(KW_NOT)?;
            p.skip();
            p.kw(KW_FIRED)?;
            p.skip();
            p.path()
        }) {
            return Some(ExpectKind::NotFired(self.name(n)));
        }
        // expect_undecided = { kw_undecided ~ path }
        if let Some(n) = self.attempt(|p| {
            p.kw(KW_UNDECIDED)?;
            p.skip();
            p.path()
        }) {
            return Some(ExpectKind::Undecided(self.name(n)));
        }
        // expect_plan = { plan_every_visited | plan_no_repeat | plan_in_month }
        if self
            .attempt(|p| {
                p.kw(KW_EVERY)?;
                p.skip();
                p.kw(KW_STREET_WORD)?;
                p.skip();
                p.kw(KW_VISITED)?;
                p.skip();
                p.kw(KW_ONCE)
            })
            .is_some()
        {
            return Some(ExpectKind::EveryStreetVisitedOnce);
        }
        if self
            .attempt(|p| {
                p.kw(KW_NO)?;
                p.skip();
                p.kw(KW_COMMUNITY_WORD)?;
                p.skip();
                p.kw(KW_REPEATED)
            })
            .is_some()
        {
            return Some(ExpectKind::NoCommunityRepeated);
        }
        if let Some((street, month)) = self.attempt(|p| {
            let street = p.ident()?;
            p.skip();
            p.kw(KW_IN)?;
            p.skip();
            p.kw(KW_MONTH_OF)?;
            p.skip();
            Some((street, p.year_month_lit()?))
        }) {
            return Some(ExpectKind::StreetInMonth {
                street: self.name(street),
                month: self.name(month),
            });
        }
        // expect_no_obligation = { kw_no ~ ident ~ (kw_to ~ ident)? }
        if let Some((action, party)) = self.attempt(|p| {
            p.kw(KW_NO)?;
            p.skip();
            let action = p.ident()?;
            p.skip();
            let party = p.attempt(|p| {
                p.kw(KW_TO)?;
                p.skip();
                p.ident()
            });
            Some((action, party))
        }) {
            return Some(ExpectKind::NoObligation {
                action: self.name(action),
                party: party.map(|x| self.name(x)),
            });
        }
        // expect_obligation = { (ident ~ kw_must ~ ident ~ (kw_to ~ ident)? | ident ~ kw_to ~ ident)
        //                       ~ (kw_due ~ (datetime_lit | date_lit))? }
        if let Some((actor, action, party, due)) = self.attempt(|p| {
            let first = p.ident()?;
            p.skip();
            let (actor, action, party) = if let Some((action, party)) = p.attempt(|p| {
                p.kw(KW_MUST)?;
                p.skip();
                let action = p.ident()?;
                p.skip();
                let party = p.attempt(|p| {
                    p.kw(KW_TO)?;
                    p.skip();
                    p.ident()
                });
                Some((action, party))
            }) {
                (Some(first), action, party)
            } else {
                p.kw(KW_TO)?;
                p.skip();
                (None, first, Some(p.ident()?))
            };
            p.skip();
            let due = p.attempt(|p| {
                p.kw(KW_DUE)?;
                p.skip();
                p.datetime_lit().or_else(|| p.date_lit())
            });
            Some((actor, action, party, due))
        }) {
            return Some(ExpectKind::Obligation {
                actor: actor.map(|a| self.name(a)),
                action: self.name(action),
                party: party.map(|x| self.name(x)),
                due: due.map(|d| self.name(d)),
            });
        }
        // expect_expr = { expr }
        self.expr().map(ExpectKind::Expr)
    }

    /// `fact_ref = @{ ident ~ ("." ~ ident | "[" ~ ASCII_DIGIT+ ~ "]")* }`
    fn fact_ref(&mut self) -> Option<Pos> {
        let start = self.pos;
        self.ident()?;
        while self
            .attempt(|p| {
                if p.lit(".") {
                    p.ident().map(|_| ())
                } else {
                    (p.lit("[") && p.digits1() && p.lit("]")).then_some(())
                }
            })
            .is_some()
        {}
        Some((start, self.pos))
    }

    /// `data_obj = { "{" ~ (data_entry ~ ","?)* ~ "}" }`
    fn data_obj(&mut self) -> Option<Datum> {
        let start = self.pos;
        self.level += 1;
        if self.level > MAX_RECURSION {
            return self.give_up();
        }
        let entries = self.attempt(|p| {
            p.lit("{").then_some(())?;
            p.skip();
            let mut entries = Vec::new();
            p.rep(|p| {
                // data_entry = { ident ~ ":" ~ datum }
                let k = p.ident()?;
                p.skip();
                p.lit(":").then_some(())?;
                p.skip();
                let v = p.datum()?;
                entries.push((p.name(k), v));
                p.skip();
                p.lit(",");
                Some(())
            });
            p.skip();
            p.lit("}").then_some(entries)
        });
        self.level -= 1;
        Some(Datum {
            kind: DatumKind::Object(entries?),
            span: self.span((start, self.pos)),
        })
    }

    /// `datum = { data_obj | data_list | datetime_lit | date_lit | decimal_lit | signed_int | string | kw_true | kw_false | ident }`
    fn datum(&mut self) -> Option<Datum> {
        let start = self.pos;
        if let Some(d) = self.attempt(|p| p.data_obj()) {
            return Some(d);
        }
        let kind = if let Some(items) = self.attempt(|p| p.data_list()) {
            DatumKind::List(items)
        } else if let Some(at) = self.datetime_lit().or_else(|| self.date_lit()) {
            DatumKind::Word(self.text(at).to_string())
        } else if let Some(at) = self.decimal_lit() {
            DatumKind::Decimal(self.text(at).to_string())
        } else if let Some(at) = self.signed_int() {
            match self.text(at).parse::<i64>() {
                Ok(n) => DatumKind::Int(n),
                Err(_) => return self.give_up(),
            }
        } else if let Some(s) = self.string() {
            DatumKind::Text(s.value)
        } else if self.kw(KW_TRUE).is_some() {
            DatumKind::Bool(true)
        } else if self.kw(KW_FALSE).is_some() {
            DatumKind::Bool(false)
        } else {
            let at = self.ident()?;
            DatumKind::Word(self.text(at).to_string())
        };
        Some(Datum {
            kind,
            span: self.span((start, self.pos)),
        })
    }

    /// `data_list = { "[" ~ (datum ~ ("," ~ datum)* ~ ","?)? ~ "]" }`
    fn data_list(&mut self) -> Option<Vec<Datum>> {
        self.level += 1;
        if self.level > MAX_RECURSION {
            return self.give_up();
        }
        let items = self.attempt(|p| {
            p.lit("[").then_some(())?;
            p.skip();
            let items = p
                .attempt(|p| {
                    let mut items = vec![p.datum()?];
                    p.skip();
                    p.rep(|p| {
                        p.lit(",").then_some(())?;
                        p.skip();
                        items.push(p.datum()?);
                        Some(())
                    });
                    p.skip();
                    p.lit(",");
                    Some(items)
                })
                .unwrap_or_default();
            p.skip();
            p.lit("]").then_some(items)
        });
        self.level -= 1;
        items
    }

    // ------------------------------------------------------------ the rest

    /// `policy_decl = { kw_policy ~ ident ~ string? ~ (source_clause | effective_clause)* }`
    fn policy_decl(&mut self, start: usize) -> Option<PolicyDecl> {
        self.kw(KW_POLICY)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let title = self.opt_string();
        self.skip();
        let mut sources = Vec::new();
        let mut effective = None;
        self.rep(|p| {
            // source_clause = { kw_source ~ string ~ date_lit? }
            if let Some((text, date)) = p.attempt(|p| {
                p.kw(KW_SOURCE)?;
                p.skip();
                let text = p.string()?;
                p.skip();
                Some((text, p.date_lit()))
            }) {
                sources.push(SourceRef {
                    text,
                    date: date.map(|d| p.name(d)),
                });
            } else {
                effective = Some(p.attempt(|p| p.effective_clause())?);
            }
            Some(())
        });
        Some(PolicyDecl {
            name: self.name(name),
            title,
            sources,
            effective,
            span: self.span((start, self.pos)),
        })
    }

    /// `calendar_decl = { kw_calendar ~ ident ~ string? ~ kw_covers ~ int_lit ~ ".." ~ int_lit ~ "{" ~ calendar_entry* ~ "}" }`
    fn calendar_decl(&mut self, start: usize) -> Option<CalendarDecl> {
        self.kw(KW_CALENDAR)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let title = self.opt_string();
        self.skip();
        self.kw(KW_COVERS)?;
        self.skip();
        let first = self.int_lit()?;
        self.skip();
        self.lit("..").then_some(())?;
        self.skip();
        let last = self.int_lit()?;
        self.skip();
        self.lit("{").then_some(())?;
        self.skip();
        let mut entries = Vec::new();
        self.rep(|p| {
            // calendar_entry = { (kw_holiday | kw_workday) ~ date_lit ~ (".." ~ date_lit)? ~ string? }
            let es = p.pos;
            let holiday = if p.kw(KW_HOLIDAY).is_some() {
                true
            } else {
                p.kw(KW_WORKDAY)?;
                false
            };
            p.skip();
            let from = p.date_lit()?;
            p.skip();
            let to = p.attempt(|p| {
                p.lit("..").then_some(())?;
                p.skip();
                p.date_lit()
            });
            p.skip();
            let label = p.opt_string();
            entries.push(CalendarEntry {
                holiday,
                from: p.name(from),
                to: to.map(|t| p.name(t)),
                label,
                span: p.span((es, p.pos)),
            });
            Some(())
        });
        self.skip();
        self.lit("}").then_some(())?;
        let first_year = self.int_value(first)?;
        let last_year = self.int_value(last)?;
        Some(CalendarDecl {
            name: self.name(name),
            title,
            first_year,
            last_year,
            entries,
            span: self.span((start, self.pos)),
        })
    }

    /// `roster_decl = { kw_roster ~ ident ~ string? ~ kw_from ~ string }`
    fn roster_decl(&mut self, start: usize) -> Option<RosterDecl> {
        self.kw(KW_ROSTER)?;
        self.skip();
        let name = self.ident()?;
        self.skip();
        let title = self.opt_string();
        self.skip();
        self.kw(KW_FROM)?;
        self.skip();
        let file = self.string()?;
        Some(RosterDecl {
            name: self.name(name),
            title,
            file,
            span: self.span((start, self.pos)),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const GRAMMAR: &str = include_str!("humiao.pest");

    /// Every keyword spelled here is spelled so in the grammar, in the same order.
    #[test]
    fn keywords_match_the_grammar() {
        let kws: &[(&str, &[&str])] = &[
            ("kw_policy", KW_POLICY),
            ("kw_source", KW_SOURCE),
            ("kw_effective", KW_EFFECTIVE),
            ("kw_until", KW_UNTIL),
            ("kw_import", KW_IMPORT),
            ("kw_enum", KW_ENUM),
            ("kw_record", KW_RECORD),
            ("kw_facts", KW_FACTS),
            ("kw_optional", KW_OPTIONAL),
            ("kw_param", KW_PARAM),
            ("kw_conclusion", KW_CONCLUSION),
            ("kw_collect", KW_COLLECT),
            ("kw_default", KW_DEFAULT),
            ("kw_let", KW_LET),
            ("kw_rule", KW_RULE),
            ("kw_cite", KW_CITE),
            ("kw_exception", KW_EXCEPTION),
            ("kw_to", KW_TO),
            ("kw_priority", KW_PRIORITY),
            ("kw_when", KW_WHEN),
            ("kw_then", KW_THEN),
            ("kw_conclude", KW_CONCLUDE),
            ("kw_add", KW_ADD),
            ("kw_must", KW_MUST),
            ("kw_immediately", KW_IMMEDIATELY),
            ("kw_within", KW_WITHIN),
            ("kw_from", KW_FROM),
            ("kw_by", KW_BY),
            ("kw_with", KW_WITH),
            ("kw_note", KW_NOTE),
            ("kw_and", KW_AND),
            ("kw_or", KW_OR),
            ("kw_not", KW_NOT),
            ("kw_in", KW_IN),
            ("kw_is", KW_IS),
            ("kw_known", KW_KNOWN),
            ("kw_unknown", KW_UNKNOWN),
            ("kw_empty", KW_EMPTY),
            ("kw_not_empty", KW_NOT_EMPTY),
            ("kw_if", KW_IF),
            ("kw_else", KW_ELSE),
            ("kw_any", KW_ANY),
            ("kw_all", KW_ALL),
            ("kw_count", KW_COUNT),
            ("kw_sum", KW_SUM),
            ("kw_min", KW_MIN),
            ("kw_max", KW_MAX),
            ("kw_where", KW_WHERE),
            ("kw_true", KW_TRUE),
            ("kw_false", KW_FALSE),
            ("kw_test", KW_TEST),
            ("kw_given", KW_GIVEN),
            ("kw_as_of", KW_AS_OF),
            ("kw_expect", KW_EXPECT),
            ("kw_fired", KW_FIRED),
            ("kw_no", KW_NO),
            ("kw_due", KW_DUE),
            ("kw_status", KW_STATUS),
            ("kw_missing", KW_MISSING),
            ("kw_first", KW_FIRST),
            ("kw_undecided", KW_UNDECIDED),
            ("kw_calendar", KW_CALENDAR),
            ("kw_covers", KW_COVERS),
            ("kw_holiday", KW_HOLIDAY),
            ("kw_workday", KW_WORKDAY),
            ("kw_roster", KW_ROSTER),
            ("kw_plan", KW_PLAN),
            ("kw_every", KW_EVERY),
            ("kw_street_word", KW_STREET_WORD),
            ("kw_community_word", KW_COMMUNITY_WORD),
            ("kw_visited", KW_VISITED),
            ("kw_once", KW_ONCE),
            ("kw_repeated", KW_REPEATED),
            ("kw_month_of", KW_MONTH_OF),
        ];
        let lines: Vec<&str> = GRAMMAR.lines().collect();
        for (rule, spellings) in kws {
            let line = lines
                .iter()
                .find(|l| l.split_whitespace().next() == Some(rule))
                .unwrap_or_else(|| panic!("{rule} is not in the grammar"));
            let alts: Vec<String> = spellings.iter().map(|s| format!("\"{s}\"")).collect();
            let want = format!("@{{ ({}) ~ word_end }}", alts.join(" | "));
            assert!(line.contains(&want), "{rule}: `{line}` is not `{want}`");
        }
        // `reserved`: the same words in the same order.
        let start = GRAMMAR.find("reserved = @{").unwrap();
        let body = &GRAMMAR[start..];
        let body = &body[..body.find("~ word_end").unwrap()];
        let words: Vec<&str> = body.split('"').skip(1).step_by(2).collect();
        assert_eq!(words, RESERVED);
    }

    #[test]
    fn gives_up_on_what_it_does_not_cover() {
        let o = ParseOptions::default();
        assert!(decl("rotation r \"t\" over s\n", 0, &o).is_none());
        assert!(decl("let x = 99999999999999999999\n", 0, &o).is_none());
        assert!(decl("let x = (1\n", 0, &o).is_none());
        assert!(decl("let x = 1 +\n", 0, &o).is_none());
        assert!(decl("let x = 1\n", 0, &o).is_some());
    }
}
