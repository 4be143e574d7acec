/*
 * Audit cells hold what principals and agents typed (commands, host names, messages). A spreadsheet
 * opening the file runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or CR before them)
 * as a formula, so such text is prefixed with a single quote (OWASP, CSV injection). Numbers are
 * written as they are: -1 is a number, not a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * CSV as RFC 4180 wants it: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF
 * line ends. Text that a spreadsheet would read as a formula starts with `'`.
 */
export function csvField(v: unknown): string {
  const text = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean);
  const s = typeof v === 'string' && FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Offers `text` as a file download (no round trip to the server). */
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
