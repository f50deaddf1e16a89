//! The workload's rules over typed structs: rules/reporting.humiao, rules/hotel.humiao and
//! rules/consultation.humiao with their default params, rule by rule.

use crate::answers::*;
use crate::workload::{Case, OrgType, Sex};

/// Decides a case. `#[inline(never)]` so the benchmark times a call, as it does for humiao.
#[inline(never)]
pub fn decide(c: &Case) -> Answers {
    let i = &c.indicators;
    let age = c.minor.age;
    let is_minor = age < 18;
    let female = c.minor.sex == Sex::Female;
    let obligor = !matches!(c.reporter.org_type, OrgType::Individual | OrgType::Other);
    let at_work = obligor && c.reporter.in_course_of_work;

    // reporting.humiao: the situations of the 2020 opinion Art.4 and ADVL Art.14.
    let mut s = 0u16;
    if is_minor {
        let pregnant_or_aborted = i.pregnancy || i.abortion;
        let assault_suspected = i.sexual_assault || i.pregnancy_assault_suspected;
        if i.genital_private_injury {
            s |= 1 << 0;
        }
        if female && age < 14 && (i.sexual_assault || i.pregnancy || i.abortion) {
            s |= 1 << 1;
        }
        if female && age >= 14 && pregnant_or_aborted && assault_suspected {
            s |= 1 << 2;
        }
        if (i.multiple_injuries || i.severe_malnutrition || i.impaired_consciousness)
            && (i.domestic_violence || i.bullying || i.maltreatment || i.beating || i.drugged)
        {
            s |= 1 << 3;
        }
        if i.abnormal_disability_or_death {
            s |= 1 << 4;
        }
        if i.abandoned || i.unattended {
            s |= 1 << 5;
        }
        if i.unknown_origin || i.missing || i.trafficked {
            s |= 1 << 6;
        }
        if i.organised_begging {
            s |= 1 << 7;
        }
        let assault_in_items_2_3 = female && i.sexual_assault && (age < 14 || pregnant_or_aborted);
        if i.other_serious_harm
            || i.imminent_danger
            || i.sexual_harassment
            || (i.sexual_assault && !assault_in_items_2_3)
        {
            s |= 1 << 8;
        }
        if i.domestic_violence && !(age >= 16 && c.minor.self_supporting == Some(true)) {
            s |= 1 << 9;
        }
    }
    let pregnant_or_aborted = i.pregnancy || i.abortion;
    let duty = if s != 0 && at_work {
        Duty::Mandatory
    } else if s == 0
        && is_minor
        && ((female && age >= 14 && pregnant_or_aborted)
            || i.maltreatment
            || i.beating
            || i.drugged
            || i.bullying
            || i.domestic_violence)
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
        && matches!(c.reporter.org_type, OrgType::School | OrgType::Kindergarten)
        && is_minor
        && (i.sexual_assault || i.sexual_harassment)
    {
        obligations |= TO_EDUCATION;
    }

    // hotel.humiao: suspicious circumstances and the asking-and-recording duties.
    let mut hotel_suspicious = None;
    let mut hotel_violations = 0u8;
    if let Some(h) = &c.hotel {
        if h.checking_in && is_minor {
            let unexplained = h.reasonable_explanation == Some(false);
            // The five predicates of hotel.predicates, one by one.
            let p_alone = h.minor_alone && unexplained;
            let p_together =
                (h.opposite_sex_minors_together || h.several_minors_together) && unexplained;
            let p_adult = h.with_adult && h.relationship_plausible == Some(false);
            let suspicious =
                p_alone || p_together || p_adult || h.minor_impaired || h.other_suspicious;
            hotel_suspicious = Some(suspicious);
            if suspicious {
                obligations |= HOTEL_REPORT | HOTEL_CONTACT_GUARDIAN;
            }
            if !h.identity_verified {
                hotel_violations |= 1 << 0;
            }
            if !h.guardian_contact_recorded {
                hotel_violations |= 1 << 1;
            }
            if !h.minor_alone && !h.relationship_recorded {
                hotel_violations |= 1 << 2;
            }
        }
    }

    // consultation.humiao: the start conditions (no guardian section in the workload, so
    // guardian_harm never starts one) and the emergency procedure.
    let k = &c.case;
    let mut t = 0u8;
    if k.departments_involved >= 2 {
        t |= 1 << 0;
    }
    if k.prior_reports_12m + 1 >= 2 {
        t |= 1 << 1;
    }
    if k.media_attention {
        t |= 1 << 2;
    }
    if k.serious_injury {
        t |= 1 << 3;
    }
    // consultation.serious_situations: female_under_14_sexual, abnormal_disability_or_death,
    // missing_or_trafficked.
    if is_minor && s & (1 << 1 | 1 << 4 | 1 << 6) != 0 {
        t |= 1 << 4;
    }
    if k.revocation_proposed {
        t |= 1 << 6;
    }
    if k.returning_from_temporary_guardianship {
        t |= 1 << 7;
    }
    let required = t != 0;
    let emergency = k.emergency || (is_minor && i.imminent_danger);
    if required {
        obligations |= if emergency {
            CONVENE_EMERGENCY
        } else {
            CONVENE
        };
    }

    Answers {
        situations: s,
        duty,
        hotel_suspicious,
        hotel_violations,
        triggers: t,
        consultation_required: required,
        consultation_emergency: emergency,
        obligations,
    }
}

/// Reads a JSON line into the typed structs (serde derive) and decides it.
#[inline(never)]
pub fn parse_and_decide(line: &str) -> Result<Answers, serde_json::Error> {
    let case: Case = serde_json::from_str(line)?;
    Ok(decide(&case))
}

/// JSON line → decision JSON text.
#[inline(never)]
pub fn json_line_to_decision(line: &str) -> Result<String, serde_json::Error> {
    parse_and_decide(line).map(|a| a.to_json())
}
