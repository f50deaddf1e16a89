//! The workload's rules (rules/reporting.humiao, hotel.humiao, consultation.humiao with their
//! default params; see humiao-bench's `baseline::typed` for the same rules in Rust) translated
//! for each peer. Both answer with one JSON object of the same shape, read by
//! [`crate::answers_from_json`].

/// zen-engine: the expressions of one expression node, in order; a later one reads an earlier
/// one's result as `$.key`. The node's output is the object of all of them.
pub const ZEN: [(&str, &str); 13] = [
    ("minor", "minor.age < 18"),
    ("female", "minor.sex == 'female'"),
    (
        "at_work",
        "not (reporter.org_type in ['individual', 'other']) and reporter.in_course_of_work",
    ),
    ("preg", "indicators.pregnancy or indicators.abortion"),
    (
        "situations",
        "filter([\
         ($.minor and indicators.genital_private_injury) ? 'genital_injury' : '', \
         ($.minor and $.female and minor.age < 14 and (indicators.sexual_assault or indicators.pregnancy or indicators.abortion)) ? 'female_under_14_sexual' : '', \
         ($.minor and $.female and minor.age >= 14 and $.preg and (indicators.sexual_assault or indicators.pregnancy_assault_suspected)) ? 'female_14_plus_assault_pregnancy' : '', \
         ($.minor and (indicators.multiple_injuries or indicators.severe_malnutrition or indicators.impaired_consciousness) and (indicators.domestic_violence or indicators.bullying or indicators.maltreatment or indicators.beating or indicators.drugged)) ? 'injury_with_abuse' : '', \
         ($.minor and indicators.abnormal_disability_or_death) ? 'abnormal_disability_or_death' : '', \
         ($.minor and (indicators.abandoned or indicators.unattended)) ? 'abandoned_or_unattended' : '', \
         ($.minor and (indicators.unknown_origin or indicators.missing or indicators.trafficked)) ? 'missing_or_trafficked' : '', \
         ($.minor and indicators.organised_begging) ? 'organised_begging' : '', \
         ($.minor and (indicators.other_serious_harm or indicators.imminent_danger or indicators.sexual_harassment or (indicators.sexual_assault and not ($.female and (minor.age < 14 or $.preg))))) ? 'other_serious_harm' : '', \
         ($.minor and indicators.domestic_violence and not (minor.age >= 16 and minor.self_supporting == true)) ? 'domestic_violence' : ''\
         ], # != '')",
    ),
    (
        "duty",
        "(len($.situations) > 0 and $.at_work) ? 'mandatory' : \
         ((len($.situations) == 0 and $.minor and (($.female and minor.age >= 14 and $.preg) or indicators.maltreatment or indicators.beating or indicators.drugged or indicators.bullying or indicators.domestic_violence)) ? 'review' : \
         (len($.situations) > 0 ? 'voluntary' : 'none'))",
    ),
    (
        "receiving",
        "hotel != null and hotel.checking_in == true and $.minor",
    ),
    (
        "hotel_suspicious",
        "$.receiving ? (\
         (hotel.minor_alone and hotel.reasonable_explanation == false) \
         or ((hotel.opposite_sex_minors_together or hotel.several_minors_together) and hotel.reasonable_explanation == false) \
         or (hotel.with_adult and hotel.relationship_plausible == false) \
         or hotel.minor_impaired or hotel.other_suspicious) : null",
    ),
    (
        "hotel_violations",
        "$.receiving ? filter([\
         hotel.identity_verified ? '' : 'identity_not_verified', \
         hotel.guardian_contact_recorded ? '' : 'guardian_contact_not_recorded', \
         (hotel.minor_alone or hotel.relationship_recorded) ? '' : 'relationship_not_recorded'\
         ], # != '') : []",
    ),
    (
        "triggers",
        "filter([\
         case.departments_involved >= 2 ? 'multiple_departments' : '', \
         case.prior_reports_12m + 1 >= 2 ? 'repeated_reports' : '', \
         case.media_attention ? 'media_attention' : '', \
         case.serious_injury ? 'serious_injury' : '', \
         ($.minor and some($.situations, # in ['female_under_14_sexual', 'abnormal_disability_or_death', 'missing_or_trafficked'])) ? 'serious_situation' : '', \
         case.revocation_proposed ? 'revocation_proposed' : '', \
         case.returning_from_temporary_guardianship ? 'returning_from_temporary_guardianship' : ''\
         ], # != '')",
    ),
    ("required", "len($.triggers) > 0"),
    (
        "emergency",
        "case.emergency or ($.minor and indicators.imminent_danger)",
    ),
    (
        "obligations",
        "filter([\
         $.duty == 'mandatory' ? 'reporter_public_security' : '', \
         ($.at_work and reporter.org_type in ['school', 'kindergarten'] and $.minor and (indicators.sexual_assault or indicators.sexual_harassment)) ? 'reporter_education_authority' : '', \
         $.hotel_suspicious == true ? 'hotel_public_security' : '', \
         $.hotel_suspicious == true ? 'hotel_contact_guardian' : '', \
         ($.required and not $.emergency) ? 'convene' : '', \
         ($.required and $.emergency) ? 'convene_emergency' : ''\
         ], # != '')",
    ),
];

/// CEL has no `let` in cel-interpreter 0.10: the rules are four programs, each a map, whose
/// result the next one reads as `s1`, `s2`, `s3` (an inner scope of the case's context).
/// The case's sections are the variables `reporter`, `minor`, `indicators`, `hotel` (null
/// when absent) and `case`.
pub const CEL: [&str; 4] = [
    // s1
    "{\
     'minor': minor.age < 18, \
     'female': minor.sex == 'female', \
     'at_work': !(reporter.org_type in ['individual', 'other']) && reporter.in_course_of_work, \
     'preg': indicators.pregnancy || indicators.abortion\
     }",
    // s2
    "{\
     'situations': [\
     (s1.minor && indicators.genital_private_injury) ? 'genital_injury' : '', \
     (s1.minor && s1.female && minor.age < 14 && (indicators.sexual_assault || indicators.pregnancy || indicators.abortion)) ? 'female_under_14_sexual' : '', \
     (s1.minor && s1.female && minor.age >= 14 && s1.preg && (indicators.sexual_assault || indicators.pregnancy_assault_suspected)) ? 'female_14_plus_assault_pregnancy' : '', \
     (s1.minor && (indicators.multiple_injuries || indicators.severe_malnutrition || indicators.impaired_consciousness) && (indicators.domestic_violence || indicators.bullying || indicators.maltreatment || indicators.beating || indicators.drugged)) ? 'injury_with_abuse' : '', \
     (s1.minor && indicators.abnormal_disability_or_death) ? 'abnormal_disability_or_death' : '', \
     (s1.minor && (indicators.abandoned || indicators.unattended)) ? 'abandoned_or_unattended' : '', \
     (s1.minor && (indicators.unknown_origin || indicators.missing || indicators.trafficked)) ? 'missing_or_trafficked' : '', \
     (s1.minor && indicators.organised_begging) ? 'organised_begging' : '', \
     (s1.minor && (indicators.other_serious_harm || indicators.imminent_danger || indicators.sexual_harassment || (indicators.sexual_assault && !(s1.female && (minor.age < 14 || s1.preg))))) ? 'other_serious_harm' : '', \
     (s1.minor && indicators.domestic_violence && !(minor.age >= 16 && has(minor.self_supporting) && minor.self_supporting)) ? 'domestic_violence' : ''\
     ].filter(x, x != ''), \
     'receiving': hotel != null && hotel.checking_in && s1.minor, \
     'emergency': case.emergency || (s1.minor && indicators.imminent_danger)\
     }",
    // s3
    "{\
     'duty': (size(s2.situations) > 0 && s1.at_work) ? 'mandatory' : \
     ((size(s2.situations) == 0 && s1.minor && ((s1.female && minor.age >= 14 && s1.preg) || indicators.maltreatment || indicators.beating || indicators.drugged || indicators.bullying || indicators.domestic_violence)) ? 'review' : \
     (size(s2.situations) > 0 ? 'voluntary' : 'none')), \
     'hotel_suspicious': s2.receiving ? (\
     (hotel.minor_alone && has(hotel.reasonable_explanation) && !hotel.reasonable_explanation) \
     || ((hotel.opposite_sex_minors_together || hotel.several_minors_together) && has(hotel.reasonable_explanation) && !hotel.reasonable_explanation) \
     || (hotel.with_adult && has(hotel.relationship_plausible) && !hotel.relationship_plausible) \
     || hotel.minor_impaired || hotel.other_suspicious) : null, \
     'hotel_violations': s2.receiving ? [\
     hotel.identity_verified ? '' : 'identity_not_verified', \
     hotel.guardian_contact_recorded ? '' : 'guardian_contact_not_recorded', \
     (hotel.minor_alone || hotel.relationship_recorded) ? '' : 'relationship_not_recorded'\
     ].filter(x, x != '') : [], \
     'triggers': [\
     case.departments_involved >= 2 ? 'multiple_departments' : '', \
     case.prior_reports_12m + 1 >= 2 ? 'repeated_reports' : '', \
     case.media_attention ? 'media_attention' : '', \
     case.serious_injury ? 'serious_injury' : '', \
     (s1.minor && s2.situations.exists(x, x in ['female_under_14_sexual', 'abnormal_disability_or_death', 'missing_or_trafficked'])) ? 'serious_situation' : '', \
     case.revocation_proposed ? 'revocation_proposed' : '', \
     case.returning_from_temporary_guardianship ? 'returning_from_temporary_guardianship' : ''\
     ].filter(x, x != '')\
     }",
    // the answer
    "{\
     'situations': s2.situations, \
     'duty': s3.duty, \
     'hotel_suspicious': s3.hotel_suspicious, \
     'hotel_violations': s3.hotel_violations, \
     'triggers': s3.triggers, \
     'required': size(s3.triggers) > 0, \
     'emergency': s2.emergency, \
     'obligations': [\
     s3.duty == 'mandatory' ? 'reporter_public_security' : '', \
     (s1.at_work && reporter.org_type in ['school', 'kindergarten'] && s1.minor && (indicators.sexual_assault || indicators.sexual_harassment)) ? 'reporter_education_authority' : '', \
     s3.hotel_suspicious == true ? 'hotel_public_security' : '', \
     s3.hotel_suspicious == true ? 'hotel_contact_guardian' : '', \
     (size(s3.triggers) > 0 && !s2.emergency) ? 'convene' : '', \
     (size(s3.triggers) > 0 && s2.emergency) ? 'convene_emergency' : ''\
     ].filter(x, x != '')\
     }",
];

/// The names the translations give the obligations, in the order of humiao-bench's
/// `answers::OBLIGATIONS`.
pub const OBLIGATION_NAMES: [&str; 6] = [
    "reporter_public_security",
    "reporter_education_authority",
    "hotel_public_security",
    "hotel_contact_guardian",
    "convene",
    "convene_emergency",
];
