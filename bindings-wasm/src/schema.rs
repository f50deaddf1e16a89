//! The declared facts, enums and conclusions of a loaded set, as JSON a page builds its forms
//! from: each fact with its path, type, range and Chinese label; each enum with its values'
//! labels. A view of `humiao_core::model::Schema`, nothing computed.

use humiao_core::model::{Schema, Type};
use humiao_core::Policy;
use serde_json::{json, Value};

fn type_json(schema: &Schema, t: &Type) -> Value {
    let enum_name = |id| {
        schema
            .enum_def(id)
            .map_or("?".to_string(), |e| e.name.clone())
    };
    let record_name = |id| {
        schema
            .record_def(id)
            .map_or("?".to_string(), |r| r.name.clone())
    };
    match t {
        Type::Bool => json!({"kind": "bool"}),
        Type::Int => json!({"kind": "int"}),
        Type::Decimal => json!({"kind": "decimal"}),
        Type::Text => json!({"kind": "text"}),
        Type::Date => json!({"kind": "date"}),
        Type::DateTime => json!({"kind": "datetime"}),
        Type::Duration => json!({"kind": "duration"}),
        Type::Enum(id) => json!({"kind": "enum", "enum": enum_name(*id)}),
        Type::Set(id) => json!({"kind": "set", "enum": enum_name(*id)}),
        Type::List(id) => json!({"kind": "list", "record": record_name(*id)}),
        Type::Record(id) => json!({"kind": "record", "record": record_name(*id)}),
        Type::ValueSet(inner) => json!({"kind": "value_set", "of": type_json(schema, inner)}),
    }
}

fn range_json(r: Option<(i64, i64)>) -> Value {
    r.map_or(Value::Null, |(lo, hi)| json!([lo, hi]))
}

/// The schema view: `facts`, `sections`, `enums`, `records`, `conclusions`, `params`.
pub fn schema_json(policy: &Policy) -> Value {
    let s = &policy.schema;
    let facts: Vec<Value> = s
        .facts
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "type": type_json(s, &f.ty),
                "optional": f.optional,
                "default": f.default.as_ref().map_or(Value::Null, |v| s.to_json(&f.ty, v)),
                "range": range_json(f.range),
                "sensitive": f.sensitive,
                "label": f.label,
                "section": f.section.and_then(|i| s.sections.get(i)).map(|sec| sec.name.clone()),
            })
        })
        .collect();
    let sections: Vec<Value> = s
        .sections
        .iter()
        .map(|sec| json!({"name": sec.name, "label": sec.label}))
        .collect();
    let enums: Vec<Value> = s
        .enums
        .iter()
        .map(|e| {
            let values: Vec<Value> = e
                .variants
                .iter()
                .zip(e.labels.iter())
                .map(|(v, l)| json!({"name": v, "label": l}))
                .collect();
            json!({"name": e.name, "label": e.label, "values": values})
        })
        .collect();
    let records: Vec<Value> = s
        .records
        .iter()
        .map(|r| {
            let fields: Vec<Value> = r
                .fields
                .iter()
                .map(|f| {
                    json!({
                        "name": f.name,
                        "type": type_json(s, &f.ty),
                        "optional": f.optional,
                        "range": range_json(f.range),
                        "sensitive": f.sensitive,
                        "label": f.label,
                    })
                })
                .collect();
            json!({"name": r.name, "fields": fields})
        })
        .collect();
    let conclusions: Vec<Value> = policy
        .program
        .conclusions
        .iter()
        .map(|c| {
            json!({
                "key": c.key,
                "type": type_json(s, &c.ty),
                "collect": c.collect,
                "label": c.label,
            })
        })
        .collect();
    let rules: Vec<Value> = policy
        .program
        .rules
        .iter()
        .map(|r| json!({"id": r.id, "title": r.title, "cite": r.cites}))
        .collect();
    json!({
        "name": policy.name,
        "version": policy.version,
        "digest": policy.digest,
        "facts": facts,
        "sections": sections,
        "enums": enums,
        "records": records,
        "conclusions": conclusions,
        "rules": rules,
        "params": crate::api::params_json(policy),
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn lists_facts_with_types_labels_and_sections() {
        let set = json!({
            "a.humiao": concat!(
                "policy a \"A\"\n",
                "enum Sex \"性别\" { female \"女\", male \"男\" }\n",
                "facts minor \"未成年人\" { age: Int? @range(0, 150) \"年龄\"\n sex: Sex \"性别\" }\n",
                "facts hotel optional \"住宿\" { minor_alone: Bool \"独自入住\" }\n",
                "conclusion a.alone: Bool \"独自\"\n",
                "rule alone \"独自\"\n",
                "  cite \"第一条\"\n",
                "  when hotel.minor_alone\n",
                "  then conclude a.alone = true\n",
            ),
        })
        .to_string();
        let p = crate::api::load(&set, "{}")
            .map_err(|f| f.to_json())
            .unwrap();
        let v = schema_json(&p);
        let age = v["facts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "minor.age")
            .unwrap();
        assert_eq!(age["type"]["kind"], "int");
        assert_eq!(age["range"], json!([0, 150]));
        assert_eq!(age["label"], "年龄");
        let alone = v["facts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "hotel.minor_alone")
            .unwrap();
        assert_eq!(alone["section"], "hotel");
        let sex = v["enums"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "Sex")
            .unwrap();
        assert_eq!(sex["values"][0], json!({"name": "female", "label": "女"}));
        assert_eq!(v["rules"][0]["cite"], json!(["第一条"]));
    }
}
