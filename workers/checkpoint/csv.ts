// CSV that a spreadsheet opens as data, never as code: fields quoted per RFC 4180 (a comma, a
// double quote or a line break puts the field in quotes, inner quotes doubled), and text that a
// spreadsheet would read as a formula (a leading =, +, -, @, tab or carriage return; OWASP's "CSV
// injection") prefixed with a single quote. Numbers are written as numbers: -0.5 stays -0.5.

/** One field: a finite number as JS prints it, a non-finite one or a missing value as empty, text escaped. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record: the fields escaped and joined by commas (no line break). */
export function csvLine(fields: readonly unknown[]): string {
  return fields.map(csvField).join(',');
}
