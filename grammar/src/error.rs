//! Syntax errors, in words a policy officer understands (never pest's rule names).

use crate::ast::Span;
use crate::Rule;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    pub span: Span,
    pub kind: SyntaxErrorKind,
    /// What to do about it, in English and Chinese, when the parser can tell (a full-width
    /// punctuation mark where the language wants the ASCII one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum SyntaxErrorKind {
    /// Something else was expected here. `expected` holds (english, chinese) descriptions.
    Unexpected {
        expected: Vec<(String, String)>,
        found: Option<String>,
    },
    TooLarge {
        size: usize,
        limit: usize,
    },
    TooDeep {
        limit: usize,
    },
    ExprTooDeep {
        limit: usize,
    },
    NumberTooLarge,
    /// The parser produced a tree the builder did not expect: a bug in humiao, reported, not panicked.
    Internal,
}

impl SyntaxError {
    pub fn new(span: Span, kind: SyntaxErrorKind) -> Self {
        SyntaxError {
            span,
            kind,
            hint: None,
        }
    }

    /// Stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self.kind {
            SyntaxErrorKind::Unexpected { .. } => "E0001",
            SyntaxErrorKind::TooLarge { .. } => "E0002",
            SyntaxErrorKind::TooDeep { .. } => "E0003",
            SyntaxErrorKind::ExprTooDeep { .. } => "E0004",
            SyntaxErrorKind::NumberTooLarge => "E0005",
            SyntaxErrorKind::Internal => "E0009",
        }
    }

    pub fn message_en(&self) -> String {
        match &self.kind {
            SyntaxErrorKind::Unexpected { expected, found } => {
                let found = match found {
                    Some(f) => format!("`{f}`"),
                    None => "the end of the file".to_string(),
                };
                if expected.is_empty() {
                    format!("unexpected {found}")
                } else {
                    let words: Vec<&str> = expected.iter().map(|(e, _)| e.as_str()).collect();
                    format!("expected {}, found {found}", join_or(&words, "or"))
                }
            }
            SyntaxErrorKind::TooLarge { size, limit } => {
                format!("the file is {size} bytes, more than the limit of {limit} bytes")
            }
            SyntaxErrorKind::TooDeep { limit } => {
                format!("brackets are nested more than {limit} levels deep")
            }
            SyntaxErrorKind::ExprTooDeep { limit } => {
                format!(
                    "the expression is nested more than {limit} levels deep; split it with `let`"
                )
            }
            SyntaxErrorKind::NumberTooLarge => "the number is too large".to_string(),
            SyntaxErrorKind::Internal => {
                "humiao could not read this declaration (an internal error; please report it)"
                    .to_string()
            }
        }
    }

    pub fn message_zh(&self) -> String {
        match &self.kind {
            SyntaxErrorKind::Unexpected { expected, found } => {
                let found = match found {
                    Some(f) => format!("`{f}`"),
                    None => "文件结尾".to_string(),
                };
                if expected.is_empty() {
                    format!("此处不应出现 {found}")
                } else {
                    let words: Vec<&str> = expected.iter().map(|(_, z)| z.as_str()).collect();
                    format!("此处应为 {}，实际为 {found}", join_or(&words, "或"))
                }
            }
            SyntaxErrorKind::TooLarge { size, limit } => {
                format!("文件大小 {size} 字节，超过上限 {limit} 字节")
            }
            SyntaxErrorKind::TooDeep { limit } => format!("括号嵌套超过 {limit} 层"),
            SyntaxErrorKind::ExprTooDeep { limit } => {
                format!("表达式嵌套超过 {limit} 层，请用 `令`（let）拆分")
            }
            SyntaxErrorKind::NumberTooLarge => "数字过大".to_string(),
            SyntaxErrorKind::Internal => "humiao 无法读取此声明（内部错误，请报告）".to_string(),
        }
    }
}

fn join_or(words: &[&str], or: &str) -> String {
    let sep = if or == "or" { ", " } else { "、" };
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} {or} {last}", init.join(sep)),
    }
}

/// Turns pest's expected rules into words, dropping internal ones and duplicates.
pub fn describe_expected(rules: &[Rule]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in rules {
        if let Some((en, zh)) = describe(*r) {
            let pair = (en.to_string(), zh.to_string());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

fn kw(en: &'static str, zh: &'static str) -> Option<(&'static str, &'static str)> {
    Some((en, zh))
}

/// English and Chinese words for what a rule stands for.
fn describe(r: Rule) -> Option<(&'static str, &'static str)> {
    use Rule::*;
    match r {
        kw_policy => kw("`policy` (政策)", "`政策`（policy）"),
        kw_source => kw("`source` (来源)", "`来源`（source）"),
        kw_effective => kw("`effective` (生效)", "`生效`（effective）"),
        kw_until => kw("`until` (截至)", "`截至`（until）"),
        kw_import => kw("`import` (导入)", "`导入`（import）"),
        kw_optional => kw("`optional` (可选)", "`可选`（optional）"),
        kw_collect => kw("`collect` (汇集)", "`汇集`（collect）"),
        kw_default => kw("`default` (默认)", "`默认`（default）"),
        kw_cite => kw("`cite` (依据)", "`依据`（cite）"),
        kw_exception => kw("`exception to` (例外于)", "`例外于`（exception to）"),
        kw_to => kw("`to` (向/到)", "`向`/`到`（to）"),
        kw_priority => kw("`priority` (优先级)", "`优先级`（priority）"),
        kw_when => kw("`when` (当)", "`当`（when）"),
        kw_then => kw("`then` (则)", "`则`（then）"),
        kw_conclude => kw("`conclude` (认定)", "`认定`（conclude）"),
        kw_add => kw("`add` (加入)", "`加入`（add）"),
        kw_must => kw("`must` (须)", "`须`（must）"),
        kw_immediately => kw("`immediately` (立即)", "`立即`（immediately）"),
        kw_within => kw("`within` (限)", "`限`（within）"),
        kw_from => kw("`from` (自)", "`自`（from）"),
        kw_by => kw("`by` (不迟于)", "`不迟于`（by）"),
        kw_with => kw("`with` (会同)", "`会同`（with）"),
        kw_note => kw("`note` (备注)", "`备注`（note）"),
        kw_and => kw("`and` (且)", "`且`（and）"),
        kw_or => kw("`or` (或)", "`或`（or）"),
        kw_not => kw("`not` (非)", "`非`（not）"),
        kw_in => kw("`in` (属于)", "`属于`（in）"),
        kw_not_in => kw("`not in` (不属于)", "`不属于`（not in）"),
        kw_is => kw("`is` (是)", "`是`（is）"),
        kw_known => kw("`known` (已知)", "`已知`（known）"),
        kw_empty => kw("`empty` (为空)", "`为空`（empty）"),
        kw_else => kw("`else` (否则)", "`否则`（else）"),
        kw_where => kw("`where` (满足)", "`满足`（where）"),
        kw_given => kw("`given` (给定)", "`给定`（given）"),
        kw_expect => kw("`expect` (预期)", "`预期`（expect）"),
        kw_as_of => kw("`as_of` (基准日)", "`基准日`（as_of）"),
        kw_covers => kw("`covers` (覆盖)", "`覆盖`（covers）"),
        kw_holiday => kw("`holiday` (假日)", "`假日`（holiday）"),
        kw_workday => kw("`workday` (补班)", "`补班`（workday）"),
        kw_pick => kw("`pick` (抽取)", "`抽取`（pick）"),
        kw_streets => kw("`streets` (街道)", "`街道`（streets）"),
        kw_communities => kw("`communities` (社区)", "`社区`（communities）"),
        kw_per_street => kw("`per street` (每街道)", "`每街道`（per street）"),
        kw_months => kw("`months` (月数)", "`月数`（months）"),
        kw_month | kw_month_of => kw("`month` (月)", "`月`（month）"),
        infix_op => kw(
            "an operator such as `and`, `or`, `==`, `<`, `in`",
            "运算符，如 `且`、`或`、`==`、`<`、`属于`",
        ),
        postfix_op => kw("`is known`, `is empty`", "`已知`、`为空`"),
        deadline | immediately | within | by_date => kw(
            "a deadline (`immediately`, `within 5 working days`)",
            "期限（`立即`、`限 5 工作日`）",
        ),
        conclude | add_to | obligation => kw(
            "an outcome (`conclude …`, `add … to …`, `<actor> must <action> …`)",
            "结果（`认定 …`、`加入 … 到 …`、`<主体> 须 <行为> …`）",
        ),
        ident | path => kw("a name", "名称"),
        string => kw("a quoted text", "带引号的文字"),
        int_lit | signed_int | signed_number => kw("a number", "数字"),
        date_lit => kw("a date like 2026-03-01", "日期，如 2026-03-01"),
        year_month_lit => kw("a month like 2027-01", "月份，如 2027-01"),
        datetime_lit => kw(
            "a date and time like 2026-03-01T10:00+08:00",
            "日期时间，如 2026-03-01T10:00+08:00",
        ),
        duration_lit => kw("a duration like `24 hours`", "时长，如 `24 小时`"),
        expr | binary_chain | prefixed | postfixed | primary | literal | set_lit | if_expr => {
            kw("an expression", "表达式")
        }
        type_expr | type_base => kw("a type", "类型"),
        annotation => kw("an annotation like `@sensitive`", "标注，如 `@sensitive`"),
        field_decl => kw("a field (`name: Type`)", "字段（`名称: 类型`）"),
        enum_variant => kw("an enum value", "枚举值"),
        data_obj | datum | data_list => kw("a value", "值"),
        data_entry => kw("a field (`name: value`)", "字段（`名称: 值`）"),
        calendar_entry => kw("`holiday` or `workday`", "`假日` 或 `补班`"),
        test_decl | given | as_of_item | test_param => {
            kw("`given`, `as_of` or `expect`", "`给定`、`基准日` 或 `预期`")
        }
        rule_decl | policy_decl | import_decl | enum_decl | record_decl | facts_decl
        | param_decl | conclusion_decl | let_decl | calendar_decl | roster_decl | rotation_decl => {
            kw(
                "a declaration (`policy`, `rule`, `facts`, `let`, …)",
                "声明（`政策`、`规则`、`事实`、`令` 等）",
            )
        }
        EOI => kw("the end of the declaration", "声明结束"),
        _ => None,
    }
}

/// The ASCII mark a full-width one stands for, where the language's syntax uses it (typed with a
/// Chinese input method on, these look alike and fail to parse).
pub fn ascii_of_full_width(c: char) -> Option<char> {
    Some(match c {
        '，' => ',',
        '：' => ':',
        '（' => '(',
        '）' => ')',
        '｛' => '{',
        '｝' => '}',
        '［' | '【' => '[',
        '］' | '】' => ']',
        '“' | '”' | '＂' => '"',
        '＝' => '=',
        '＜' => '<',
        '＞' => '>',
        '．' => '.',
        '＃' => '#',
        '＋' => '+',
        '－' => '-',
        '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0'))?,
        _ => return None,
    })
}
