//! The workload's rules over `serde_json::Value`: the same rules as [`super::typed`], reading
//! every fact by name from the parsed JSON, as code that keeps cases as JSON would.

use crate::answers::*;
use serde_json::Value;

fn section<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get(name).filter(|s| s.is_object())
}

fn flag(v: Option<&Value>, name: &str) -> bool {
    v.and_then(|s| s.get(name))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn opt_flag(v: Option<&Value>, name: &str) -> Option<bool> {
    v.and_then(|s| s.get(name)).and_then(Value::as_bool)
}

fn int(v: Option<&Value>, name: &str) -> Option<i64> {
    v.and_then(|s| s.get(name)).and_then(Value::as_i64)
}

fn text<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a str> {
    v.and_then(|s| s.get(name)).and_then(Value::as_str)
}

/// Decides a case given as parsed JSON. A case without a minor's age is not in the workload:
/// `None`.
#[inline(never)]
pub fn decide(v: &Value) -> Option<Answers> {
    let reporter = section(v, "reporter");
    let minor = section(v, "minor");
    let ind = section(v, "indicators");
    let i = |name: &str| flag(ind, name);
    let age = int(minor, "age")?;
    let is_minor = age < 18;
    let female = text(minor, "sex") == Some("female");
    let org = text(reporter, "org_type")?;
    let obligor = !matches!(org, "individual" | "other");
    let at_work = obligor && flag(reporter, "in_course_of_work");

    let sexual_assault = i("sexual_assault");
    let pregnancy = i("pregnancy");
    let abortion = i("abortion");
    let pregnant_or_aborted = pregnancy || abortion;
    let imminent_danger = i("imminent_danger");
    let mut s = 0u16;
    if is_minor {
        let assault_suspected = sexual_assault || i("pregnancy_assault_suspected");
        if i("genital_private_injury") {
            s |= 1 << 0;
        }
        if female && age < 14 && (sexual_assault || pregnancy || abortion) {
            s |= 1 << 1;
        }
        if female && age >= 14 && pregnant_or_aborted && assault_suspected {
            s |= 1 << 2;
        }
        if (i("multiple_injuries") || i("severe_malnutrition") || i("impaired_consciousness"))
            && (i("domestic_violence")
                || i("bullying")
                || i("maltreatment")
                || i("beating")
                || i("drugged"))
        {
            s |= 1 << 3;
        }
        if i("abnormal_disability_or_death") {
            s |= 1 << 4;
        }
        if i("abandoned") || i("unattended") {
            s |= 1 << 5;
        }
        if i("unknown_origin") || i("missing") || i("trafficked") {
            s |= 1 << 6;
        }
        if i("organised_begging") {
            s |= 1 << 7;
        }
        let assault_in_items_2_3 = female && sexual_assault && (age < 14 || pregnant_or_aborted);
        if i("other_serious_harm")
            || imminent_danger
            || i("sexual_harassment")
            || (sexual_assault && !assault_in_items_2_3)
        {
            s |= 1 << 8;
        }
        if i("domestic_violence")
            && !(age >= 16 && opt_flag(minor, "self_supporting") == Some(true))
        {
            s |= 1 << 9;
        }
    }
    let duty = if s != 0 && at_work {
        Duty::Mandatory
    } else if s == 0
        && is_minor
        && ((female && age >= 14 && pregnant_or_aborted)
            || i("maltreatment")
            || i("beating")
            || i("drugged")
            || i("bullying")
            || i("domestic_violence"))
    {
        Duty::Review
    } else if s != 0 {
        Duty::Voluntary
    } else {
        Duty::None
    };
    let mut obligations = 0u8;
    if duty == Duty::Mandatory {
        obligations |= TO_PUBLIC_SECURITY;
    }
    if at_work
        && matches!(org, "school" | "kindergarten")
        && is_minor
        && (sexual_assault || i("sexual_harassment"))
    {
        obligations |= TO_EDUCATION;
    }

    let mut hotel_suspicious = None;
    let mut hotel_violations = 0u8;
    let hotel = section(v, "hotel");
    if hotel.is_some() && flag(hotel, "checking_in") && is_minor {
        let h = |name: &str| flag(hotel, name);
        let unexplained = opt_flag(hotel, "reasonable_explanation") == Some(false);
        let alone = h("minor_alone");
        let p_alone = alone && unexplained;
        let p_together =
            (h("opposite_sex_minors_together") || h("several_minors_together")) && unexplained;
        let p_adult = h("with_adult") && opt_flag(hotel, "relationship_plausible") == Some(false);
        let suspicious =
            p_alone || p_together || p_adult || h("minor_impaired") || h("other_suspicious");
        hotel_suspicious = Some(suspicious);
        if suspicious {
            obligations |= HOTEL_REPORT | HOTEL_CONTACT_GUARDIAN;
        }
        if !h("identity_verified") {
            hotel_violations |= 1 << 0;
        }
        if !h("guardian_contact_recorded") {
            hotel_violations |= 1 << 1;
        }
        if !alone && !h("relationship_recorded") {
            hotel_violations |= 1 << 2;
        }
    }

    let k = section(v, "case");
    let mut t = 0u8;
    if int(k, "departments_involved").is_some_and(|n| n >= 2) {
        t |= 1 << 0;
    }
    if int(k, "prior_reports_12m").is_some_and(|n| n + 1 >= 2) {
        t |= 1 << 1;
    }
    if flag(k, "media_attention") {
        t |= 1 << 2;
    }
    if flag(k, "serious_injury") {
        t |= 1 << 3;
    }
    if is_minor && s & (1 << 1 | 1 << 4 | 1 << 6) != 0 {
        t |= 1 << 4;
    }
    if flag(k, "revocation_proposed") {
        t |= 1 << 6;
    }
    if flag(k, "returning_from_temporary_guardianship") {
        t |= 1 << 7;
    }
    let required = t != 0;
    let emergency = flag(k, "emergency") || (is_minor && imminent_danger);
    if required {
        obligations |= if emergency {
            CONVENE_EMERGENCY
        } else {
            CONVENE
        };
    }
    Some(Answers {
        situations: s,
        duty,
        hotel_suspicious,
        hotel_violations,
        triggers: t,
        consultation_required: required,
        consultation_emergency: emergency,
        obligations,
    })
}

/// Parses a JSON line into a `Value` and decides it.
#[inline(never)]
pub fn parse_and_decide(line: &str) -> Option<Answers> {
    let v: Value = serde_json::from_str(line).ok()?;
    decide(&v)
}

/// JSON line → decision JSON text.
#[inline(never)]
pub fn json_line_to_decision(line: &str) -> Option<String> {
    parse_and_decide(line).map(|a| a.to_json())
}
