//! The answers every engine gives for the workload's conclusions, in one comparable form:
//! enum sets as bitsets in the declaration order of their enum in `rules/*.humiao`.

use serde::Serialize;

/// `enum Situation` (rules/reporting.humiao), in declaration order.
pub const SITUATIONS: [&str; 10] = [
    "genital_injury",
    "female_under_14_sexual",
    "female_14_plus_assault_pregnancy",
    "injury_with_abuse",
    "abnormal_disability_or_death",
    "abandoned_or_unattended",
    "missing_or_trafficked",
    "organised_begging",
    "other_serious_harm",
    "domestic_violence",
];

/// `enum HotelViolation` (rules/hotel.humiao).
pub const HOTEL_VIOLATIONS: [&str; 3] = [
    "identity_not_verified",
    "guardian_contact_not_recorded",
    "relationship_not_recorded",
];

/// `enum ConsultationTrigger` (rules/consultation.humiao).
pub const TRIGGERS: [&str; 8] = [
    "multiple_departments",
    "repeated_reports",
    "media_attention",
    "serious_injury",
    "serious_situation",
    "guardian_harm",
    "revocation_proposed",
    "returning_from_temporary_guardianship",
];

/// The obligations the workload's rules can give, by the rule that gives them.
pub const OBLIGATIONS: [Obligation; 6] = [
    Obligation {
        rule: "reporting.duty_mandatory",
        actor: "reporter",
        action: "report",
        party: Some("public_security"),
    },
    Obligation {
        rule: "reporting.school_reports_to_education",
        actor: "reporter",
        action: "report",
        party: Some("education_authority"),
    },
    Obligation {
        rule: "hotel.report_suspicious",
        actor: "hotel",
        action: "report",
        party: Some("public_security"),
    },
    Obligation {
        rule: "hotel.report_suspicious",
        actor: "hotel",
        action: "contact_guardian",
        party: Some("guardian"),
    },
    Obligation {
        rule: "consultation.convene",
        actor: "district_minor_protection_office",
        action: "convene_consultation",
        party: None,
    },
    Obligation {
        rule: "consultation.convene_emergency",
        actor: "district_minor_protection_office",
        action: "convene_consultation",
        party: None,
    },
];

pub const TO_PUBLIC_SECURITY: u8 = 1 << 0;
pub const TO_EDUCATION: u8 = 1 << 1;
pub const HOTEL_REPORT: u8 = 1 << 2;
pub const HOTEL_CONTACT_GUARDIAN: u8 = 1 << 3;
pub const CONVENE: u8 = 1 << 4;
pub const CONVENE_EMERGENCY: u8 = 1 << 5;
/// An obligation none of the above: no baseline gives one, so it is a disagreement.
pub const OTHER_OBLIGATION: u8 = 1 << 7;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub rule: &'static str,
    pub actor: &'static str,
    pub action: &'static str,
    pub party: Option<&'static str>,
}

/// `enum Duty` (rules/reporting.humiao).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    Mandatory,
    Voluntary,
    Review,
    None,
}

impl Duty {
    pub fn name(self) -> &'static str {
        match self {
            Duty::Mandatory => "mandatory",
            Duty::Voluntary => "voluntary",
            Duty::Review => "review",
            Duty::None => "none",
        }
    }

    pub fn from_name(s: &str) -> Option<Duty> {
        [Duty::Mandatory, Duty::Voluntary, Duty::Review, Duty::None]
            .into_iter()
            .find(|d| d.name() == s)
    }
}

/// What the workload asks of every engine: the conclusions of the reporting, hotel and
/// consultation rules, and the obligations they give (who, what, to whom; not the due time).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    /// `reporting.situations`, a bitset over [`SITUATIONS`].
    pub situations: u16,
    /// `reporting.duty`.
    pub duty: Duty,
    /// `hotel.suspicious`; `None` when it has no value (no hotel stay, or not a minor).
    pub hotel_suspicious: Option<bool>,
    /// `hotel.violations`, a bitset over [`HOTEL_VIOLATIONS`].
    pub hotel_violations: u8,
    /// `consultation.triggers`, a bitset over [`TRIGGERS`].
    pub triggers: u8,
    /// `consultation.required`.
    pub consultation_required: bool,
    /// `consultation.emergency`.
    pub consultation_emergency: bool,
    /// The obligations, a bitset over [`OBLIGATIONS`].
    pub obligations: u8,
}

fn names<T: Copy>(bits: u32, all: &[T]) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

#[derive(Serialize)]
struct DecisionOut<'a> {
    status: &'static str,
    obligations: Vec<Obligation>,
    conclusions: ConclusionsOut<'a>,
}

#[derive(Serialize)]
struct ConclusionsOut<'a> {
    #[serde(rename = "reporting.situations")]
    situations: Vec<&'a str>,
    #[serde(rename = "reporting.duty")]
    duty: Duty,
    #[serde(rename = "hotel.suspicious")]
    hotel_suspicious: Option<bool>,
    #[serde(rename = "hotel.violations")]
    hotel_violations: Vec<&'a str>,
    #[serde(rename = "consultation.triggers")]
    triggers: Vec<&'a str>,
    #[serde(rename = "consultation.required")]
    required: bool,
    #[serde(rename = "consultation.emergency")]
    emergency: bool,
}

impl Answers {
    /// A small decision as compact JSON (status, obligations, conclusions): what the
    /// hand-written baselines write in the "JSON line → decision" mode.
    pub fn to_json(&self) -> String {
        let out = DecisionOut {
            status: "determined",
            obligations: names(u32::from(self.obligations), &OBLIGATIONS),
            conclusions: ConclusionsOut {
                situations: names(u32::from(self.situations), &SITUATIONS),
                duty: self.duty,
                hotel_suspicious: self.hotel_suspicious,
                hotel_violations: names(u32::from(self.hotel_violations), &HOTEL_VIOLATIONS),
                triggers: names(u32::from(self.triggers), &TRIGGERS),
                required: self.consultation_required,
                emergency: self.consultation_emergency,
            },
        };
        serde_json::to_string(&out).unwrap_or_default()
    }

    /// Where two answers differ, conclusion by conclusion, for a disagreement report.
    pub fn differences(&self, other: &Answers) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |name: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{name}: {a} vs {b}"));
            }
        };
        cmp(
            "reporting.situations",
            format!("{:?}", names(u32::from(self.situations), &SITUATIONS)),
            format!("{:?}", names(u32::from(other.situations), &SITUATIONS)),
        );
        cmp(
            "reporting.duty",
            self.duty.name().into(),
            other.duty.name().into(),
        );
        cmp(
            "hotel.suspicious",
            format!("{:?}", self.hotel_suspicious),
            format!("{:?}", other.hotel_suspicious),
        );
        cmp(
            "hotel.violations",
            format!(
                "{:?}",
                names(u32::from(self.hotel_violations), &HOTEL_VIOLATIONS)
            ),
            format!(
                "{:?}",
                names(u32::from(other.hotel_violations), &HOTEL_VIOLATIONS)
            ),
        );
        cmp(
            "consultation.triggers",
            format!("{:?}", names(u32::from(self.triggers), &TRIGGERS)),
            format!("{:?}", names(u32::from(other.triggers), &TRIGGERS)),
        );
        cmp(
            "consultation.required",
            self.consultation_required.to_string(),
            other.consultation_required.to_string(),
        );
        cmp(
            "consultation.emergency",
            self.consultation_emergency.to_string(),
            other.consultation_emergency.to_string(),
        );
        let rules = |bits: u8| -> Vec<String> {
            let mut v: Vec<String> = names(u32::from(bits), &OBLIGATIONS)
                .iter()
                .map(|o| format!("{} {} {:?}", o.rule, o.action, o.party))
                .collect();
            if bits & OTHER_OBLIGATION != 0 {
                v.push("another obligation".into());
            }
            v
        };
        cmp(
            "obligations",
            format!("{:?}", rules(self.obligations)),
            format!("{:?}", rules(other.obligations)),
        );
        out
    }

    /// The bit of a set member's name in `all`, if it is one.
    pub fn bit_of(all: &[&str], name: &str) -> Option<u32> {
        all.iter().position(|n| *n == name).map(|i| 1 << i)
    }
}
