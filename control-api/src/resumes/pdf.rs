//! PDF bytes to text with `pdf-extract` (over `lopdf`), hardened for hostile uploads. The text
//! keeps the page's layout (columns, table cells) in runs of spaces; see [`LayoutOutput`].
//!
//! Cheap checks run first (empty, size, `%PDF-` header, `%%EOF` trailer); parsing then runs on
//! a blocking thread under `catch_unwind` (the crates can panic on malformed input), at most
//! [`PARALLEL_PARSES`] at a time, and the caller stops waiting after a time limit.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::Semaphore;

/// Largest upload accepted: 10 MiB (seed 001).
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;

/// How many PDFs are parsed at once; more wait for a slot.
pub const PARALLEL_PARSES: usize = 2;

/// How long a caller waits for one PDF to be parsed.
pub const PARSE_TIMEOUT: Duration = Duration::from_secs(20);

/// Most bytes the compressed non-image streams of one PDF may inflate to (zip-bomb guard).
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Fewer letters and digits than this means the PDF has no usable text layer.
const MIN_TEXT_CHARS: usize = 20;

static SLOTS: Semaphore = Semaphore::const_new(PARALLEL_PARSES);

/// Why a file yields no text. Each maps to a clear 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    #[error("the uploaded file is empty")]
    Empty,
    #[error("the file is larger than 10 MB")]
    TooLarge,
    #[error("only PDF files are supported; please upload a PDF resume")]
    NotPdf,
    #[error("the PDF is truncated (it does not end with %%EOF)")]
    Truncated,
    #[error("the PDF is password-protected; please upload an unencrypted file")]
    Encrypted,
    #[error("the PDF is corrupt and could not be read")]
    Corrupt,
    #[error("the PDF inflates to more than 64 MB of content; please upload a simpler file")]
    TooComplex,
    #[error("the PDF has no text layer (a scanned image?); please upload a text PDF")]
    NoText,
    #[error("the PDF took too long to read")]
    Timeout,
}

/// Extracts the text of a PDF, bounded in time and never panicking.
pub async fn extract_text(bytes: Bytes) -> Result<String, PdfError> {
    check_envelope(&bytes)?;
    let parse = async move {
        // `SLOTS` is static, so the permit is too: it moves into the thread, and a parse that
        // outlives the timeout keeps its slot until it really ends.
        let permit = SLOTS.acquire().await.map_err(|_| PdfError::Timeout)?;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            std::panic::catch_unwind(AssertUnwindSafe(|| extract_blocking(&bytes)))
                .unwrap_or(Err(PdfError::Corrupt))
        });
        task.await.unwrap_or(Err(PdfError::Corrupt))
    };
    match tokio::time::timeout(PARSE_TIMEOUT, parse).await {
        Ok(result) => result,
        Err(_elapsed) => {
            tracing::warn!("PDF parse exceeded {PARSE_TIMEOUT:?}");
            Err(PdfError::Timeout)
        }
    }
}

/// The checks that need no parsing.
pub fn check_envelope(bytes: &[u8]) -> Result<(), PdfError> {
    if bytes.is_empty() {
        return Err(PdfError::Empty);
    }
    if bytes.len() > MAX_PDF_BYTES {
        return Err(PdfError::TooLarge);
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !contains(head, b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !contains(tail, b"%%EOF") {
        return Err(PdfError::Truncated);
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn extract_blocking(bytes: &[u8]) -> Result<String, PdfError> {
    let mut doc = pdf_extract::Document::load_mem(bytes).map_err(|err| {
        if matches!(err, pdf_extract::Error::Decryption(_)) {
            PdfError::Encrypted
        } else {
            PdfError::Corrupt
        }
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(PdfError::Encrypted);
    }
    check_inflation(&doc)?;
    if doc.get_pages().is_empty() {
        return Err(PdfError::Corrupt);
    }
    let mut output = LayoutOutput::default();
    pdf_extract::output_doc(&doc, &mut output).map_err(|_| PdfError::Corrupt)?;
    let text = output.text;
    let meaningful = text.chars().filter(|c| c.is_alphanumeric()).count();
    if meaningful < MIN_TEXT_CHARS {
        return Err(PdfError::NoText);
    }
    Ok(text)
}

/// One glyph drawn on a page: where it starts and ends (points, y growing downwards), its
/// size and its text.
struct Glyph {
    x: f64,
    y: f64,
    end: f64,
    size: f64,
    text: String,
}

/// Text that keeps the page's layout: glyphs are grouped into lines by position (not by the
/// order they are drawn in), words get one space, and a wide gap (a gutter between columns,
/// a table's cells) becomes a run of spaces that reaches the gap's horizontal position, so
/// that text drawn at the same x lines up in character columns, as `pdftotext -layout` does.
/// The section heuristics read two-column layouts and tables from that.
#[derive(Default)]
struct LayoutOutput {
    glyphs: Vec<Glyph>,
    text: String,
}

/// A gap wider than this many font sizes sets text apart (a word space is about 0.3).
const WIDE_GAP: f64 = 1.0;
/// Spaces standing for a wide gap, at least.
const MIN_WIDE_SPACES: usize = 3;
/// Furthest character column a gap is padded to, whatever the coordinates say.
const MAX_COLUMN: usize = 250;

impl LayoutOutput {
    fn finish_page(&mut self) {
        let mut glyphs = std::mem::take(&mut self.glyphs);
        glyphs.retain(|g| g.x.is_finite() && g.y.is_finite() && g.end.is_finite());
        if glyphs.is_empty() {
            return;
        }
        // Character columns: a little narrower than the average glyph, so that text rarely
        // needs more columns than its width gives it.
        let widths: f64 = glyphs.iter().map(|g| (g.end - g.x).max(0.0)).sum();
        let cell = (0.8 * widths / glyphs.len() as f64).max(0.5);
        let left = glyphs.iter().map(|g| g.x).fold(f64::INFINITY, f64::min);
        let column = |x: f64| (((x - left) / cell).round().max(0.0) as usize).min(MAX_COLUMN);
        glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        let mut lines: Vec<Vec<Glyph>> = Vec::new();
        for glyph in glyphs {
            match lines.last_mut() {
                Some(line)
                    if line
                        .first()
                        .is_some_and(|first| (glyph.y - first.y).abs() <= 0.5 * first.size) =>
                {
                    line.push(glyph);
                }
                _ => lines.push(vec![glyph]),
            }
        }
        for mut line in lines {
            line.sort_by(|a, b| a.x.total_cmp(&b.x));
            let mut text = String::new();
            let mut chars = 0;
            let mut previous: Option<&Glyph> = None;
            for glyph in &line {
                let spaces = match previous {
                    None => column(glyph.x),
                    Some(p) if glyph.x - p.end > WIDE_GAP * p.size.max(glyph.size) => {
                        column(glyph.x).max(chars + MIN_WIDE_SPACES) - chars
                    }
                    Some(p) if glyph.x - p.end > 0.1 * p.size.max(glyph.size) => 1,
                    Some(_) => 0,
                };
                text.extend(std::iter::repeat_n(' ', spaces));
                text.push_str(&glyph.text);
                chars += spaces + glyph.text.chars().count();
                previous = Some(glyph);
            }
            self.text.push_str(text.trim_end());
            self.text.push('\n');
        }
        self.text.push('\n');
    }
}

impl pdf_extract::OutputDev for LayoutOutput {
    fn begin_page(
        &mut self,
        _page: u32,
        _media_box: &pdf_extract::MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), pdf_extract::OutputError> {
        self.glyphs.clear();
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), pdf_extract::OutputError> {
        self.finish_page();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &pdf_extract::Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), pdf_extract::OutputError> {
        if char.chars().all(char::is_whitespace) {
            return Ok(());
        }
        // The glyph's scale on the page: the side of a square with the area its em covers.
        let scale_x = font_size * (trm.m11 + trm.m21);
        let scale_y = font_size * (trm.m12 + trm.m22);
        let size = (scale_x * scale_y).abs().sqrt();
        self.glyphs.push(Glyph {
            x: trm.m31,
            y: -trm.m32,
            end: trm.m31 + width * size,
            size,
            text: char.to_owned(),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), pdf_extract::OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), pdf_extract::OutputError> {
        Ok(())
    }
}

/// Inflates every Flate stream that text extraction may read (everything but images) into a
/// counting sink, refusing the document once the total passes [`MAX_INFLATED_BYTES`]: the PDF
/// crates inflate a stream fully into memory, so a small upload must not expand to gigabytes.
/// Streams whose expansion cannot be measured that way (LZW, run-length, or Flate behind
/// another filter) are charged [`UNMEASURED_RATIO`] times their size.
fn check_inflation(doc: &pdf_extract::Document) -> Result<(), PdfError> {
    use std::io::Read;
    let mut budget = MAX_INFLATED_BYTES;
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let is_image = stream
            .dict
            .get(b"Subtype")
            .and_then(pdf_extract::Object::as_name)
            .is_ok_and(|name| name == b"Image");
        if is_image {
            continue;
        }
        let size = match compression(stream.dict.get(b"Filter").ok()) {
            Compression::None => continue,
            Compression::Flate => {
                let mut inflated =
                    flate2::read::ZlibDecoder::new(&stream.content[..]).take(budget + 1);
                // A broken stream counts up to where it breaks; extraction decides the rest.
                let mut counter = Counter(0);
                let _ = std::io::copy(&mut inflated, &mut counter);
                counter.0
            }
            Compression::Unmeasured => {
                (stream.content.len() as u64).saturating_mul(UNMEASURED_RATIO)
            }
        };
        budget = budget.checked_sub(size).ok_or(PdfError::TooComplex)?;
    }
    Ok(())
}

/// The expansion assumed for compressed streams that are not measured by inflating them.
pub const UNMEASURED_RATIO: u64 = 1000;

enum Compression {
    None,
    /// Flate alone, or Flate first: measured by inflating.
    Flate,
    /// Any other chain with a compressing filter.
    Unmeasured,
}

fn compression(filter: Option<&pdf_extract::Object>) -> Compression {
    let names: Vec<&[u8]> = match filter {
        Some(pdf_extract::Object::Name(name)) => vec![name.as_slice()],
        Some(pdf_extract::Object::Array(filters)) => {
            filters.iter().filter_map(|f| f.as_name().ok()).collect()
        }
        _ => return Compression::None,
    };
    let compressing = |n: &&[u8]| {
        matches!(
            *n,
            b"FlateDecode" | b"Fl" | b"LZWDecode" | b"LZW" | b"RunLengthDecode" | b"RL"
        )
    };
    match names.as_slice() {
        [] => Compression::None,
        [first, rest @ ..] if *first == b"FlateDecode" && !rest.iter().any(compressing) => {
            Compression::Flate
        }
        all if all.iter().any(compressing) => Compression::Unmeasured,
        _ => Compression::None,
    }
}

/// A sink that only counts what is written to it.
struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
