// A one-page PDF with a text layer (Helvetica, WinAnsi), written at test time so that no
// binary fixture is committed: the resume the recruiter uploads.

/** The resume's lines, top to bottom. */
export const RESUME_LINES: readonly string[] = [
  'Ada Lovelace',
  'ada.lovelace@example.com | +44 20 7946 0000 | London, UK',
  'SUMMARY',
  'Backend engineer with 6 years of experience in payment systems and distributed services.',
  'EXPERIENCE',
  'Senior Backend Engineer | Ledgerline | Mar 2021 - Present',
  '- Built a Rust payment pipeline handling 10,000 messages per second',
  '- Moved the monolith to Kubernetes and cut API latency by 40%',
  'Software Engineer | Paystream | Jun 2018 - Feb 2021',
  '- Designed PostgreSQL schemas and replication for the ledger',
  'EDUCATION',
  'University of London, BSc Computer Science, 2018',
  'SKILLS',
  'Languages: Rust, Python, TypeScript',
  'Infrastructure: PostgreSQL, Kubernetes, AWS',
];

/** Escapes a string for a PDF literal string. */
function literal(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

/** The PDF's bytes. */
export function resumePdf(lines: readonly string[] = RESUME_LINES): Buffer {
  const ops = ['BT', '/F1 10 Tf', '14 TL', '40 800 Td'];
  for (const line of lines) ops.push(`(${literal(line)}) Tj`, 'T*');
  ops.push('ET');
  const content = ops.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
