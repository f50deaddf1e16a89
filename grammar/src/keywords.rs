//! The keyword table: every English keyword and its Chinese spelling. The grammar accepts
//! both (and they may be mixed in one file); `docs/language.md` prints this table, and the
//! tests translate policies through it to check both spellings parse the same.

/// (English, Chinese, what it is for). Multi-word English keywords come first so a
/// translator can match them before their parts.
pub const KEYWORDS: &[(&str, &str, &str)] = &[
    ("not in", "不属于", "membership test, negated"),
    ("exception to", "例外于", "a rule that overrides another"),
    (
        "per street",
        "每街道",
        "rotation: communities picked in each street",
    ),
    (
        "working days",
        "工作日",
        "duration unit on the policy calendar",
    ),
    (
        "working day",
        "工作日",
        "duration unit on the policy calendar",
    ),
    ("policy", "政策", "file header: the policy's name and title"),
    (
        "source",
        "来源",
        "a legal source of the policy, with its date",
    ),
    (
        "effective",
        "生效",
        "the date a policy or rule takes effect",
    ),
    (
        "until",
        "截至",
        "the last date a policy or rule is in force",
    ),
    (
        "import",
        "导入",
        "use the definitions of another file of the set",
    ),
    ("enum", "枚举", "a list of named values with Chinese labels"),
    ("record", "记录", "the fields of an item of a list"),
    ("facts", "事实", "the facts a case is given in"),
    (
        "optional",
        "可选",
        "a section of facts that may be absent as a whole",
    ),
    (
        "param",
        "参数",
        "a named figure with a default, overridable by the caller",
    ),
    ("conclusion", "结论", "a named answer the rules settle"),
    (
        "collect",
        "汇集",
        "a conclusion that gathers values from every rule",
    ),
    (
        "default",
        "默认",
        "the value when nothing else is known or settled",
    ),
    ("let", "令", "a definition (value or predicate)"),
    ("rule", "规则", "a rule: title, cite, when, then"),
    ("cite", "依据", "the article a rule implements"),
    (
        "priority",
        "优先级",
        "which rule wins when several settle one conclusion",
    ),
    ("when", "当", "the condition of a rule"),
    (
        "then",
        "则",
        "the outcomes of a rule; also in `if … then … else`",
    ),
    ("conclude", "认定", "settle a conclusion"),
    ("add", "加入", "add a value to a collected conclusion"),
    (
        "to",
        "向",
        "the party of an obligation; `add … to …` (also 到)",
    ),
    ("must", "须", "an obligation: actor must action"),
    ("immediately", "立即", "a deadline: at the trigger time"),
    ("within", "限", "a deadline: a duration after the trigger"),
    (
        "from",
        "自",
        "the trigger time of a deadline; a roster's file; a plan's first month",
    ),
    ("by", "不迟于", "a deadline: an absolute date"),
    ("with", "会同", "the participants of an obligation"),
    (
        "note",
        "备注",
        "a note the decision carries when the rule fires",
    ),
    ("and", "且", "logical and (also 并且)"),
    ("or", "或", "logical or"),
    ("not", "非", "logical not"),
    ("in", "属于", "membership test"),
    ("is", "是", "`is known`, `is empty`"),
    ("known", "已知", "the fact is given"),
    ("unknown", "未知", "the fact is not given"),
    ("empty", "为空", "a set or list has no items"),
    ("if", "若", "`if … then … else`"),
    ("else", "否则", "`if … then … else`"),
    (
        "any",
        "任一",
        "any of a set of conditions, or of a list's items",
    ),
    (
        "all",
        "所有",
        "all of a set of conditions, or of a list's items",
    ),
    ("count", "计数", "the number of items"),
    ("sum", "求和", "the sum over a list"),
    ("min", "最小", "the least value over a list"),
    ("max", "最大", "the greatest value over a list"),
    ("where", "满足", "the filter of an aggregate"),
    ("true", "真", "truth value"),
    ("false", "假", "truth value"),
    ("test", "测试", "a test inside a policy file"),
    ("given", "给定", "the facts of a test"),
    ("as_of", "基准日", "the date a decision is made for"),
    ("expect", "预期", "an expectation of a test"),
    ("fired", "触发", "a rule fired"),
    ("no", "无", "no obligation of this kind"),
    ("due", "到期", "the due time of an obligation"),
    ("status", "状态", "the decision's status"),
    ("missing", "缺少", "a fact the decision needs"),
    ("first", "首先", "the most decisive missing fact"),
    ("undecided", "待定", "a conclusion still open"),
    ("calendar", "日历", "the working-day calendar"),
    ("covers", "覆盖", "the years a calendar covers"),
    ("holiday", "假日", "a public holiday (a date or a range)"),
    (
        "workday",
        "补班",
        "a make-up working day on a weekend (调休)",
    ),
    (
        "roster",
        "名册",
        "streets and communities, from a CSV file of the set",
    ),
    ("rotation", "轮换", "the monthly supervision rotation"),
    ("over", "范围", "the roster a rotation picks from"),
    ("every", "每", "how often a rotation runs"),
    ("month", "月", "a month"),
    ("pick", "抽取", "how many streets or communities"),
    ("streets", "条街道", "streets picked each month"),
    ("communities", "个社区", "communities picked in each street"),
    ("methods", "方式", "how a visit is made"),
    ("prefer", "优先", "what a rotation picks first"),
    ("exclude", "排除", "units taken out of a rotation"),
    ("seed", "种子", "the number tie-breaks are hashed with"),
    ("plan", "计划", "a plan test"),
    ("months", "月数", "how many months a plan test plans"),
    ("flag", "标记", "a street flagged for next month"),
    ("visited", "走访", "plan expectation"),
    ("once", "一次", "plan expectation"),
    ("repeated", "重复", "plan expectation"),
    ("street", "街道", "plan expectation"),
    ("community", "社区", "plan expectation"),
];

/// Duration units: (English singular, English plural, Chinese).
pub const UNITS: &[(&str, &str, &str)] = &[
    ("hour", "hours", "小时"),
    ("day", "days", "天"),
    ("working day", "working days", "工作日"),
    ("month", "months", "个月"),
    ("year", "years", "年"),
];

/// Built-in types and functions: (English, Chinese).
pub const BUILTINS: &[(&str, &str)] = &[
    ("Bool", "布尔"),
    ("Int", "整数"),
    ("Decimal", "小数"),
    ("Text", "文本"),
    ("Date", "日期"),
    ("DateTime", "日期时间"),
    ("Duration", "时长"),
    ("Set", "集合"),
    ("List", "列表"),
    ("zhousui", "周岁"),
    ("date", "日期"),
    ("days_between", "相差天数"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every keyword rule of the grammar appears in the table with the same spellings.
    #[test]
    fn table_matches_grammar() {
        let grammar = include_str!("humiao.pest");
        for (en, zh, _) in KEYWORDS {
            if en.contains(' ') {
                continue;
            }
            let en_q = format!("\"{en}\"");
            let zh_q = format!("\"{zh}\"");
            let found = grammar
                .lines()
                .any(|l| l.starts_with("kw_") && l.contains(&en_q) && l.contains(&zh_q));
            assert!(found, "no keyword rule accepts both {en} and {zh}");
        }
    }
}

#[cfg(test)]
mod doc_tests {
    use super::*;

    /// docs/language.md prints the whole keyword table.
    #[test]
    fn the_language_reference_lists_every_keyword() {
        let doc = include_str!("../../docs/language.md");
        for (en, zh, _) in KEYWORDS {
            assert!(
                doc.contains(&format!("| `{en}` | `{zh}` |")),
                "docs/language.md lacks {en} / {zh}"
            );
        }
    }
}
