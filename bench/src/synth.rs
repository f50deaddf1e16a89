//! Generated policy sets for the compile benchmark: synthetic but shaped like the bundled
//! rules. Each file is one policy of up to 100 rules over its own optional facts section,
//! importing the bundled `common.humiao` (the shared schema and definitions), next to the
//! bundled calendar and reporting rules: sets that a district office could grow into, by adding systems.
//!
//! The rules cycle through the forms of `rules/*.humiao`: situations added to a collected
//! conclusion from `any {…}` of signs, ages and sex; a threshold param; a risk level settled by
//! priorities; obligations with deadlines (immediately, hours, working days) that read the
//! conclusions; an exception; a date computed with a duration param; a note. The only
//! randomness is the SplitMix64 of the workload, from a fixed seed.

use crate::workload::SplitMix64;

/// The bundled files a generated set starts from: the shared schema and definitions, the
/// calendar, and reporting.humiao (common.humiao's own tests name its situations).
pub const BASE_FILES: [&str; 3] = ["common.humiao", "calendar.humiao", "reporting.humiao"];

/// Rules per generated file.
pub const RULES_PER_FILE: usize = 100;
const SIGNS: u64 = 16;
const FINDINGS: usize = 10;

/// A policy set with `rules` generated rules added to `base` (the bundled files it imports:
/// [`BASE_FILES`]), as (path, text) pairs: a manifest, the base files as given, and
/// `synth_NNN.humiao` files.
pub fn policy_set(rules: usize, base: &[(String, String)]) -> Vec<(String, String)> {
    let mut rng = SplitMix64::new(crate::workload::SEED ^ rules as u64);
    let mut files = Vec::new();
    let mut left = rules;
    let mut k = 0;
    while left > 0 {
        let n = left.min(RULES_PER_FILE);
        files.push((format!("synth_{k:03}.humiao"), file(k, n, &mut rng)));
        left -= n;
        k += 1;
    }
    let mut names: Vec<String> = base.iter().map(|(p, _)| format!("\"{p}\"")).collect();
    names.extend(files.iter().map(|(p, _)| format!("\"{p}\"")));
    let manifest = format!(
        "name = \"synthetic-{rules}\"\nversion = \"1\"\nfiles = [{}]\n",
        names.join(", ")
    );
    let mut out = vec![("humiao.toml".to_string(), manifest)];
    out.extend(base.iter().cloned());
    out.extend(files);
    out
}

fn file(k: usize, rules: usize, r: &mut SplitMix64) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(rules * 400 + 4000);
    let _ = writeln!(
        s,
        "# 合成政策 {k}：编译基准用，规则形状取自 rules/ 中的真实规则（bench/src/synth.rs 生成）。\n\
         policy synth_{k} \"合成政策 {k} / synthetic policy {k}\"\n  \
           source \"基准测试合成规则集\" 2026-01-01\n  \
           effective 2021-01-01\n\n\
         import \"common.humiao\"\n"
    );
    let _ = writeln!(s, "enum Finding{k} \"情形（合成 {k}）\" {{");
    for f in 0..FINDINGS {
        let _ = writeln!(s, "  s{k}_finding_{f} \"情形 {f}\"");
    }
    s.push_str("}\n\n");
    let _ = writeln!(s, "facts s{k} optional \"合成事实 {k}\" {{");
    for g in 0..SIGNS {
        let _ = writeln!(s, "  sign_{g}: Bool default false \"迹象 {g}\"");
    }
    s.push_str(
        "  incidents: Int? @range(0, 1000) \"次数\"\n  \
           risk: RiskLevel? \"风险等级\"\n  \
           last_review: Date? \"上次复核日期\"\n}\n\n",
    );
    let _ = writeln!(
        s,
        "param s{k}.threshold: Int = 3\n  @unconfirmed \"合成参数 / a synthetic figure\"\n\
         param s{k}.review_every: Duration = 6 months @source \"合成参数\"\n\
         param s{k}.deadline: Duration = 5 working days @source \"合成参数\"\n"
    );
    let _ = writeln!(
        s,
        "conclusion s{k}.findings: Set<Finding{k}> collect \"情形\"\n\
         conclusion s{k}.risk_level: RiskLevel default green \"风险等级\"\n\
         conclusion s{k}.next_review: Date \"下次复核日期\"\n"
    );
    let _ = writeln!(
        s,
        "let repeated_{k} = s{k}.incidents >= s{k}.threshold\n\
         let young_girl_{k} = is_minor and minor.sex == female and age < 14\n"
    );
    let sign = |r: &mut SplitMix64| r.below(SIGNS);
    for i in 0..rules {
        let f = i % FINDINGS;
        let (a, b, c) = (sign(r), sign(r), sign(r));
        let _ = writeln!(
            s,
            "rule r_{i} \"合成规则 {i}\"\n  cite \"合成规则集 第{k}号 第{i}条\""
        );
        let body = match i % 10 {
            0 | 1 => format!(
                "  when is_minor and s{k}.sign_{a} and (s{k}.sign_{b} or repeated_{k})\n  \
                 then add s{k}_finding_{f} to s{k}.findings"
            ),
            2 => format!(
                "  when young_girl_{k} and any {{s{k}.sign_{a}, s{k}.sign_{b}, s{k}.sign_{c}}}\n  \
                 then add s{k}_finding_{f} to s{k}.findings"
            ),
            3 => format!(
                "  when is_minor and s{k}.risk in {{red, yellow}} and not s{k}.sign_{a}\n  \
                 then add s{k}_finding_{f} to s{k}.findings"
            ),
            4 => format!(
                "  priority {}\n  when s{k}_finding_{f} in s{k}.findings and (repeated_{k} or s{k}.sign_{a})\n  \
                 then conclude s{k}.risk_level = {}",
                i + 1,
                ["red", "yellow", "blue"].get(i / 10 % 3).copied().unwrap_or("blue")
            ),
            5 => format!(
                "  when s{k}_finding_{f} in s{k}.findings and at_work\n  \
                 then reporter must report to public_security immediately"
            ),
            6 => format!(
                "  when s{k}.findings is not empty and s{k}.risk_level == red\n  \
                 then district_minor_protection_office must convene_consultation within s{k}.deadline\n       \
                 with civil_affairs, public_security, street_workstation"
            ),
            7 if i > 0 => format!(
                "  exception to r_{}\n  when s{k}.sign_{a} and s{k}.sign_{b} and age >= 16\n  \
                 then note \"合成例外 {i} / synthetic exception {i}\"",
                i - 1
            ),
            8 if i == 8 => format!(
                "  when s{k}.last_review is known\n  \
                 then conclude s{k}.next_review = s{k}.last_review + s{k}.review_every"
            ),
            _ => format!(
                "  when reporter.org_type in {{school, kindergarten}} and at_work and s{k}.sign_{a}\n  \
                 then reporter must report to education_authority within 24 hours"
            ),
        };
        s.push_str(&body);
        s.push_str("\n\n");
    }
    s
}
