//! Unit tests of the planner over the real Yuexiu roster and small hand-made rosters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use super::*;

/// The real roster (shared/domain/yuexiu-roster.csv), read at test time: the core itself never
/// touches files.
pub(super) fn yuexiu() -> Roster {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/domain/yuexiu-roster.csv");
    let text = std::fs::read_to_string(&beside)
        .or_else(|_| std::fs::read_to_string("/work/shared/domain/yuexiu-roster.csv"))
        .expect("the Yuexiu roster CSV");
    let mut roster = parse_roster_csv(&text).expect("the roster parses");
    roster.name = "yuexiu".into();
    roster
}

pub(super) fn spec(k: u32, c: u32) -> RotationSpec {
    RotationSpec {
        name: "supervision".into(),
        title: "专项督导：每月3条街道、6个社区".into(),
        streets_per_month: k,
        communities_per_street: c,
        methods: vec!["home_visit".into(), "document_review".into()],
        prefer: vec![Preference::Flagged, Preference::LeastRecentlyVisited],
        exclude: vec![],
        seed: 2026,
    }
}

pub(super) fn ym(s: &str) -> YearMonth {
    YearMonth::parse(s).unwrap()
}

/// A roster of `sizes.len()` streets named S1.., with `sizes[i]` communities each.
pub(super) fn small_roster(sizes: &[usize]) -> Roster {
    Roster {
        name: "test".into(),
        streets: sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Street {
                name: format!("S{}", i + 1),
                code: format!("{}", 100 + i),
                communities: (0..n)
                    .map(|j| Community {
                        name: format!("S{}C{}", i + 1, j + 1),
                        code: format!("{}{:03}", 100 + i, j),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn flag(street: &str, reason: &str) -> Flag {
    Flag {
        street: street.into(),
        reason: reason.into(),
    }
}

fn streets_of(m: &PlanMonth) -> Vec<&str> {
    m.visits.iter().map(|v| v.street.as_str()).collect()
}

/// A synthetic history of `rounds` months as a person might have kept it: streets in roster
/// order, 3 a month, and inside each street the communities in roster order, 2 a visit.
fn synthetic_history(roster: &Roster, start: YearMonth, rounds: usize) -> Vec<PlanMonth> {
    let n = roster.streets.len();
    let mut next_comm = vec![0usize; n];
    (0..rounds)
        .map(|i| {
            let visits = (0..3)
                .map(|j| {
                    let s = (i * 3 + j) % n;
                    let st = &roster.streets[s];
                    let m = st.communities.len();
                    let comms = (0..2.min(m))
                        .map(|t| {
                            let c = &st.communities[(next_comm[s] + t) % m];
                            PlanCommunity {
                                name: c.name.clone(),
                                code: c.code.clone(),
                            }
                        })
                        .collect();
                    next_comm[s] = (next_comm[s] + 2.min(m)) % m;
                    Visit {
                        street: st.name.clone(),
                        street_code: st.code.clone(),
                        communities: comms,
                        methods: vec![],
                        reasons: vec![],
                        last_visited: None,
                    }
                })
                .collect();
            PlanMonth {
                month: start.add(i as i64).unwrap(),
                visits,
            }
        })
        .collect()
}

#[test]
fn the_real_roster_has_18_streets_and_222_communities() {
    let r = yuexiu();
    assert_eq!(r.streets.len(), 18);
    assert_eq!(
        r.streets.iter().map(|s| s.communities.len()).sum::<usize>(),
        222
    );
    let liuhua = r.street("流花街道").unwrap();
    assert_eq!(liuhua.code, "440104005");
    assert_eq!(liuhua.communities.len(), 5);
    assert_eq!(r.street("440104001").unwrap().name, "洪桥街道");
}

#[test]
fn twelve_months_from_scratch_keep_every_guarantee() {
    let r = yuexiu();
    let s = spec(3, 2);
    let p = plan(&s, &r, ym("2027-01"), 12, &[], &[]).unwrap();
    assert_eq!(p.months.len(), 12);
    assert_eq!(check_plan(&s, &r, &[], &p), Vec::<String>::new());
    for (i, m) in p.months.iter().enumerate() {
        assert_eq!(m.month, ym("2027-01").add(i as i64).unwrap());
        assert_eq!(m.visits.len(), 3);
        for v in &m.visits {
            assert_eq!(v.communities.len(), 2);
            assert_eq!(v.methods, s.methods);
        }
    }
    // Two rounds of 6 months, each visiting all 18 streets once.
    for round in p.months.chunks(6) {
        let streets: BTreeSet<&str> = round.iter().flat_map(streets_of).collect();
        assert_eq!(streets.len(), 18);
    }
    // First round: never visited; second: least recently visited, last visited 6 months before.
    for v in p.months[..6].iter().flat_map(|m| &m.visits) {
        assert_eq!(v.reasons, vec![Reason::NeverVisited]);
        assert_eq!(v.last_visited, None);
    }
    for (i, m) in p.months[6..].iter().enumerate() {
        for v in &m.visits {
            assert_eq!(v.reasons, vec![Reason::LeastRecentlyVisited]);
            assert_eq!(
                v.last_visited,
                Some(ym("2027-01").add(i as i64).unwrap()),
                "{v:?}"
            );
        }
    }
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("18 streets in the rotation, 3 a month")),
        "{:?}",
        p.notes
    );
    // The helpers the in-file plan tests use.
    let first = &p.months[0].visits[0];
    assert_eq!(p.month(ym("2027-01")).unwrap().visits[0], *first);
    assert!(p.month(ym("2028-01")).is_none());
    assert_eq!(p.visits_to(&first.street).count(), 2);
    assert_eq!(
        p.visits_to(&first.street_code).map(|(m, _)| m).next(),
        Some(ym("2027-01"))
    );
    assert_eq!(Preference::parse("flagged"), Some(Preference::Flagged));
    assert_eq!(
        Preference::parse("least_recently_visited"),
        Some(Preference::LeastRecentlyVisited)
    );
    assert_eq!(
        Reason::parse("cycle_completion"),
        Some(Reason::CycleCompletion)
    );
    assert_eq!(p.notes.len(), p.notes_zh.len());
}

#[test]
fn a_39_round_history_is_continued_not_restarted() {
    let r = yuexiu();
    let s = spec(3, 2);
    // 39 rounds: 2023-10 … 2026-12.
    let history = synthetic_history(&r, ym("2023-10"), 39);
    assert_eq!(history.last().unwrap().month, ym("2026-12"));
    let p = plan(&s, &r, ym("2027-01"), 12, &history, &[]).unwrap();
    assert_eq!(check_plan(&s, &r, &history, &p), Vec::<String>::new());

    // 39 = 6 rounds of 6 months + 3 months: the 7th round (begun 2026-10) still owes the last
    // 9 streets in roster order, which fill 2027-01 … 2027-03 exactly.
    let owed: BTreeSet<&str> = r.streets[9..].iter().map(|s| s.name.as_str()).collect();
    let first3: BTreeSet<&str> = p.months[..3].iter().flat_map(streets_of).collect();
    assert_eq!(first3, owed);
    // Then rounds 8 and 9 of 6 months each, every street once.
    for round in [&p.months[3..9], &p.months[9..12]] {
        let streets: Vec<&str> = round.iter().flat_map(streets_of).collect();
        let set: BTreeSet<&str> = streets.iter().copied().collect();
        assert_eq!(set.len(), streets.len(), "no street twice in a round");
    }
    let round8: BTreeSet<&str> = p.months[3..9].iter().flat_map(streets_of).collect();
    assert_eq!(round8.len(), 18);
    // Round 8 starts with the streets visited longest ago: those of 2026-10 (streets 0..3; the
    // streets of 2026-07 … 2026-09 had their round-7 turn in 2027-01 … 2027-03).
    let first_of_round8: BTreeSet<&str> = streets_of(&p.months[3]).into_iter().collect();
    let oldest: BTreeSet<&str> = r.streets[..3].iter().map(|s| s.name.as_str()).collect();
    assert_eq!(first_of_round8, oldest);
    for v in &p.months[3].visits {
        assert_eq!(v.last_visited, Some(ym("2026-10")));
        assert_eq!(v.reasons, vec![Reason::LeastRecentlyVisited]);
    }

    // Communities continue too. 洪桥街道 (8 communities) was visited in 2023-10, 2024-04, …,
    // 2026-10: 7 visits, 14 communities in roster order, so a, b … h, a … f; its next visit (in
    // round 8, 2027-04) must take g and h, the two it has not had since 2025-04.
    let hongqiao = &r.streets[0];
    let next = p
        .months
        .iter()
        .flat_map(|m| &m.visits)
        .find(|v| v.street == hongqiao.name)
        .unwrap();
    let names: Vec<&str> = next.communities.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            hongqiao.communities[6].name.as_str(),
            hongqiao.communities[7].name.as_str()
        ]
    );

    // The notes say where the rounds stood.
    let note = p.notes.iter().find(|n| n.starts_with("history:")).unwrap();
    assert!(
        note.contains(
            "6 round(s) completed and round 7 in progress since 2026-10, still owing 9 of 18"
        ),
        "{note}"
    );
}

#[test]
fn a_flag_after_39_rounds_adds_a_visit_and_the_round_closes_a_month_later() {
    let r = yuexiu();
    let s = spec(3, 2);
    let history = synthetic_history(&r, ym("2023-10"), 39);
    // 流花街道 had its round-7 turn in 2026-11.
    let p = plan(
        &s,
        &r,
        ym("2027-01"),
        12,
        &history,
        &[flag("流花街道", "红色风险儿童")],
    )
    .unwrap();
    assert_eq!(check_plan(&s, &r, &history, &p), Vec::<String>::new());
    let v = p.months[0]
        .visits
        .iter()
        .find(|v| v.street == "流花街道")
        .unwrap();
    assert_eq!(
        (v.reasons.clone(), v.last_visited),
        (vec![Reason::Flagged], Some(ym("2026-11")))
    );
    // The 9 owed streets need 4 months now; the 4th has 1 of them and 2 completion visits.
    let completion: Vec<&Visit> = p.months[3]
        .visits
        .iter()
        .filter(|v| v.reasons == vec![Reason::CycleCompletion])
        .collect();
    assert_eq!(completion.len(), 2);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("round 7 2026-10 – 2027-04; round 8 2027-05 – 2027-10")),
        "{:?}",
        p.notes
    );
    // 流花街道 keeps its regular turn in round 8.
    assert_eq!(
        p.months[4..10]
            .iter()
            .filter(|m| streets_of(m).contains(&"流花街道"))
            .count(),
        1
    );
}

#[test]
fn an_irregular_hand_kept_history_is_continued() {
    // A history kept by hand: some streets visited twice in a round, one forgotten.
    let r = yuexiu();
    let s = spec(3, 2);
    let mut history = synthetic_history(&r, ym("2023-10"), 39);
    let forgotten = r.streets[17].name.clone();
    for m in &mut history {
        for v in &mut m.visits {
            if v.street == forgotten {
                let st = &r.streets[1];
                v.street = st.name.clone();
                v.street_code = String::new();
                v.communities = vec![PlanCommunity {
                    name: st.communities[0].name.clone(),
                    code: String::new(),
                }];
            }
        }
    }
    let p = plan(&s, &r, ym("2027-01"), 12, &history, &[]).unwrap();
    assert_eq!(check_plan(&s, &r, &history, &p), Vec::<String>::new());
    // The forgotten street has never been visited: it goes first.
    let v = p.months[0]
        .visits
        .iter()
        .find(|v| v.street == forgotten)
        .unwrap();
    assert_eq!(v.reasons, vec![Reason::NeverVisited]);
}

#[test]
fn same_inputs_same_bytes() {
    let r = yuexiu();
    let s = spec(3, 2);
    let h = synthetic_history(&r, ym("2024-01"), 10);
    let f = [flag("流花街道", "红色风险儿童")];
    let a = to_json(&plan(&s, &r, ym("2027-01"), 12, &h, &f).unwrap());
    let b = to_json(&plan(&s, &r, ym("2027-01"), 12, &h, &f).unwrap());
    assert_eq!(a, b);
    // Another seed changes the tie-breaks (and so the plan).
    let mut s2 = s.clone();
    s2.seed = 7;
    let c = to_json(&plan(&s2, &r, ym("2027-01"), 12, &h, &f).unwrap());
    assert_ne!(a, c);
}

#[test]
fn json_has_the_contract_shape() {
    let r = yuexiu();
    let p = plan(&spec(3, 2), &r, ym("2027-01"), 1, &[], &[]).unwrap();
    let json = to_json(&p);
    assert!(json.starts_with(r#"{"rotation":"supervision","from":"2027-01","months":[{"month":"2027-01","visits":[{"street":""#), "{json}");
    assert!(json.contains(r#""methods":["home_visit","document_review"],"reasons":["never_visited"],"last_visited":null}"#), "{json}");
    assert!(json.contains(r#""notes":["#) && json.contains(r#""notes_zh":["#));
    assert!(!json.contains("\\u"), "UTF-8 unescaped");
    // A plan reads back as a Plan.
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn a_flagged_street_owed_this_round_moves_forward() {
    let r = yuexiu();
    let s = spec(3, 2);
    let unflagged = plan(&s, &r, ym("2027-01"), 6, &[], &[]).unwrap();
    // The street the plan would visit last.
    let late = unflagged.months[5].visits[0].street.clone();
    let p = plan(
        &s,
        &r,
        ym("2027-01"),
        6,
        &[],
        &[flag(&late, "红色风险儿童")],
    )
    .unwrap();
    assert_eq!(check_plan(&s, &r, &[], &p), Vec::<String>::new());
    let v = p.months[0]
        .visits
        .iter()
        .find(|v| v.street == late)
        .unwrap();
    assert_eq!(v.reasons, vec![Reason::Flagged]);
    assert_eq!(p.months[0].visits.len(), 3);
    // It counts as its turn: not visited again in the round, and the round still takes 6 months.
    let count = p
        .months
        .iter()
        .flat_map(|m| &m.visits)
        .filter(|v| v.street == late)
        .count();
    assert_eq!(count, 1);
    let all: BTreeSet<&str> = p.months.iter().flat_map(streets_of).collect();
    assert_eq!(all.len(), 18);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("is flagged (红色风险儿童)") && n.contains("counts as its turn")),
        "{:?}",
        p.notes
    );
    // The least urgent of the unflagged picks made room.
    let displaced: Vec<&str> = streets_of(&unflagged.months[0])
        .into_iter()
        .filter(|s| !streets_of(&p.months[0]).contains(s))
        .collect();
    assert_eq!(displaced.len(), 1);
}

#[test]
fn a_flagged_street_already_visited_gets_an_extra_visit_and_keeps_its_turn() {
    let r = yuexiu();
    let s = spec(3, 2);
    let first = plan(&s, &r, ym("2027-01"), 2, &[], &[]).unwrap();
    let visited = first.months[0].visits[1].street.clone();
    // From 2027-03 with that history, flag a street visited in 2027-01 (round 1 not complete).
    let p = plan(
        &s,
        &r,
        ym("2027-03"),
        12,
        &first.months,
        &[flag(&visited, "整改未完成")],
    )
    .unwrap();
    assert_eq!(check_plan(&s, &r, &first.months, &p), Vec::<String>::new());
    let v = p.months[0]
        .visits
        .iter()
        .find(|v| v.street == visited)
        .unwrap();
    assert_eq!(v.reasons, vec![Reason::Flagged]);
    assert_eq!(v.last_visited, Some(ym("2027-01")));
    // Round 1 needed 4 more months (12 owed streets, 3 a month); the extra visit takes a place,
    // so it completes one month later, in 2027-07, and the street's next regular turn is in
    // round 2 (2027-08 … 2028-01).
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("round 1 2027-01 – 2027-07")),
        "{:?}",
        p.notes
    );
    let later: Vec<YearMonth> = p.months[1..]
        .iter()
        .filter(|m| streets_of(m).contains(&visited.as_str()))
        .map(|m| m.month)
        .collect();
    assert_eq!(later.len(), 1, "{later:?}");
    assert!(later[0] >= ym("2027-08") && later[0] <= ym("2028-01"));
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("an extra visit") && n.contains("keeps its regular turn")));
    assert!(p.notes.iter().any(|n| n.contains("move to a later month")));
}

#[test]
fn flag_errors() {
    let r = yuexiu();
    let s = spec(3, 2);
    let from = ym("2027-01");
    assert_eq!(
        plan(&s, &r, from, 1, &[], &[flag("不存在街道", "")]),
        Err(PlanError::UnknownFlag("不存在街道".into(), None))
    );
    let four = ["洪桥街道", "北京街道", "六榕街道", "流花街道"].map(|n| flag(n, "x"));
    assert_eq!(
        plan(&s, &r, from, 1, &[], &four),
        Err(PlanError::TooManyFlags {
            flagged: 4,
            per_month: 3
        })
    );
    // The same street flagged twice is one flag; by code too.
    let p = plan(
        &s,
        &r,
        from,
        1,
        &[],
        &[flag("流花街道", "a"), flag("440104005", "b")],
    )
    .unwrap();
    assert!(streets_of(&p.months[0]).contains(&"流花街道"));
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("流花街道 is flagged (a; b)")));
    let mut no_flags = s.clone();
    no_flags.prefer = vec![Preference::LeastRecentlyVisited];
    assert_eq!(
        plan(&no_flags, &r, from, 1, &[], &[flag("流花街道", "")]),
        Err(PlanError::FlagsNotPreferred("supervision".into()))
    );
    let mut excl = s.clone();
    excl.exclude = vec!["流花街道".into()];
    assert_eq!(
        plan(&excl, &r, from, 1, &[], &[flag("流花街道", "")]),
        Err(PlanError::FlaggedExcluded("流花街道".into()))
    );
    for e in [
        PlanError::UnknownFlag("x".into(), None),
        PlanError::TooManyFlags {
            flagged: 4,
            per_month: 3,
        },
    ] {
        assert!(!e.message_zh().is_empty());
    }
}

#[test]
fn nineteen_streets_three_a_month() {
    let r = small_roster(&[3; 19]);
    let s = spec(3, 2);
    let p = plan(&s, &r, ym("2027-01"), 21, &[], &[]).unwrap();
    assert_eq!(check_plan(&s, &r, &[], &p), Vec::<String>::new());
    for m in &p.months {
        assert_eq!(m.visits.len(), 3);
    }
    // Rounds of 7 months: the 7th has the 1 remaining street and 2 completion visits.
    for round in p.months.chunks(7) {
        let regular: Vec<&str> = round
            .iter()
            .flat_map(|m| &m.visits)
            .filter(|v| !v.reasons.contains(&Reason::CycleCompletion))
            .map(|v| v.street.as_str())
            .collect();
        assert_eq!(regular.len(), 19);
        assert_eq!(regular.iter().collect::<BTreeSet<_>>().len(), 19);
        let completion: Vec<&Visit> = round[6]
            .visits
            .iter()
            .filter(|v| v.reasons == vec![Reason::CycleCompletion])
            .collect();
        assert_eq!(completion.len(), 2);
        // The completion visits go to streets visited in the round's first month.
        for v in completion {
            assert!(streets_of(&round[0]).contains(&v.street.as_str()));
        }
    }
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("19 streets are not a multiple of 3")),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes.iter().any(|n| n.contains(
            "round 1 2027-01 – 2027-07; round 2 2027-08 – 2028-02; round 3 2028-03 – 2028-09"
        )),
        "{:?}",
        p.notes
    );
}

#[test]
fn fewer_streets_than_k_and_fewer_communities_than_c() {
    let r = small_roster(&[1, 3]);
    let s = spec(5, 2);
    let p = plan(&s, &r, ym("2027-01"), 4, &[], &[]).unwrap();
    assert_eq!(check_plan(&s, &r, &[], &p), Vec::<String>::new());
    for m in &p.months {
        assert_eq!(streets_of(m), vec!["S1", "S2"]);
        assert_eq!(m.visits[0].communities.len(), 1);
        assert_eq!(m.visits[1].communities.len(), 2);
    }
    // S2 has 3 communities, 2 a visit: c1 c2 | c3 + one of the next round | …
    let seq: Vec<Vec<&str>> = p
        .months
        .iter()
        .map(|m| {
            m.visits[1]
                .communities
                .iter()
                .map(|c| c.name.as_str())
                .collect()
        })
        .collect();
    let first_two: BTreeSet<&str> = seq[0].iter().chain(&seq[1]).copied().collect();
    assert_eq!(first_two.len(), 3);
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("fewer than the 5 a month")));
    assert!(
        p.notes.iter().any(|n| n.contains("S1 (1)")),
        "{:?}",
        p.notes
    );
}

#[test]
fn exclusions() {
    let r = yuexiu();
    let mut s = spec(3, 2);
    let liuhua = r.street("流花街道").unwrap().clone();
    s.exclude = vec![
        "洪桥街道".into(),
        liuhua.communities[0].name.clone(),
        liuhua.communities[1].code.clone(),
    ];
    let p = plan(&s, &r, ym("2027-01"), 24, &[], &[]).unwrap();
    assert_eq!(check_plan(&s, &r, &[], &p), Vec::<String>::new());
    let all: Vec<&Visit> = p.months.iter().flat_map(|m| &m.visits).collect();
    assert!(all.iter().all(|v| v.street != "洪桥街道"));
    for v in all.iter().filter(|v| v.street == "流花街道") {
        for c in &v.communities {
            assert!(c.name != liuhua.communities[0].name && c.code != liuhua.communities[1].code);
        }
    }
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("excluded streets, not planned: 洪桥街道")));
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("17 streets in the rotation")));
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("17 streets are not a multiple of 3")));

    s.exclude = vec!["没有这个社区".into()];
    assert_eq!(
        plan(&s, &r, ym("2027-01"), 1, &[], &[]),
        Err(PlanError::UnknownExclusion("没有这个社区".into(), None))
    );
    // One character off a real name: said, with the name meant.
    s.exclude = vec!["文圆巷社区".into()];
    let e = plan(&s, &r, ym("2027-01"), 1, &[], &[]).unwrap_err();
    assert_eq!(
        e,
        PlanError::UnknownExclusion("文圆巷社区".into(), Some("文园巷社区".into()))
    );
    assert!(e.to_string().contains("did you mean `文园巷社区`?"), "{e}");
    assert!(e.message_zh().contains("是否想写 `文园巷社区`"), "{e}");

    // A street whose communities are all excluded is out of the rotation.
    let small = small_roster(&[2, 2]);
    let mut s = spec(2, 1);
    s.exclude = vec!["S1C1".into(), "S1C2".into()];
    let p = plan(&s, &small, ym("2027-01"), 2, &[], &[]).unwrap();
    assert!(p.months.iter().all(|m| streets_of(m) == vec!["S2"]));
    assert!(p
        .notes
        .iter()
        .any(|n| n.contains("S1 has no community left")));
    s.exclude = vec!["S1".into(), "S2".into()];
    assert_eq!(
        plan(&s, &small, ym("2027-01"), 2, &[], &[]),
        Err(PlanError::NoEligibleStreets)
    );
}

#[test]
fn spec_and_range_errors() {
    let r = small_roster(&[2]);
    let from = ym("2027-01");
    assert!(matches!(
        plan(&spec(0, 1), &r, from, 1, &[], &[]),
        Err(PlanError::ZeroCount { .. })
    ));
    assert!(matches!(
        plan(&spec(1, 0), &r, from, 1, &[], &[]),
        Err(PlanError::ZeroCount { .. })
    ));
    assert!(matches!(
        plan(&spec(1, 1), &r, from, MAX_MONTHS + 1, &[], &[]),
        Err(PlanError::TooManyMonths { .. })
    ));
    assert_eq!(
        plan(&spec(1, 1), &r, ym("9999-06"), 12, &[], &[]),
        Err(PlanError::MonthOutOfRange)
    );
    assert_eq!(
        plan(&spec(1, 1), &r, ym("9999-01"), 12, &[], &[])
            .unwrap()
            .months
            .len(),
        12
    );
    assert_eq!(
        plan(&spec(1, 1), &r, from, 0, &[], &[])
            .unwrap()
            .months
            .len(),
        0
    );
    let mut bad = small_roster(&[2, 1]);
    bad.streets[1].communities[0].code = bad.streets[0].communities[0].code.clone();
    let e = plan(&spec(1, 1), &bad, from, 1, &[], &[]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid roster: line 4: community code"),
        "{e}"
    );
}

#[test]
fn continuing_from_a_plan_equals_planning_further() {
    let r = yuexiu();
    let s = spec(3, 2);
    let f = [flag("矿泉街道", "红色风险儿童")];
    let whole = plan(&s, &r, ym("2027-01"), 24, &[], &f).unwrap();
    let first = plan(&s, &r, ym("2027-01"), 10, &[], &f).unwrap();
    let rest = plan(&s, &r, ym("2027-11"), 14, &first.months, &[]).unwrap();
    assert_eq!(first.months[..], whole.months[..10]);
    assert_eq!(rest.months[..], whole.months[10..]);
}

#[test]
fn history_months_at_or_after_from_and_unknown_names_are_noted() {
    let r = yuexiu();
    let s = spec(3, 2);
    let mut h = synthetic_history(&r, ym("2026-07"), 8); // 2026-07 … 2027-02
    h[0].visits[0].street = "不存在街道".into();
    h[0].visits[0].street_code = String::new();
    h[1].visits[0].communities[0] = PlanCommunity {
        name: "不存在社区".into(),
        code: String::new(),
    };
    let p = plan(&s, &r, ym("2027-01"), 3, &h, &[]).unwrap();
    assert_eq!(check_plan(&s, &r, &h, &p), Vec::<String>::new());
    assert!(
        p.notes.iter().any(|n| n.contains(
            "2 month(s) at or after the plan's first month 2027-01 (2027-01 to 2027-02)"
        )),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("`不存在街道` (1 visit(s)), which is not a street")),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes.iter().any(|n| n.contains("`不存在社区`")),
        "{:?}",
        p.notes
    );
}

#[test]
fn history_json_round_trip_and_forms() {
    let r = yuexiu();
    let s = spec(3, 2);
    let p = plan(&s, &r, ym("2027-01"), 6, &[], &[]).unwrap();
    let back = parse_history_json(&to_json(&p), &r).unwrap();
    assert_eq!(back.len(), 6);
    for (a, b) in back.iter().zip(&p.months) {
        assert_eq!(a.month, b.month);
        for (va, vb) in a.visits.iter().zip(&b.visits) {
            assert_eq!(
                (&va.street, &va.street_code, &va.communities, &va.reasons),
                (&vb.street, &vb.street_code, &vb.communities, &vb.reasons)
            );
        }
    }
    // A bare list, names or codes, communities as strings.
    let text = r#"[{"month":"2026-12","visits":[{"street":"440104005","communities":["440104005001", {"name":"x"}]},
                   {"street_code":"440104001"}]}]"#;
    let h = parse_history_json(text, &r).unwrap();
    assert_eq!(h[0].visits[0].street, "流花街道");
    assert_eq!(h[0].visits[1].street, "洪桥街道");
    assert_eq!(h[0].visits[0].communities[1].name, "x");
}

#[test]
fn history_json_errors_have_paths() {
    let r = yuexiu();
    let err = |t: &str| match parse_history_json(t, &r) {
        Err(PlanError::History {
            location,
            message,
            message_zh,
        }) => {
            assert!(!message_zh.is_empty());
            format!("{location}: {message}")
        }
        other => panic!("{other:?}"),
    };
    assert!(
        err("{").starts_with("line 1, column 1: invalid JSON"),
        "{}",
        err("{")
    );
    assert_eq!(
        err("3"),
        "(top level): expected a plan object with `months`, or a list of months"
    );
    assert_eq!(
        err(r#"{"months":[{"month":"2026-13","visits":[]}]}"#),
        "months[0].month: `2026-13` is not a real date (there is no month 13)"
    );
    assert_eq!(
        err(r#"[{"month":"2026-01"},{"month":"2026-01"}]"#),
        "[1].month: 2026-01 appears twice (also [0])"
    );
    assert_eq!(
        err(r#"[{"month":"2026-01","visits":[{"communities":[]}]}]"#),
        "[0].visits[0]: a visit needs `street` (a name or code)"
    );
    assert_eq!(
        err(r#"[{"month":"2026-01","visits":[{"street":"流花街道","reasons":["lucky"]}]}]"#),
        "[0].visits[0].reasons[0]: unknown reason `lucky` (never_visited, least_recently_visited, flagged, cycle_completion)"
    );
    assert_eq!(
        err(r#"[{"month":"2026-01","visits":[{"street":"流花街道"},{"street":"440104005"}]}]"#),
        "[0].visits[1]: 流花街道 appears twice in 2026-01"
    );
    assert_eq!(
        err(r#"[{"month":"2026-01","visits":[{"street":"流花街道","communities":[3]}]}]"#),
        "[0].visits[0].communities[0]: expected a community name or {\"name\", \"code\"}"
    );
}

#[test]
fn history_csv_round_trip_and_errors() {
    let r = yuexiu();
    let s = spec(3, 2);
    let p = plan(&s, &r, ym("2027-01"), 6, &[], &[]).unwrap();
    let csv = to_csv(&p);
    assert!(csv.starts_with("month,street,street_code,community,community_code,methods,reasons,last_visited\r\n2027-01,"));
    let back = parse_history_csv(&csv, &r).unwrap();
    assert_eq!(back.len(), 6);
    for (a, b) in back.iter().zip(&p.months) {
        let sa: Vec<(&str, &Vec<PlanCommunity>)> = a
            .visits
            .iter()
            .map(|v| (v.street.as_str(), &v.communities))
            .collect();
        let sb: Vec<(&str, &Vec<PlanCommunity>)> = b
            .visits
            .iter()
            .map(|v| (v.street.as_str(), &v.communities))
            .collect();
        assert_eq!(sa, sb);
    }
    // Continuing from the CSV gives the same plan as continuing from the JSON.
    let from_csv = plan(&s, &r, ym("2027-07"), 6, &back, &[]).unwrap();
    let from_plan = plan(&s, &r, ym("2027-07"), 6, &p.months, &[]).unwrap();
    assert_eq!(from_csv.months, from_plan.months);

    // Codes, an empty community, rows merged into visits.
    let text = "month,street,community\n2026-12,440104005,440104005001\n2026-12,流花街道,\n2026-12,流花街道,\"石井社区\"\n2026-11,洪桥街道,\n";
    let h = parse_history_csv(text, &r).unwrap();
    assert_eq!(h[0].month, ym("2026-11"));
    assert_eq!(h[1].visits.len(), 1);
    assert_eq!(h[1].visits[0].communities.len(), 2);

    let err = |t: &str| parse_history_csv(t, &r).unwrap_err().to_string();
    assert_eq!(
        err("month,street\n2026-1,流花街道\n"),
        "line 2: `2026-1` is not a year and month: expected YYYY-MM, e.g. 2027-01"
    );
    assert_eq!(
        err("month,community\n"),
        "line 1: the header needs the columns month and street (and community)"
    );
    assert_eq!(err("month,street\n2026-01,\n"), "line 2: empty street");
    assert_eq!(
        err("month,street\n2026-01,a,b\n"),
        "line 2: 3 fields, but the header has 2 (a comma in a field needs quotes)"
    );
    assert_eq!(
        err("month,street\n2026-01,\"a\n"),
        "line 2: a quoted field is not closed"
    );
}

#[test]
fn ics_is_rfc5545() {
    let r = yuexiu();
    let s = spec(3, 2);
    let p = plan(
        &s,
        &r,
        ym("2027-01"),
        12,
        &[],
        &[flag("流花街道", "红色风险儿童")],
    )
    .unwrap();
    let ics = to_ics(&p, &s);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    // Every line ends in CRLF, is at most 75 octets, and no bare LF.
    assert!(!ics.replace("\r\n", "").contains('\n'));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
    }
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 36);
    assert!(ics.contains("UID:supervision-2027-01-440104005@humiao\r\n"));
    assert!(ics.contains("DTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102\r\n"));
    assert!(ics.contains("DTSTAMP:20270101T000000Z\r\n"));
    // Unfolding gives back the content lines; the summary is in Chinese.
    let unfolded = ics.replace("\r\n ", "");
    assert!(
        unfolded
            .lines()
            .any(|l| l.starts_with("SUMMARY:督导：流花街道（")),
        "{unfolded}"
    );
    assert!(unfolded.contains("理由：重点标记"));
    assert!(unfolded.contains("方式：入户走访、查阅台账"));
    assert_eq!(to_ics(&p, &s), ics);
}

#[test]
fn ics_folding_never_splits_a_character() {
    for prefix in ["SUMMARY:", "SUMMARY:a", "SUMMARY:ab"] {
        let line = format!("{prefix}{}", "街".repeat(60));
        let mut out = String::new();
        super::render::ics_line(&mut out, &line);
        for l in out.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));
    }
}

#[test]
fn human_matrix_is_aligned() {
    let r = yuexiu();
    let s = spec(3, 2);
    let p = plan(
        &s,
        &r,
        ym("2027-01"),
        14,
        &[],
        &[flag("流花街道", "红色风险儿童")],
    )
    .unwrap();
    for zh in [true, false] {
        let text = to_human(&p, &r, zh);
        // Table lines: the rules and the rows of one block all have the same display width
        // (rows are right-trimmed, so compare only full rows with the rule).
        let blocks: Vec<&str> = text.split("\n\n").filter(|b| b.starts_with('+')).collect();
        assert_eq!(blocks.len(), 2, "14 months: a block of 12 and one of 2");
        for b in blocks {
            let rule_w = display_width(b.lines().next().unwrap());
            for line in b.lines() {
                assert!(display_width(line) <= rule_w, "{line}");
                if line.starts_with("| 洪桥街道")
                    || line.starts_with("| 街道")
                    || line.starts_with("| street")
                {
                    assert!(line.ends_with('|') || display_width(line) < rule_w);
                }
            }
            // All 18 streets are rows.
            for st in &r.streets {
                assert!(b.contains(&format!("| {}", st.name)), "{}", st.name);
            }
        }
        assert!(text.contains(" *"), "the flag marker");
        if zh {
            assert!(text.contains("图例") && text.contains("督导明细") && text.contains("说明"));
            assert!(text.contains("最久未督导（上次 2027-01）"));
        } else {
            assert!(
                text.contains("Legend")
                    && text.contains("least recently visited (last visit 2027-01)")
            );
        }
    }
    assert_eq!(display_width("洪桥街道"), 8);
    assert_eq!(display_width("2027-01"), 7);
    assert_eq!(display_width("ａ，b"), 5);
}

#[test]
fn check_plan_finds_broken_plans() {
    let r = yuexiu();
    let s = spec(3, 2);
    let good = plan(&s, &r, ym("2027-01"), 12, &[], &[]).unwrap();
    assert!(check_plan(&s, &r, &[], &good).is_empty());
    let broken = |f: &dyn Fn(&mut Plan)| {
        let mut p = good.clone();
        f(&mut p);
        check_plan(&s, &r, &[], &p)
    };
    let has = |v: Vec<String>, needle: &str| {
        assert!(v.iter().any(|m| m.contains(needle)), "{needle}: {v:?}")
    };
    has(
        broken(&|p| {
            p.months[2].visits.pop();
        }),
        "2027-03: 2 streets, expected 3",
    );
    has(
        broken(&|p| {
            let v = p.months[0].visits[0].clone();
            p.months[1].visits[0] = v;
        }),
        "is visited again in round 1 before",
    );
    has(
        broken(&|p| {
            p.months[0].visits[0].communities.pop();
        }),
        "has 1 communities, expected 2",
    );
    has(
        broken(&|p| {
            p.months[0].visits[0].street_code = "1".into();
        }),
        "has the code",
    );
    has(
        broken(&|p| {
            p.months[4].month = ym("2030-01");
        }),
        "month 5 of the plan is 2030-01, expected 2027-05",
    );
    has(
        broken(&|p| {
            p.months[3].visits[0].reasons = vec![Reason::LeastRecentlyVisited];
        }),
        "given the reason least_recently_visited",
    );
    has(
        broken(&|p| {
            p.months[3].visits[0].reasons = vec![Reason::Flagged];
        }),
        "flags apply to the first month only",
    );
    has(
        broken(&|p| {
            p.rotation = "other".into();
        }),
        "the plan is for rotation `other`",
    );
    // A community repeated before the street's others: a street visited in round 2 with the
    // pair it had in round 1 (all streets here have more than 4 communities).
    has(
        broken(&|p| {
            let a = p.months[0].visits[0].clone();
            let b = p.months[6..]
                .iter_mut()
                .flat_map(|m| m.visits.iter_mut())
                .find(|v| v.street == a.street)
                .unwrap();
            b.communities = a.communities;
        }),
        "is visited again before",
    );
    // Swapping a street of round 2 for one visited more recently breaks least-recently-visited.
    has(
        broken(&|p| {
            let (m6, m7) = p.months.split_at_mut(7);
            std::mem::swap(&mut m6[6].visits[0], &mut m7[0].visits[0]);
            m6[6].visits[0].last_visited = None;
            m7[0].visits[0].last_visited = None;
        }),
        "was visited longer ago",
    );
}
