//! The roster: streets (街道) and their communities (社区), read from the district's CSV.

use std::collections::HashMap;

use super::csv::{self, CsvProblem};

/// A community (社区) of a street.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// The name as staff write it, e.g. `三眼井社区`.
    pub name: String,
    /// The statistical code, e.g. `440104001007`.
    pub code: String,
}

/// A street (街道) and its communities, in roster order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Street {
    pub name: String,
    pub code: String,
    pub communities: Vec<Community>,
}

/// The streets of a district in roster order (the order of the CSV). `name` is the roster's
/// declared name (e.g. `yuexiu`); `parse_roster_csv` leaves it empty for the caller to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub name: String,
    pub streets: Vec<Street>,
}

impl Roster {
    /// The index of the street with this name or code.
    pub fn street_index(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        self.streets
            .iter()
            .position(|s| s.name == key)
            .or_else(|| self.streets.iter().position(|s| s.code == key))
    }

    /// The street with this name or code.
    pub fn street(&self, key: &str) -> Option<&Street> {
        self.street_index(key).and_then(|i| self.streets.get(i))
    }
}

impl Street {
    /// The index of the community with this name or code.
    pub fn community_index(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        self.communities
            .iter()
            .position(|c| c.name == key)
            .or_else(|| self.communities.iter().position(|c| c.code == key))
    }
}

/// One problem in a roster, with the CSV line it is on (for a roster built in code: the line the
/// community would have in a CSV with a header, i.e. 2 for the first community).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct RosterError {
    pub line: usize,
    pub kind: RosterErrorKind,
}

/// What is wrong with a roster line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterErrorKind {
    #[error("a quoted field is not closed")]
    UnterminatedQuote,
    #[error("a quote inside an unquoted field (quote the whole field and double the quote)")]
    StrayQuote,
    #[error("text after the closing quote of a field")]
    TextAfterQuote,
    #[error(
        "the roster is empty (expected the header street,street_code,community,community_code)"
    )]
    Empty,
    #[error("the header has no column `{0}` (expected street,street_code,community,community_code[,source...])")]
    MissingColumn(String),
    #[error("the column `{0}` appears twice in the header")]
    DuplicateColumn(String),
    #[error("{found} fields, but the header has {expected} (a comma in a field needs quotes)")]
    FieldCount { found: usize, expected: usize },
    #[error("empty {0}")]
    EmptyField(String),
    #[error("street {street} has the code {code} here but {first_code} on line {first_line}")]
    StreetCodeChanged {
        street: String,
        code: String,
        first_code: String,
        first_line: usize,
    },
    #[error("street code {code} is already the code of {first_street} (line {first_line}), not of {street}")]
    StreetCodeReused {
        code: String,
        street: String,
        first_street: String,
        first_line: usize,
    },
    #[error("community code {code} is already used on line {first_line}")]
    DuplicateCommunityCode { code: String, first_line: usize },
    #[error("{street} lists the community {community} twice (first on line {first_line})")]
    DuplicateCommunityName {
        street: String,
        community: String,
        first_line: usize,
    },
    #[error("street {street} has no communities")]
    StreetWithoutCommunities { street: String },
    #[error("the roster has no communities")]
    NoCommunities,
}

impl RosterError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        format!("第 {} 行：{}", self.line, self.kind.message_zh())
    }
}

impl RosterErrorKind {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        use RosterErrorKind as K;
        match self {
            K::UnterminatedQuote => "带引号的字段没有结束引号".to_owned(),
            K::StrayQuote => {
                "未加引号的字段中出现引号（请给整个字段加引号，并把其中的引号写两遍）".to_owned()
            }
            K::TextAfterQuote => "字段的结束引号后还有文字".to_owned(),
            K::Empty => {
                "名册为空（应有表头 street,street_code,community,community_code）".to_owned()
            }
            K::MissingColumn(c) => {
                format!("表头缺少列 `{c}`（应为 street,street_code,community,community_code[,source...]）")
            }
            K::DuplicateColumn(c) => format!("表头中列 `{c}` 出现两次"),
            K::FieldCount { found, expected } => {
                format!("有 {found} 个字段，表头有 {expected} 个（字段中的逗号需要加引号）")
            }
            K::EmptyField(what) => format!("{} 为空", column_zh(what)),
            K::StreetCodeChanged {
                street,
                code,
                first_code,
                first_line,
            } => {
                format!("街道 {street} 在此的代码是 {code}，但第 {first_line} 行是 {first_code}")
            }
            K::StreetCodeReused {
                code,
                street,
                first_street,
                first_line,
            } => {
                format!("街道代码 {code} 已是 {first_street}（第 {first_line} 行）的代码，不能再用于 {street}")
            }
            K::DuplicateCommunityCode { code, first_line } => {
                format!("社区代码 {code} 已在第 {first_line} 行使用")
            }
            K::DuplicateCommunityName {
                street,
                community,
                first_line,
            } => {
                format!("{street} 两次列出社区 {community}（第一次在第 {first_line} 行）")
            }
            K::StreetWithoutCommunities { street } => format!("街道 {street} 没有社区"),
            K::NoCommunities => "名册中没有社区".to_owned(),
        }
    }
}

fn column_zh(what: &str) -> &str {
    match what {
        "street name" => "街道名称",
        "street code" => "街道代码",
        "community name" => "社区名称",
        "community code" => "社区代码",
        other => other,
    }
}

const COLUMNS: [&str; 4] = ["street", "street_code", "community", "community_code"];

/// One community row, before the rows are grouped into streets.
struct Row<'a> {
    line: usize,
    street: &'a str,
    street_code: &'a str,
    community: &'a str,
    community_code: &'a str,
}

/// Reads the roster CSV: a header naming the columns `street,street_code,community,community_code`
/// (in any order; other columns such as `source` are ignored), then one row per community.
/// Streets appear in the order of their first row, communities in row order. Every problem is
/// reported, each with its line.
pub fn parse_roster_csv(text: &str) -> Result<Roster, Vec<RosterError>> {
    let (records, problems) = csv::read(text);
    let mut errors: Vec<RosterError> = problems
        .into_iter()
        .map(|(line, p)| RosterError {
            line,
            kind: match p {
                CsvProblem::Unterminated => RosterErrorKind::UnterminatedQuote,
                CsvProblem::Stray => RosterErrorKind::StrayQuote,
                CsvProblem::TextAfter => RosterErrorKind::TextAfterQuote,
            },
        })
        .collect();
    let Some((header, rows)) = records.split_first() else {
        errors.push(RosterError {
            line: 1,
            kind: RosterErrorKind::Empty,
        });
        return Err(errors);
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|f| f.trim().to_lowercase())
        .collect();
    let mut index = [0usize; 4];
    let mut header_ok = true;
    for (slot, col) in index.iter_mut().zip(COLUMNS) {
        let mut found = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.as_str() == col)
            .map(|(i, _)| i);
        match (found.next(), found.next()) {
            (Some(i), None) => *slot = i,
            (Some(_), Some(_)) => {
                header_ok = false;
                errors.push(RosterError {
                    line: header.line,
                    kind: RosterErrorKind::DuplicateColumn(col.to_owned()),
                });
            }
            (None, _) => {
                header_ok = false;
                errors.push(RosterError {
                    line: header.line,
                    kind: RosterErrorKind::MissingColumn(col.to_owned()),
                });
            }
        }
    }
    if !header_ok {
        return Err(errors);
    }
    let mut parsed = Vec::new();
    for record in rows {
        if record.fields.len() != names.len() {
            errors.push(RosterError {
                line: record.line,
                kind: RosterErrorKind::FieldCount {
                    found: record.fields.len(),
                    expected: names.len(),
                },
            });
            continue;
        }
        let get = |i: usize| record.fields.get(i).map_or("", |s| s.as_str());
        let [s, sc, c, cc] = index;
        parsed.push(Row {
            line: record.line,
            street: get(s),
            street_code: get(sc),
            community: get(c),
            community_code: get(cc),
        });
    }
    match build(&parsed, errors) {
        Ok(streets) => Ok(Roster {
            name: String::new(),
            streets,
        }),
        Err(errors) => Err(errors),
    }
}

/// Checks a roster built in code with the same rules as `parse_roster_csv` (names and codes
/// present, street codes consistent, no duplicate community codes or names). The line of an
/// error is the line the community would have in a CSV with a header.
pub fn validate_roster(roster: &Roster) -> Result<(), Vec<RosterError>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut line = 1usize;
    for street in &roster.streets {
        if street.communities.is_empty() {
            errors.push(RosterError {
                line: line + 1,
                kind: RosterErrorKind::StreetWithoutCommunities {
                    street: street.name.clone(),
                },
            });
        }
        for c in &street.communities {
            line += 1;
            rows.push(Row {
                line,
                street: &street.name,
                street_code: &street.code,
                community: &c.name,
                community_code: &c.code,
            });
        }
    }
    build(&rows, errors).map(|_| ())
}

fn build(rows: &[Row<'_>], mut errors: Vec<RosterError>) -> Result<Vec<Street>, Vec<RosterError>> {
    let mut streets: Vec<Street> = Vec::new();
    // street name -> (index, code, first line); street code -> (name, first line)
    let mut by_name: HashMap<&str, (usize, &str, usize)> = HashMap::new();
    let mut by_code: HashMap<&str, (&str, usize)> = HashMap::new();
    let mut community_codes: HashMap<&str, usize> = HashMap::new();
    let mut community_names: HashMap<(&str, &str), usize> = HashMap::new();
    for row in rows {
        let mut ok = true;
        for (value, what) in [
            (row.street, "street name"),
            (row.street_code, "street code"),
            (row.community, "community name"),
            (row.community_code, "community code"),
        ] {
            if value.trim().is_empty() {
                errors.push(RosterError {
                    line: row.line,
                    kind: RosterErrorKind::EmptyField(what.to_owned()),
                });
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        let street_idx = match by_name.get(row.street) {
            Some(&(idx, code, first_line)) => {
                if code != row.street_code {
                    errors.push(RosterError {
                        line: row.line,
                        kind: RosterErrorKind::StreetCodeChanged {
                            street: row.street.to_owned(),
                            code: row.street_code.to_owned(),
                            first_code: code.to_owned(),
                            first_line,
                        },
                    });
                }
                idx
            }
            None => {
                if let Some(&(other, first_line)) = by_code.get(row.street_code) {
                    errors.push(RosterError {
                        line: row.line,
                        kind: RosterErrorKind::StreetCodeReused {
                            code: row.street_code.to_owned(),
                            street: row.street.to_owned(),
                            first_street: other.to_owned(),
                            first_line,
                        },
                    });
                } else {
                    by_code.insert(row.street_code, (row.street, row.line));
                }
                let idx = streets.len();
                by_name.insert(row.street, (idx, row.street_code, row.line));
                streets.push(Street {
                    name: row.street.to_owned(),
                    code: row.street_code.to_owned(),
                    communities: Vec::new(),
                });
                idx
            }
        };
        if let Some(&first_line) = community_codes.get(row.community_code) {
            errors.push(RosterError {
                line: row.line,
                kind: RosterErrorKind::DuplicateCommunityCode {
                    code: row.community_code.to_owned(),
                    first_line,
                },
            });
            continue;
        }
        community_codes.insert(row.community_code, row.line);
        if let Some(&first_line) = community_names.get(&(row.street, row.community)) {
            errors.push(RosterError {
                line: row.line,
                kind: RosterErrorKind::DuplicateCommunityName {
                    street: row.street.to_owned(),
                    community: row.community.to_owned(),
                    first_line,
                },
            });
            continue;
        }
        community_names.insert((row.street, row.community), row.line);
        if let Some(street) = streets.get_mut(street_idx) {
            street.communities.push(Community {
                name: row.community.to_owned(),
                code: row.community_code.to_owned(),
            });
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RosterError {
            line: 2,
            kind: RosterErrorKind::NoCommunities,
        });
    }
    if errors.is_empty() {
        Ok(streets)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn reads_streets_and_communities_in_order() {
        let text = "street,street_code,community,community_code,source\n\
                    洪桥街道,440104001,三眼井社区,440104001007,\"NBS, 2023\"\n\
                    北京街道,440104003,流水井社区,440104003104,x\n\
                    洪桥街道,440104001,德源里社区,440104001101,x\n";
        let r = parse_roster_csv(text).unwrap();
        assert_eq!(r.streets.len(), 2);
        assert_eq!(r.streets[0].name, "洪桥街道");
        assert_eq!(r.streets[0].communities.len(), 2);
        assert_eq!(r.streets[0].communities[1].code, "440104001101");
        assert_eq!(r.street_index("440104003"), Some(1));
        assert_eq!(r.streets[1].community_index("流水井社区"), Some(0));
        assert!(validate_roster(&r).is_ok());
    }

    #[test]
    fn columns_by_name_in_any_order() {
        let text = "community_code,community,street,street_code\n1001,甲社区,一街道,1\n";
        let r = parse_roster_csv(text).unwrap();
        assert_eq!(r.streets[0].communities[0].name, "甲社区");
        assert_eq!(r.streets[0].code, "1");
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "street,street_code,community,community_code\n\
                    一街道,1,甲社区,1001\n\
                    一街道,2,乙社区,1002\n\
                    二街道,1,丙社区,1003\n\
                    二街道,3,丁社区,1001\n\
                    一街道,1,甲社区,1009\n\
                    ,1,戊社区,1010\n\
                    一街道,1,a,b,c\n\
                    \"一街道,1,己社区,1011\n";
        let errors = parse_roster_csv(text).unwrap_err();
        let lines: Vec<(usize, String)> = errors.iter().map(|e| (e.line, e.to_string())).collect();
        let has =
            |line: usize, needle: &str| lines.iter().any(|(l, m)| *l == line && m.contains(needle));
        assert!(has(3, "has the code 2 here but 1 on line 2"), "{lines:?}");
        assert!(has(4, "already the code of 一街道"), "{lines:?}");
        assert!(has(5, "has the code 3 here but 1 on line 4"), "{lines:?}");
        assert!(
            has(5, "community code 1001 is already used on line 2"),
            "{lines:?}"
        );
        assert!(has(6, "lists the community 甲社区 twice"), "{lines:?}");
        assert!(has(7, "empty street name"), "{lines:?}");
        assert!(has(8, "5 fields, but the header has 4"), "{lines:?}");
        assert!(has(9, "not closed"), "{lines:?}");
        assert!(errors.iter().all(|e| !e.message_zh().is_empty()));
    }

    #[test]
    fn header_problems() {
        let e = parse_roster_csv("street,code,community,community_code\n").unwrap_err();
        assert_eq!(
            e[0].kind,
            RosterErrorKind::MissingColumn("street_code".into())
        );
        assert_eq!(e[0].line, 1);
        let e = parse_roster_csv("").unwrap_err();
        assert_eq!(e[0].kind, RosterErrorKind::Empty);
        let e = parse_roster_csv("street,street_code,community,community_code\n").unwrap_err();
        assert_eq!(e[0].kind, RosterErrorKind::NoCommunities);
    }

    #[test]
    fn validate_roster_built_in_code() {
        let roster = Roster {
            name: "x".into(),
            streets: vec![
                Street {
                    name: "一".into(),
                    code: "1".into(),
                    communities: vec![],
                },
                Street {
                    name: "二".into(),
                    code: "2".into(),
                    communities: vec![
                        Community {
                            name: "甲".into(),
                            code: "9".into(),
                        },
                        Community {
                            name: "乙".into(),
                            code: "9".into(),
                        },
                    ],
                },
            ],
        };
        let e = validate_roster(&roster).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(
            e[0].kind,
            RosterErrorKind::StreetWithoutCommunities {
                street: "一".into()
            }
        );
        assert_eq!(e[1].line, 3);
    }
}
