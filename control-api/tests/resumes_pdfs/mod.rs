//! PDFs written at test time with `lopdf` for the resume tests: a text resume, a scanned
//! (image-only) page, an encrypted file, a Flate bomb and an LZW stream. No binary is committed.

#![allow(dead_code)] // Each test binary uses some of these documents.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

pub const RESUME: &[&str] = &[
    "Jane Doe",
    "jane.doe@example.com | +1-555-123-4567 | San Francisco, CA",
    "linkedin.com/in/janedoe",
    "SUMMARY",
    "Senior software engineer with 8 years of experience in distributed systems.",
    "EXPERIENCE",
    "Senior Software Engineer | Tech Corp | Jan 2020 - Present",
    "Lead backend development for core platform services.",
    "• Led migration to microservices architecture",
    "• Improved API latency by 40%",
    "Software Engineer at StartupXYZ",
    "Jun 2017 – Dec 2019",
    "• Built real-time notification system",
    "EDUCATION",
    "Stanford University, Master of Science in Computer Science, 2017",
    "UC Berkeley, Bachelor of Science in Computer Science, 2015",
    "SKILLS",
    "Languages: Python, TypeScript, Rust",
    "Infrastructure: AWS, Kubernetes, PostgreSQL",
    "CERTIFICATIONS",
    "• AWS Solutions Architect Professional",
    "• Kubernetes Administrator (CKA)",
];

/// Encodes text for a WinAnsi Type1 font (bullets and dashes included).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            c if c.is_ascii() => c as u8,
            // WinAnsi agrees with Latin-1 from U+00A0 on.
            c if ('\u{a0}'..='\u{ff}').contains(&c) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// A one-page PDF whose text layer holds `lines`, plus the document for further changes.
pub fn text_document(lines: &[&str]) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 10.into()]),
        Operation::new("TL", vec![14.into()]),
        Operation::new("Td", vec![40.into(), 800.into()]),
    ];
    for line in lines {
        ops.push(Operation::new(
            "Tj",
            vec![Object::string_literal(win_ansi(line))],
        ));
        ops.push(Operation::new("T*", vec![]));
    }
    ops.push(Operation::new("ET", vec![]));
    finish(doc, pages_id, resources_id, ops)
}

/// A one-page PDF with each string drawn at its own `(x, y)` (points from the bottom left),
/// in the order given: rows of a two-column layout or of a table written left to right, as
/// many generators do, so that a plain extraction runs the columns together.
pub fn positioned_document(items: &[(f32, f32, &str)]) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 10.into()]),
    ];
    for (x, y, text) in items {
        ops.push(Operation::new(
            "Tm",
            vec![
                1.into(),
                0.into(),
                0.into(),
                1.into(),
                (*x).into(),
                (*y).into(),
            ],
        ));
        ops.push(Operation::new(
            "Tj",
            vec![Object::string_literal(win_ansi(text))],
        ));
    }
    ops.push(Operation::new("ET", vec![]));
    finish(doc, pages_id, resources_id, ops)
}

/// A PDF whose only page is a grey image: what a scanner produces, no text layer.
pub fn image_only_document() -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let pixels: Vec<u8> = (0..200u32 * 200).map(|i| (i * 7 % 251) as u8).collect();
    let image_id = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 200, "Height" => 200,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        pixels,
    ));
    let resources_id =
        doc.add_object(dictionary! { "XObject" => dictionary! { "Im1" => image_id } });
    let ops = vec![
        Operation::new("q", vec![]),
        Operation::new(
            "cm",
            vec![
                500.into(),
                0.into(),
                0.into(),
                700.into(),
                40.into(),
                60.into(),
            ],
        ),
        Operation::new("Do", vec!["Im1".into()]),
        Operation::new("Q", vec![]),
    ];
    finish(doc, pages_id, resources_id, ops)
}

pub fn finish(
    mut doc: Document,
    pages_id: lopdf::ObjectId,
    resources_id: lopdf::ObjectId,
    ops: Vec<Operation>,
) -> Document {
    let content = Content { operations: ops };
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("content encodes"),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let id = Object::string_literal(b"0123456789abcdef".to_vec());
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    doc
}

pub fn save(mut doc: Document) -> Vec<u8> {
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("PDF saves");
    bytes
}

pub fn resume_pdf() -> Vec<u8> {
    save(text_document(RESUME))
}

/// A resume plus one Flate stream that inflates to 100 MB of zeros (a zip bomb).
pub fn bomb_pdf() -> Vec<u8> {
    use std::io::Write;
    let mut doc = text_document(RESUME);
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..100 {
        encoder.write_all(&zeros).expect("in-memory write");
    }
    let compressed = encoder.finish().expect("in-memory write");
    doc.add_object(Stream::new(
        dictionary! { "Filter" => "FlateDecode" },
        compressed,
    ));
    save(doc)
}

/// A resume plus a 200 KB LZW stream, whose expansion is not measured but assumed.
pub fn lzw_pdf() -> Vec<u8> {
    let mut doc = text_document(RESUME);
    let noise: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 256) as u8).collect();
    doc.add_object(Stream::new(dictionary! { "Filter" => "LZWDecode" }, noise));
    save(doc)
}

pub fn encrypted_pdf() -> Vec<u8> {
    let mut doc = text_document(RESUME);
    let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "user-secret",
        key_length: 128,
        permissions: lopdf::Permissions::all(),
    })
    .expect("encryption state");
    doc.encrypt(&state).expect("encrypts");
    save(doc)
}
