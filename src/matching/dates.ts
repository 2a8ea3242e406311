/**
 * Dates of birth as the matcher compares them: year, month and day when the
 * value reads as a date in one of the formats below, otherwise only the
 * text. Month and day are not checked against the calendar, and a part with
 * a typo in it (`194i`) is unknown rather than the whole date: a typo that
 * makes the 13th month, or a letter in the year, still agrees on the other
 * two parts.
 *
 * | written | read as |
 * | --- | --- |
 * | `19560409` | YYYYMMDD (FEBRL); DDMMYYYY when the first four characters cannot be a year and the last four can |
 * | `1956-04-09`, `1956/4/9`, `1956.04.09`, `1956-04-09T00:00:00Z`, `1956-04-09 00:00` | year first |
 * | `09/04/1956`, `9-4-1956`, `09.04.1956` | day first; month first when the first number cannot be a month-day but the second cannot be a month (`04/29/1956`) |
 */
export interface DateParts {
  /** NaN for a part with a typo in it: it agrees with nothing. */
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface ParsedDate {
  /** `YYYY-MM-DD` when every part was read, otherwise the value without spaces, lower-cased. */
  readonly text: string;
  readonly parts?: DateParts | undefined;
}

const YEARS = { min: 1000, max: 2999 };
const isYear = (n: number) => n >= YEARS.min && n <= YEARS.max;
const number = (part: string) => (/^\d+$/.test(part) ? Number(part) : Number.NaN);

export function parseDate(raw: string): ParsedDate | null {
  // A time after the date (`1956-04-09 00:00:00`, as spreadsheets export it) says nothing about the day.
  const value = raw.trim().replace(/^(\S+)\s+\d{1,2}:\d{2}.*$/, '$1').replace(/\s+/g, '').toLowerCase();
  if (value.length === 0) return null;
  const parts = readParts(value);
  const complete = parts && !Number.isNaN(parts.year) && !Number.isNaN(parts.month) && !Number.isNaN(parts.day);
  return complete ? { text: formatParts(parts), parts } : { text: value, parts };
}

function readParts(value: string): DateParts | undefined {
  // Eight characters, mostly digits: a compact date with at most two typos.
  if (/^[0-9a-z]{8}$/.test(value) && value.replace(/\D/g, '').length >= 6) {
    const yearFirst = number(value.slice(0, 4));
    const yearLast = number(value.slice(4));
    if (!isYear(yearFirst) && isYear(yearLast)) return { year: yearLast, month: number(value.slice(2, 4)), day: number(value.slice(0, 2)) };
    return { year: yearFirst, month: number(value.slice(4, 6)), day: number(value.slice(6, 8)) };
  }
  const match = /^(\w{1,4})[-/.](\w{1,2})[-/.](\w{1,4})(?:t.*)?$/.exec(value);
  if (!match) return undefined;
  const [first, second, third] = [match[1]!, match[2]!, match[3]!];
  if (first.length === 4) return { year: number(first), month: number(second), day: number(third) };
  if (third.length !== 4) return undefined;
  const [a, b, year] = [number(first), number(second), number(third)];
  return b > 12 && a <= 12 ? { year, month: a, day: b } : { year, month: b, day: a };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const formatParts = (p: DateParts) => `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}`;

/** Years between two dates, by month and day as written (no calendar check). */
export function yearsApart(a: DateParts, b: DateParts): number {
  const at = (p: DateParts) => p.year + (p.month - 1) / 12 + (p.day - 1) / 365.25;
  return Math.abs(at(a) - at(b));
}
