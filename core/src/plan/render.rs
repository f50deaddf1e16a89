//! Writing a plan: JSON (CONTRACT.md), CSV (one row per community, readable back as history),
//! iCalendar (RFC 5545, one all-day event per visit) and a printable street × month matrix.

use std::fmt::Write as _;

use super::csv::field;
use super::hash::fnv1a64;
use super::{Plan, Reason, Roster, RotationSpec, Visit};
use crate::time::YearMonth;

/// The plan as compact JSON, UTF-8 unescaped, keys in the order of CONTRACT.md.
pub fn to_json(plan: &Plan) -> String {
    // Serialising these types cannot fail (string keys, no maps); an empty string would show it.
    serde_json::to_string(plan).unwrap_or_default()
}

fn joined_reasons(v: &Visit) -> String {
    v.reasons
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// One row per visited community (a visit without communities gets one row with them empty):
/// `month,street,street_code,community,community_code,methods,reasons,last_visited`; lists
/// inside a field are separated by `;`. CRLF line ends (RFC 4180), UTF-8 without a byte-order
/// mark. `parse_history_csv` reads the file back.
pub fn to_csv(plan: &Plan) -> String {
    let mut out = String::from(
        "month,street,street_code,community,community_code,methods,reasons,last_visited\r\n",
    );
    for pm in &plan.months {
        for v in &pm.visits {
            let methods = v.methods.join(";");
            let reasons = joined_reasons(v);
            let last = v.last_visited.map(|m| m.to_string()).unwrap_or_default();
            let mut row = |name: &str, code: &str| {
                let fields = [
                    pm.month.to_string(),
                    v.street.clone(),
                    v.street_code.clone(),
                    name.to_owned(),
                    code.to_owned(),
                    methods.clone(),
                    reasons.clone(),
                    last.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| field(f).into_owned()).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            };
            if v.communities.is_empty() {
                row("", "");
            }
            for c in &v.communities {
                row(&c.name, &c.code);
            }
        }
    }
    out
}

/// Method ids the bundled rotation uses, with their Chinese and English labels; any other id is
/// shown as written.
fn method_label(id: &str, zh: bool) -> String {
    let known = match id {
        "home_visit" => Some(("入户走访", "home visits")),
        "document_review" => Some(("查阅台账", "document review")),
        _ => None,
    };
    match known {
        Some((z, e)) => (if zh { z } else { e }).to_owned(),
        None => id.to_owned(),
    }
}

fn reason_text(r: Reason, last: Option<YearMonth>, zh: bool) -> String {
    let label = if zh { r.label_zh() } else { r.label_en() };
    match (r, last) {
        (Reason::LeastRecentlyVisited | Reason::CycleCompletion, Some(m)) => {
            if zh {
                format!("{label}（上次 {m}）")
            } else {
                format!("{label} (last visit {m})")
            }
        }
        _ => label.to_owned(),
    }
}

/// RFC 5545 TEXT escaping.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets (RFC 5545 §3.1): continuation lines start with
/// one space; a UTF-8 character, and an escape such as `\n`, is never split.
pub(crate) fn ics_line(out: &mut String, line: &str) {
    let mut used = 0usize;
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        let mut unit = String::from(ch);
        if ch == '\\' {
            if let Some(next) = chars.next() {
                unit.push(next);
            }
        }
        if used + unit.len() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push_str(&unit);
        used += unit.len();
    }
    out.push_str("\r\n");
}

/// Characters allowed as is in a UID; others are percent-encoded, so the UID stays ASCII and
/// stable for any rotation name.
fn uid_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn ics_date(m: YearMonth, day: u32) -> String {
    format!("{:04}{:02}{day:02}", m.year, m.month)
}

/// An iCalendar file: one all-day event per visit on the 1st of its month. The UID comes from
/// the rotation, the month and the street code; DTSTAMP is the month's first midnight (UTC), so
/// the same plan always gives the same bytes and re-importing updates the events in place.
pub fn to_ics(plan: &Plan, spec: &RotationSpec) -> String {
    let mut out = String::new();
    let title = if spec.title.is_empty() {
        spec.name.as_str()
    } else {
        spec.title.as_str()
    };
    ics_line(&mut out, "BEGIN:VCALENDAR");
    ics_line(&mut out, "VERSION:2.0");
    ics_line(&mut out, "PRODID:-//humiao//rotation planner//ZH");
    ics_line(&mut out, "CALSCALE:GREGORIAN");
    ics_line(&mut out, "METHOD:PUBLISH");
    ics_line(&mut out, &format!("X-WR-CALNAME:{}", ics_text(title)));
    let rotation = uid_part(&plan.rotation);
    for pm in &plan.months {
        for v in &pm.visits {
            let code = if v.street_code.is_empty() {
                format!("{:016x}", fnv1a64(v.street.as_bytes()))
            } else {
                uid_part(&v.street_code)
            };
            let communities: Vec<&str> = v.communities.iter().map(|c| c.name.as_str()).collect();
            let summary = if communities.is_empty() {
                format!("督导：{}", v.street)
            } else {
                format!("督导：{}（{}）", v.street, communities.join("、"))
            };
            let methods: Vec<String> = v.methods.iter().map(|m| method_label(m, true)).collect();
            let reasons: Vec<String> = v
                .reasons
                .iter()
                .map(|r| reason_text(*r, v.last_visited, true))
                .collect();
            let description = format!(
                "{title}\n月份：{}\n街道：{}（{}）\n社区：{}\n方式：{}\n理由：{}\n轮换：{}",
                pm.month,
                v.street,
                v.street_code,
                v.communities
                    .iter()
                    .map(|c| format!("{}（{}）", c.name, c.code))
                    .collect::<Vec<_>>()
                    .join("、"),
                methods.join("、"),
                reasons.join("；"),
                plan.rotation
            );
            ics_line(&mut out, "BEGIN:VEVENT");
            ics_line(
                &mut out,
                &format!("UID:{rotation}-{}-{code}@humiao", pm.month),
            );
            ics_line(
                &mut out,
                &format!("DTSTAMP:{}T000000Z", ics_date(pm.month, 1)),
            );
            ics_line(
                &mut out,
                &format!("DTSTART;VALUE=DATE:{}", ics_date(pm.month, 1)),
            );
            ics_line(
                &mut out,
                &format!("DTEND;VALUE=DATE:{}", ics_date(pm.month, 2)),
            );
            ics_line(&mut out, &format!("SUMMARY:{}", ics_text(&summary)));
            ics_line(&mut out, &format!("DESCRIPTION:{}", ics_text(&description)));
            ics_line(&mut out, "TRANSP:TRANSPARENT");
            ics_line(&mut out, "END:VEVENT");
        }
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

/// Columns a character takes in a terminal or a monospaced print-out: 2 for East Asian wide and
/// fullwidth characters (CJK, Hangul, fullwidth forms), 0 for combining marks and controls, 1
/// otherwise. Simple ranges, enough for Chinese place names.
fn char_width(c: char) -> usize {
    let u = u32::from(c);
    let zero = u < 0x20
        || (0x7f..0xa0).contains(&u)
        || (0x0300..=0x036f).contains(&u)
        || (0x200b..=0x200f).contains(&u)
        || (0xfe00..=0xfe0f).contains(&u);
    let wide = (0x1100..=0x115f).contains(&u)
        || (0x2e80..=0x303e).contains(&u)
        || (0x3041..=0x33ff).contains(&u)
        || (0x3400..=0x4dbf).contains(&u)
        || (0x4e00..=0x9fff).contains(&u)
        || (0xa000..=0xa4cf).contains(&u)
        || (0xac00..=0xd7a3).contains(&u)
        || (0xf900..=0xfaff).contains(&u)
        || (0xfe30..=0xfe4f).contains(&u)
        || (0xff00..=0xff60).contains(&u)
        || (0xffe0..=0xffe6).contains(&u)
        || (0x1f300..=0x1f64f).contains(&u)
        || (0x20000..=0x3fffd).contains(&u);
    if zero {
        0
    } else if wide {
        2
    } else {
        1
    }
}

/// The display width of a string (see `char_width`): `洪桥街道` is 8, `2027-01` is 7.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn pad(s: &str, width: usize) -> String {
    let mut out = s.to_owned();
    for _ in display_width(s)..width {
        out.push(' ');
    }
    out
}

/// A community's short name for the matrix: without the suffix 社区.
fn short(name: &str) -> &str {
    match name.strip_suffix("社区") {
        Some(rest) if !rest.is_empty() => rest,
        _ => name,
    }
}

/// The matrix marker of a visit: `*` flagged, `+` cycle completion, `^` never visited; none for
/// a visit in its turn by least recently visited. ASCII, so every terminal agrees on the width.
fn marker(v: &Visit) -> &'static str {
    if v.reasons.contains(&Reason::Flagged) {
        " *"
    } else if v.reasons.contains(&Reason::CycleCompletion) {
        " +"
    } else if v.reasons.contains(&Reason::NeverVisited) {
        " ^"
    } else {
        ""
    }
}

const MONTHS_PER_BLOCK: usize = 12;

/// A printable plan: a street × month matrix (rows = streets in roster order, then any street of
/// the plan that is not in the roster; columns = months, 12 to a block; cells = the communities
/// visited, one per line, without the suffix 社区), a legend, every visit with its reasons, and
/// the notes. Chinese labels when `lang_zh`, English otherwise (names stay as in the roster).
pub fn to_human(plan: &Plan, roster: &Roster, lang_zh: bool) -> String {
    let zh = lang_zh;
    let mut out = String::new();
    let first = plan.months.first().map(|m| m.month).unwrap_or(plan.from);
    let last = plan.months.last().map(|m| m.month).unwrap_or(plan.from);
    if zh {
        let _ = writeln!(
            out,
            "督导轮换计划 {}：{first} 至 {last}，共 {} 个月",
            plan.rotation,
            plan.months.len()
        );
    } else {
        let _ = writeln!(
            out,
            "Rotation plan {}: {first} to {last}, {} month(s)",
            plan.rotation,
            plan.months.len()
        );
    }
    out.push('\n');

    let mut streets: Vec<String> = roster.streets.iter().map(|s| s.name.clone()).collect();
    for pm in &plan.months {
        for v in &pm.visits {
            if !streets.contains(&v.street) {
                streets.push(v.street.clone());
            }
        }
    }
    let street_head = if zh { "街道" } else { "street" };
    let street_w = streets
        .iter()
        .map(|s| display_width(s))
        .chain([display_width(street_head)])
        .max()
        .unwrap_or(0);

    for block in plan.months.chunks(MONTHS_PER_BLOCK) {
        // cells[street][month] = lines
        let cells: Vec<Vec<Vec<String>>> = streets
            .iter()
            .map(|name| {
                block
                    .iter()
                    .map(|pm| match pm.visits.iter().find(|v| &v.street == name) {
                        None => Vec::new(),
                        Some(v) => {
                            let mut lines: Vec<String> = v
                                .communities
                                .iter()
                                .map(|c| short(&c.name).to_owned())
                                .collect();
                            if lines.is_empty() {
                                lines.push("x".to_owned());
                            }
                            if let Some(first) = lines.first_mut() {
                                first.push_str(marker(v));
                            }
                            lines
                        }
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = (0..block.len())
            .map(|j| {
                cells
                    .iter()
                    .filter_map(|row| row.get(j))
                    .flat_map(|lines| lines.iter().map(|l| display_width(l)))
                    .chain([7])
                    .max()
                    .unwrap_or(7)
            })
            .collect();
        let rule = {
            let mut r = format!("+{}", "-".repeat(street_w + 2));
            for w in &widths {
                let _ = write!(r, "+{}", "-".repeat(w + 2));
            }
            r.push('+');
            r
        };
        out.push_str(&rule);
        out.push('\n');
        let mut head = format!("| {} ", pad(street_head, street_w));
        for (pm, w) in block.iter().zip(&widths) {
            let _ = write!(head, "| {} ", pad(&pm.month.to_string(), *w));
        }
        head.push('|');
        out.push_str(&head);
        out.push('\n');
        out.push_str(&rule);
        out.push('\n');
        for (name, row) in streets.iter().zip(&cells) {
            let height = row.iter().map(Vec::len).max().unwrap_or(0).max(1);
            for line in 0..height {
                let label = if line == 0 { name.as_str() } else { "" };
                let mut text = format!("| {} ", pad(label, street_w));
                for (cell, w) in row.iter().zip(&widths) {
                    let piece = cell.get(line).map_or("", |s| s.as_str());
                    let _ = write!(text, "| {} ", pad(piece, *w));
                }
                text.push('|');
                out.push_str(text.trim_end());
                out.push('\n');
            }
            out.push_str(&rule);
            out.push('\n');
        }
        out.push('\n');
    }

    if zh {
        out.push_str("图例：单元格为当月督导的社区（省略“社区”二字）；空白为当月不督导。\n");
        out.push_str("  *  重点标记：该街道被标记，安排在计划首月\n");
        out.push_str("  +  轮次补位：本轮最后一个月名额有余，补给最久未督导的街道\n");
        out.push_str("  ^  从未督导\n");
        out.push_str("  无标记：按轮次，本轮尚未督导的街道中最久未督导者优先\n");
    } else {
        out.push_str("Legend: a cell lists the communities visited that month (without the suffix 社区); blank: not visited.\n");
        out.push_str("  *  flagged: the street was flagged and is in the plan's first month\n");
        out.push_str("  +  cycle completion: an extra visit filling the last month of a round\n");
        out.push_str("  ^  never visited before\n");
        out.push_str("  no mark: its turn in the round, least recently visited first\n");
    }
    out.push('\n');

    out.push_str(if zh {
        "督导明细：\n"
    } else {
        "Visits and reasons:\n"
    });
    for pm in &plan.months {
        let _ = writeln!(out, "  {}", pm.month);
        for v in &pm.visits {
            let sep = if zh { "、" } else { ", " };
            let communities: Vec<&str> = v.communities.iter().map(|c| c.name.as_str()).collect();
            let reasons: Vec<String> = v
                .reasons
                .iter()
                .map(|r| reason_text(*r, v.last_visited, zh))
                .collect();
            let methods: Vec<String> = v.methods.iter().map(|m| method_label(m, zh)).collect();
            if zh {
                let _ = writeln!(
                    out,
                    "    {}：{} —— {}；{}",
                    v.street,
                    communities.join(sep),
                    reasons.join("；"),
                    methods.join("、")
                );
            } else {
                let _ = writeln!(
                    out,
                    "    {}: {} — {}; {}",
                    v.street,
                    communities.join(sep),
                    reasons.join("; "),
                    methods.join(", ")
                );
            }
        }
    }
    let notes = if zh && plan.notes_zh.len() == plan.notes.len() {
        &plan.notes_zh
    } else {
        &plan.notes
    };
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(if zh { "说明：\n" } else { "Notes:\n" });
        for n in notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}
