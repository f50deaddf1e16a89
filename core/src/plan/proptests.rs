//! Property tests: the guarantees of `docs/planner.md` over random rosters (1–30 streets,
//! 1–20 communities each), k 1–5, c 1–4, random exclusions, random (often irregular) histories
//! and random flags.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::tests::{small_roster, spec, ym};
use super::*;

/// A random history month: the gap in months before it, and its visits as (street,
/// communities), indices to be reduced modulo the roster's sizes.
type RawMonth = (u8, Vec<(u32, Vec<u32>)>);

/// Raw random input; indices are reduced modulo the roster's sizes when used.
#[derive(Debug, Clone)]
struct Case {
    sizes: Vec<usize>,
    k: u32,
    c: u32,
    seed: u64,
    months: u32,
    history: Vec<RawMonth>,
    flags: Vec<u32>,
    /// (street, community or None for the whole street)
    exclude: Vec<(u32, Option<u32>)>,
    split: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1usize..=20, 1..=30),
        1u32..=5,
        1u32..=4,
        any::<u64>(),
        1u32..=30,
        prop::collection::vec(
            (
                0u8..=2,
                prop::collection::vec(
                    (any::<u32>(), prop::collection::vec(any::<u32>(), 0..=4)),
                    0..=6,
                ),
            ),
            0..=40,
        ),
        prop::collection::vec(any::<u32>(), 0..=3),
        prop::collection::vec((any::<u32>(), prop::option::of(any::<u32>())), 0..=3),
        any::<u32>(),
    )
        .prop_map(
            |(sizes, k, c, seed, months, history, flags, exclude, split)| Case {
                sizes,
                k,
                c,
                seed,
                months,
                history,
                flags,
                exclude,
                split,
            },
        )
}

struct Built {
    roster: Roster,
    spec: RotationSpec,
    history: Vec<PlanMonth>,
    flags: Vec<Flag>,
}

const FROM: &str = "2027-01";

fn build(case: &Case) -> Built {
    let roster = small_roster(&case.sizes);
    let n = roster.streets.len() as u32;
    let mut s = spec(case.k, case.c);
    s.seed = case.seed;
    for (st, cm) in &case.exclude {
        let street = &roster.streets[(st % n) as usize];
        match cm {
            None => s.exclude.push(street.name.clone()),
            Some(c) => {
                let comm = &street.communities[(c % street.communities.len() as u32) as usize];
                // By name or by code, alternately.
                s.exclude.push(if c % 2 == 0 {
                    comm.name.clone()
                } else {
                    comm.code.clone()
                });
            }
        }
    }
    // History months going back from the month before FROM.
    let mut history = Vec::new();
    let mut month = ym(FROM);
    for (gap, visits) in case.history.iter().rev() {
        month = month.add(-1 - i64::from(*gap)).unwrap();
        let mut vs: Vec<Visit> = Vec::new();
        for (st, comms) in visits {
            let street = &roster.streets[(st % n) as usize];
            if vs.iter().any(|v| v.street == street.name) {
                continue;
            }
            let m = street.communities.len() as u32;
            let mut cs: Vec<PlanCommunity> = Vec::new();
            for c in comms {
                let comm = &street.communities[(c % m) as usize];
                let pc = PlanCommunity {
                    name: comm.name.clone(),
                    code: comm.code.clone(),
                };
                if !cs.contains(&pc) {
                    cs.push(pc);
                }
            }
            vs.push(Visit {
                street: street.name.clone(),
                street_code: street.code.clone(),
                communities: cs,
                methods: vec![],
                reasons: vec![],
                last_visited: None,
            });
        }
        history.push(PlanMonth { month, visits: vs });
    }
    history.reverse();
    let excluded: BTreeSet<&str> = s.exclude.iter().map(String::as_str).collect();
    let mut flags: Vec<Flag> = Vec::new();
    for f in &case.flags {
        let street = &roster.streets[(f % n) as usize];
        if !excluded.contains(street.name.as_str())
            && !flags.iter().any(|x| x.street == street.name)
        {
            flags.push(Flag {
                street: street.name.clone(),
                reason: "红色风险儿童".into(),
            });
        }
    }
    Built {
        roster,
        spec: s,
        history,
        flags,
    }
}

/// Eligible streets and, per street, eligible communities, computed independently of the planner.
fn eligibility(b: &Built) -> BTreeMap<String, BTreeSet<String>> {
    let ex: BTreeSet<&str> = b.spec.exclude.iter().map(String::as_str).collect();
    b.roster
        .streets
        .iter()
        .filter(|s| !ex.contains(s.name.as_str()) && !ex.contains(s.code.as_str()))
        .map(|s| {
            let cs: BTreeSet<String> = s
                .communities
                .iter()
                .filter(|c| !ex.contains(c.name.as_str()) && !ex.contains(c.code.as_str()))
                .map(|c| c.name.clone())
                .collect();
            (s.name.clone(), cs)
        })
        .filter(|(_, cs)| !cs.is_empty())
        .collect()
}

/// Runs the planner; returns None when the case legitimately has no plan (nothing eligible, or
/// more flags than places), after checking that this is why.
fn run(b: &mut Built, months: u32) -> Option<Plan> {
    let elig = eligibility(b);
    let per_month = (b.spec.streets_per_month as usize).min(elig.len());
    b.flags.retain(|f| elig.contains_key(&f.street));
    b.flags.truncate(per_month);
    match plan(&b.spec, &b.roster, ym(FROM), months, &b.history, &b.flags) {
        Ok(p) => {
            assert!(!elig.is_empty());
            Some(p)
        }
        Err(PlanError::NoEligibleStreets) => {
            assert!(elig.is_empty());
            None
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

proptest! {
    // No failure files: the core's folder holds only sources.
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every guarantee, on random rosters, histories, exclusions and flags.
    #[test]
    fn plans_keep_every_guarantee(case in case()) {
        let mut b = build(&case);
        let Some(p) = run(&mut b, case.months) else { return Ok(()) };
        let elig = eligibility(&b);
        let k = (case.k as usize).min(elig.len());

        // check_plan finds nothing.
        let violations = check_plan(&b.spec, &b.roster, &b.history, &p);
        prop_assert!(violations.is_empty(), "{violations:#?}");

        // Counts, independently: exactly min(k, eligible) distinct eligible streets a month, and
        // min(c, eligible communities) distinct eligible communities per street.
        prop_assert_eq!(p.months.len(), case.months as usize);
        for m in &p.months {
            let streets: BTreeSet<&str> = m.visits.iter().map(|v| v.street.as_str()).collect();
            prop_assert_eq!(streets.len(), k);
            prop_assert_eq!(m.visits.len(), k);
            for v in &m.visits {
                let ecs = &elig[&v.street];
                let cs: BTreeSet<&str> = v.communities.iter().map(|c| c.name.as_str()).collect();
                prop_assert_eq!(cs.len(), v.communities.len());
                prop_assert_eq!(cs.len(), (case.c as usize).min(ecs.len()));
                prop_assert!(cs.iter().all(|c| ecs.contains(*c)));
                prop_assert!(!v.reasons.is_empty());
            }
        }

        // Flags: every flagged street is in the first month, marked flagged; nowhere else.
        for f in &b.flags {
            let v = p.months[0].visits.iter().find(|v| v.street == f.street);
            prop_assert!(v.is_some_and(|v| v.reasons.contains(&Reason::Flagged)), "{} not in the first month", f.street);
        }
        for m in &p.months[1..] {
            prop_assert!(m.visits.iter().all(|v| !v.reasons.contains(&Reason::Flagged)));
        }

        // Same inputs, same bytes.
        let again = plan(&b.spec, &b.roster, ym(FROM), case.months, &b.history, &b.flags).unwrap();
        prop_assert_eq!(to_json(&again), to_json(&p));

        // A history continues the rounds: planning t months, then the rest with those months as
        // history, gives the same months as planning all at once.
        let t = case.split % case.months;
        if t > 0 {
            let first = plan(&b.spec, &b.roster, ym(FROM), t, &b.history, &b.flags).unwrap();
            let mut h = b.history.clone();
            h.extend(first.months.iter().cloned());
            let from2 = ym(FROM).add(i64::from(t)).unwrap();
            let rest = plan(&b.spec, &b.roster, from2, case.months - t, &h, &[]).unwrap();
            prop_assert_eq!(&first.months[..], &p.months[..t as usize]);
            prop_assert_eq!(&rest.months[..], &p.months[t as usize..]);
        }
    }

    /// Without history or flags the rounds are aligned blocks of ⌈n/k⌉ months from the first
    /// month: in each, every street has exactly one regular visit, and the extra visits
    /// (cycle_completion) are in the block's last month only. Checked without the planner's
    /// own replay code.
    #[test]
    fn fresh_rounds_are_aligned_blocks(case in case()) {
        let mut b = build(&case);
        b.history.clear();
        b.flags.clear();
        let months = case.months.max(1) * 2;
        let Some(p) = run(&mut b, months) else { return Ok(()) };
        let elig = eligibility(&b);
        let n = elig.len();
        let k = (case.k as usize).min(n);
        let l = n.div_ceil(k);
        for block in p.months.chunks(l).filter(|b| b.len() == l) {
            let mut regular: BTreeMap<&str, usize> = BTreeMap::new();
            for (i, m) in block.iter().enumerate() {
                for v in &m.visits {
                    if v.reasons == vec![Reason::CycleCompletion] {
                        prop_assert_eq!(i, l - 1, "completion visit outside the last month");
                    } else {
                        *regular.entry(v.street.as_str()).or_default() += 1;
                    }
                }
            }
            prop_assert_eq!(regular.len(), n);
            prop_assert!(regular.values().all(|&c| c == 1));
        }
        // Inside a street: no community repeats before all were visited (independent replay).
        for (street, ecs) in &elig {
            let c_eff = (case.c as usize).min(ecs.len());
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            for v in p.months.iter().flat_map(|m| &m.visits).filter(|v| &v.street == street) {
                let visit: BTreeSet<&str> = v.communities.iter().map(|c| c.name.as_str()).collect();
                let left: BTreeSet<&str> = ecs.iter().map(String::as_str).filter(|c| !seen.contains(c)).collect();
                if left.len() >= c_eff {
                    prop_assert!(visit.is_subset(&left), "{street}: repeat before all visited");
                    seen.extend(visit.iter().copied());
                    if seen.len() == ecs.len() {
                        seen.clear();
                    }
                } else {
                    prop_assert!(left.is_subset(&visit), "{street}: an unvisited community left out");
                    seen = visit.difference(&left).copied().collect();
                }
            }
        }
    }

    /// Never visited ranks first, then least recently visited: in the first month, no street
    /// picked in its turn was visited more recently than an owed street left out.
    #[test]
    fn least_recently_visited_first(case in case()) {
        let mut b = build(&case);
        b.flags.clear();
        let Some(p) = run(&mut b, 1) else { return Ok(()) };
        let mut last: BTreeMap<&str, YearMonth> = BTreeMap::new();
        for m in &b.history {
            for v in &m.visits {
                last.insert(v.street.as_str(), m.month);
            }
        }
        for v in &p.months[0].visits {
            prop_assert_eq!(v.last_visited, last.get(v.street.as_str()).copied());
            prop_assert_eq!(v.reasons.contains(&Reason::NeverVisited), v.last_visited.is_none() && !v.reasons.contains(&Reason::CycleCompletion));
        }
        // If some eligible street was never visited and is left out, every street picked in
        // its turn was never visited either.
        let elig = eligibility(&b);
        let picked: BTreeSet<&str> = p.months[0].visits.iter().map(|v| v.street.as_str()).collect();
        let never_left_out = elig.keys().any(|s| !picked.contains(s.as_str()) && !last.contains_key(s.as_str()));
        if never_left_out {
            prop_assert!(p.months[0].visits.iter().all(|v| v.last_visited.is_none()));
        }
    }

    /// The roster CSV round-trips through the writer, whatever the names contain.
    #[test]
    fn roster_csv_round_trips(names in prop::collection::vec("[a-z,\" 街道社区\n]{1,8}", 1..12)) {
        let mut text = String::from("street,street_code,community,community_code,source\n");
        let mut expected: Vec<(String, String)> = Vec::new();
        for (i, raw) in names.iter().enumerate() {
            let name = raw.trim().to_owned();
            if name.is_empty() || expected.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let street = format!("S{}", i % 3);
            let fields = [street.clone(), format!("{}", i % 3), name.clone(), format!("c{i}"), raw.clone()];
            let line: Vec<String> = fields.iter().map(|f| super::csv::field(f).into_owned()).collect();
            text.push_str(&line.join(","));
            text.push_str("\r\n");
            expected.push((name, street));
        }
        if expected.is_empty() {
            return Ok(());
        }
        let r = parse_roster_csv(&text).unwrap();
        let got: Vec<(String, String)> = r
            .streets
            .iter()
            .flat_map(|s| s.communities.iter().map(move |c| (c.name.clone(), s.name.clone())))
            .collect();
        let mut want = expected.clone();
        want.sort_by_key(|(_, s)| r.streets.iter().position(|x| &x.name == s));
        prop_assert_eq!(got, want);
    }

    /// Readers never panic on arbitrary input.
    #[test]
    fn readers_never_panic(text in "\\PC{0,200}") {
        let r = small_roster(&[3, 2]);
        let _ = parse_roster_csv(&text);
        let _ = parse_history_csv(&text, &r);
        let _ = parse_history_json(&text, &r);
    }
}
