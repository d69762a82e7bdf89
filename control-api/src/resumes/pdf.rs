//! PDF bytes to text with `pdf-extract` (over `lopdf`), hardened for hostile uploads.
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
    let mut text = String::new();
    {
        let mut output = pdf_extract::PlainTextOutput::new(&mut text);
        pdf_extract::output_doc(&doc, &mut output).map_err(|_| PdfError::Corrupt)?;
    }
    let meaningful = text.chars().filter(|c| c.is_alphanumeric()).count();
    if meaningful < MIN_TEXT_CHARS {
        return Err(PdfError::NoText);
    }
    Ok(text)
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
