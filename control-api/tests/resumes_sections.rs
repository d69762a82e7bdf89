//! Section heuristics on differently laid-out resume texts (no PDF involved).

use control_api::resumes::sections::parse;

#[test]
fn two_line_headers_title_case_headings_and_inline_skills() {
    let text = "\
Carlos Ruiz
Berlin, Germany • carlos@ruiz.dev • +49 30 1234567
Profile
Backend developer who likes boring technology.
Work Experience
ACME GmbH
Staff Engineer, 03/2019 - now
- Cut cloud spend by half
- Ran the on-call rotation
  and wrote the runbooks
Globex — Developer — 2014-2019
* Shipped the billing system
Education
Technical University of Munich
MSc Informatics 2014
Skills: Rust, Go; SQL | Terraform
";
    let parsed = parse(text);
    assert_eq!(parsed.contact.name, "Carlos Ruiz");
    assert_eq!(parsed.contact.email.as_deref(), Some("carlos@ruiz.dev"));
    assert_eq!(parsed.contact.phone.as_deref(), Some("+49 30 1234567"));
    assert_eq!(parsed.contact.location.as_deref(), Some("Berlin, Germany"));
    assert_eq!(parsed.contact.linkedin, None);
    assert_eq!(
        parsed.summary.as_deref(),
        Some("Backend developer who likes boring technology.")
    );
    let exp = &parsed.experiences;
    assert_eq!(exp.len(), 2, "{exp:#?}");
    assert_eq!(exp[0].title, "Staff Engineer");
    assert_eq!(exp[0].company, "ACME GmbH");
    assert_eq!(exp[0].start_date.as_deref(), Some("03/2019"));
    assert_eq!(exp[0].end_date.as_deref(), Some("Now"));
    assert_eq!(
        exp[0].highlights,
        [
            "Cut cloud spend by half",
            "Ran the on-call rotation and wrote the runbooks"
        ]
    );
    assert_eq!(exp[1].title, "Developer");
    assert_eq!(exp[1].company, "Globex");
    assert_eq!(exp[1].start_date.as_deref(), Some("2014"));
    assert_eq!(exp[1].end_date.as_deref(), Some("2019"));
    assert_eq!(parsed.education.len(), 1, "{:#?}", parsed.education);
    assert_eq!(
        parsed.education[0].institution,
        "Technical University of Munich"
    );
    assert_eq!(parsed.education[0].degree, "MSc Informatics");
    assert_eq!(parsed.education[0].graduation_date.as_deref(), Some("2014"));
    assert_eq!(parsed.skills, ["Rust", "Go", "SQL", "Terraform"]);
    assert!(parsed.certifications.is_empty());
}

#[test]
fn untitled_summary_and_unknown_sections_do_not_leak() {
    let text = "\
Ada Lovelace
ada@example.org
Mathematician writing the first published algorithm.
PROJECTS
Analytical Engine notes
CERTIFICATES
Certified Difference Engine Operator
INTERESTS
Poetry, horses
";
    let parsed = parse(text);
    assert_eq!(parsed.contact.name, "Ada Lovelace");
    assert_eq!(
        parsed.summary.as_deref(),
        Some("Mathematician writing the first published algorithm.")
    );
    assert!(parsed.experiences.is_empty() && parsed.skills.is_empty());
    assert_eq!(
        parsed.certifications,
        ["Certified Difference Engine Operator"]
    );
    assert_eq!(parsed.raw_text, text.trim());
}

#[test]
fn text_without_structure_still_yields_raw_text_and_never_panics() {
    let inputs = [
        String::new(),
        "   \n\n ".to_owned(),
        "•\n-\n*\nEXPERIENCE\n•\nEducation\n, , ,\nSkills:\n:::".to_owned(),
        "Jan 2020 - Jan 2020 - Present - 2019-2020-2021".to_owned(),
        "ÄÖÜ – — • ▪ 日本語の履歴書\nEXPERIENCE\n日本語 2020 - 2021".to_owned(),
        "x".repeat(600_000),
        format!(
            "{}\nSKILLS\n{}",
            "N".repeat(700),
            (0..700)
                .map(|i| format!("skill{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Jo\nEXPERIENCE\nEngineer | {} | 2020 - 2021\n{}",
            "C".repeat(800),
            "- z\n".repeat(500)
        ),
        format!("Jo\nSUMMARY\n{}", "word ".repeat(3000)),
    ];
    for input in inputs {
        let parsed = parse(&input);
        assert!(parsed.raw_text.chars().count() <= 500_000);
        assert_eq!(
            parsed.validate().map_err(|e| e.contains("raw_text")),
            Ok(())
        );
    }
}
