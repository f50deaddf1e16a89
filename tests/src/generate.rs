//! Cases generated from a policy's schema, for differential tests: each optional section
//! present or not, each fact given with a chance, so some cases are decided and some are not.
//! The same generator as `tests/fast_path.rs` (kept there as it is, to ease merging).

use humiao_core::model::{Schema, Type};
use serde_json::{json, Map, Value};

/// SplitMix64: the generator's only source of choices.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// A value of a type, within the fact's declared range when it has one.
pub fn value(schema: &Schema, ty: &Type, range: Option<(i64, i64)>, r: &mut Rng) -> Value {
    match ty {
        Type::Bool => json!(r.chance(1, 3)),
        Type::Int => match range {
            Some((lo, hi)) => {
                let top = hi.min(lo.saturating_add(24));
                json!(lo.saturating_add(r.below(top.saturating_sub(lo) as u64 + 1) as i64))
            }
            None => json!(r.below(30)),
        },
        Type::Decimal => json!(r.below(100_000) as f64 / 100.0),
        Type::Text => json!(format!("t{}", r.below(100))),
        Type::Date => json!(format!(
            "{}-{:02}-{:02}",
            2004 + r.below(23),
            1 + r.below(12),
            1 + r.below(28)
        )),
        Type::DateTime => json!(format!(
            "2026-0{}-{:02}T{:02}:{:02}:00+08:00",
            1 + r.below(3),
            1 + r.below(28),
            r.below(24),
            r.below(60)
        )),
        Type::Duration => {
            let unit = r
                .pick(&["hours", "days", "working days", "months", "years"])
                .copied()
                .unwrap_or("days");
            json!(format!("{} {unit}", 1 + r.below(48)))
        }
        Type::Enum(id) => match schema.enum_def(*id).and_then(|e| r.pick(&e.variants)) {
            Some(v) => json!(v),
            None => Value::Null,
        },
        Type::Set(id) => {
            let picked: Vec<&String> = schema
                .enum_def(*id)
                .map(|e| e.variants.iter().filter(|_| r.chance(1, 4)).collect())
                .unwrap_or_default();
            json!(picked)
        }
        Type::List(rid) | Type::Record(rid) => {
            let Some(rec) = schema.record_def(*rid) else {
                return Value::Null;
            };
            let item = |r: &mut Rng| {
                let mut m = Map::new();
                for f in &rec.fields {
                    if r.chance(7, 8) {
                        m.insert(f.name.clone(), value(schema, &f.ty, f.range, r));
                    }
                }
                Value::Object(m)
            };
            if matches!(ty, Type::Record(_)) {
                item(r)
            } else {
                let n = r.below(4);
                Value::Array((0..n).map(|_| item(r)).collect())
            }
        }
        Type::ValueSet(_) => Value::Null,
    }
}

/// Sets `a.b.c` in a JSON object, creating the objects on the way.
pub fn insert(root: &mut Map<String, Value>, path: &str, v: Value) {
    let mut segs: Vec<&str> = path.split('.').collect();
    let Some(last) = segs.pop() else {
        return;
    };
    let mut cur = root;
    for s in segs {
        let next = cur
            .entry(s.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(obj) = next.as_object_mut() else {
            return;
        };
        cur = obj;
    }
    cur.insert(last.to_string(), v);
}

/// A case: each optional section present or not, each fact given with the chance `given` in
/// 16ths (`discovered_at` always).
pub fn case(schema: &Schema, seed: u64, given: u64) -> Value {
    let mut r = Rng(seed);
    let present: Vec<bool> = schema.sections.iter().map(|_| r.chance(1, 2)).collect();
    let mut root = Map::new();
    for f in &schema.facts {
        if f.section
            .is_some_and(|s| !present.get(s).copied().unwrap_or(false))
        {
            continue;
        }
        if f.path == "discovered_at" || r.chance(given, 16) {
            insert(&mut root, &f.path, value(schema, &f.ty, f.range, &mut r));
        }
    }
    for (s, on) in schema.sections.iter().zip(&present) {
        if *on && !root.contains_key(&s.name) {
            insert(&mut root, &s.name, json!({}));
        }
    }
    Value::Object(root)
}
