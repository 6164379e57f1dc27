import { describe, expect, it } from 'vitest';
import { csvField, csvLine } from './csv';

/** A minimal RFC 4180 reader, to check that what csvLine writes reads back field for field. */
function parse(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') (s += '"'), (i += 2);
        else if (line[i] === '"') break;
        else s += line[i++];
      }
      out.push(s);
      i += 2; // closing quote and comma
    } else {
      const end = line.indexOf(',', i) < 0 ? line.length : line.indexOf(',', i);
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

describe('csvField', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and reads back unchanged', () => {
    const text = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', ''];
    expect(text.map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '"cr\rhere"', '']);
    expect(parse(csvLine(text))).toEqual(text);
  });

  it('defuses text a spreadsheet would run as a formula, and leaves numbers alone', () => {
    expect(['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx'].map(csvField)).toEqual(["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx"]);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect([-0.5, 0, 1e-7, 3].map(csvField)).toEqual(['-0.5', '0', '1e-7', '3']);
    expect([NaN, Infinity, undefined, null].map(csvField)).toEqual(['', '', '', '']);
  });
});
