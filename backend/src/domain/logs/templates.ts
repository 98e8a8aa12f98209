/**
 * Reduces error log lines to templates: the words that say what went wrong
 * stay, the values that change from one occurrence to the next are masked.
 * Two lines with the same template are the same kind of error; a template the
 * canary writes and the baseline never does is a new kind of error.
 *
 * What stays: exception classes, error codes that classify an error
 * (`SQLSTATE 23505`, `ORA-00942`, `errno 111`, `status 503`), words, paths
 * and punctuation. What goes: timestamps, uuids, e-mail addresses, IPs,
 * quoted values, hex numbers, durations, request ids and other numbers.
 *
 * Pure: no I/O, no clock.
 */

/** A template as counted over a window, with one line that produced it. */
export interface TemplateCount {
  template: string;
  count: number;
  example: string;
}

const MAX_TEMPLATE_LENGTH = 240;
/** Only the head of a very long line is templated; the template is cut shorter still. */
const MAX_MESSAGE_LENGTH = 2000;
const MAX_EXAMPLE_LENGTH = 400;

/** Keys whose value is an identifier, as in `request_id=…`, `traceId: …`. */
const ID_KEYS = [
  'request',
  'req',
  'trace',
  'span',
  'correlation',
  'session',
  'user',
  'txn',
  'transaction',
  'order',
  'job',
  'message',
  'msg',
];

/** Masks in the order they apply: each one must not see what a later one masks. */
const MASKS: [RegExp, string][] = [
  // 2024-03-30T23:03:40.123Z, 2024-03-30 23:03:40,123 +02:00
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|\s?[+-]\d{2}:?\d{2})?/g, '<ts>'],
  // 30/Mar/2024:23:03:40 +0000 (access logs)
  [/\b\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?/g, '<ts>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, '<email>'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, '<ip>'],
  // IPv6, compressed (`::`) or with at least four groups, so that clock times (12:30:45) are not taken for one
  [
    new RegExp(
      String.raw`\[?\b(?:(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4}` +
        String.raw`|(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4})\b\]?(?::\d{1,5})?`,
      'gi'
    ),
    '<ip>',
  ],
  [/"(?:[^"\\]|\\.)*"/g, '<str>'],
  [/(?<![\w])'(?:[^'\\]|\\.)*'(?![\w])/g, '<str>'],
  [/`[^`]*`/g, '<str>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // 532ms, 1.5s, 2m30s, 1h2m3.5s, 30 seconds, 250 µs
  [/\b\d+(?:\.\d+)?(?:h\d+(?:\.\d+)?)?(?:m\d+(?:\.\d+)?)?(?:ns|us|µs|ms|s|m|h)\b/g, '<dur>'],
  [
    /\b\d+(?:\.\d+)?\s?(?:ms|nanoseconds?|microseconds?|milliseconds?|seconds?|secs?|minutes?|mins?|hours?)\b/gi,
    '<dur>',
  ],
  // key=value and key: value where the key names an identifier
  [new RegExp(String.raw`\b((?:${ID_KEYS.join('|')})[_-]?id[=:]\s?)[^\s,;)\]}]+`, 'gi'), '$1<id>'],
];

/**
 * Error codes classify an error: the code after these words is kept, and so
 * are vendor codes written as upper-case letters, a dash and digits
 * (`ORA-00942`, `ERR-1062`). A product code written that way (`SKU-12345`)
 * is kept too, and splits a template by value: a known limit.
 */
const KEPT_CODES = [
  /\b((?:SQLSTATE|errno|error code|code|status|status code|HTTP)[ =:]\s?)(\w+)/gi,
  /\b([A-Z]{2,6}-)(\d{3,6})\b/g,
];

/**
 * Kept codes wait behind one private-use character each, which no mask
 * touches (it is neither a word character nor a digit).
 */
const MARK_BASE = 0xe000;

function marker(index: number): string {
  return String.fromCharCode(MARK_BASE + index);
}

/** Templates one log line (one entry: a multi-line stack trace is one entry). */
export function templateOf(line: string): string {
  const message = messageOf(line)
    .slice(0, MAX_MESSAGE_LENGTH)
    .replace(/[\uE000-\uF8FF]/g, '');
  const kept: string[] = [];
  let out = message;
  for (const pattern of KEPT_CODES) {
    out = out.replace(pattern, (_whole, prefix: string, code: string) => {
      kept.push(code);
      return `${prefix}${marker(kept.length - 1)}`;
    });
  }
  for (const [pattern, replacement] of MASKS) out = out.replace(pattern, replacement);
  out = maskIds(out).replace(/(?<![A-Za-z0-9<])\d+(?:\.\d+)?(?![A-Za-z0-9>])/g, '<num>');
  out = out.replace(/[\uE000-\uF8FF]/g, (mark) => kept[mark.charCodeAt(0) - MARK_BASE] ?? '');
  return out.replace(/\s+/g, ' ').trim().slice(0, MAX_TEMPLATE_LENGTH);
}

/** Counts templates over a list of lines, keeping the first line of each as its example. */
export function countTemplates(lines: readonly string[]): TemplateCount[] {
  const byTemplate = new Map<string, TemplateCount>();
  for (const line of lines) {
    const template = templateOf(line);
    const known = byTemplate.get(template);
    if (known) known.count += 1;
    else byTemplate.set(template, { template, count: 1, example: line.slice(0, MAX_EXAMPLE_LENGTH) });
  }
  return [...byTemplate.values()];
}

/**
 * The part of a line that says what went wrong. Structured lines (JSON,
 * logfmt) are reduced to their message and error fields, because their other
 * fields (time, host, pid, request id) change on every line. A multi-line
 * entry keeps its first line and its first stack frame: the same exception
 * thrown from another place is another error.
 */
export function messageOf(line: string): string {
  const trimmed = line.trim();
  const structured = trimmed.startsWith('{') ? fromJson(trimmed) : fromLogfmt(trimmed);
  const text = structured ?? trimmed;
  const rows = text
    .split(/\r?\n/)
    .map((row) => row.trim())
    .filter((row) => row.length > 0);
  if (rows.length <= 1) return rows[0] ?? '';
  const frame = rows.slice(1).find((row) => /^at\s/.test(row));
  return frame ? `${rows[0]} ${frame}` : rows[0]!;
}

const MESSAGE_KEYS = ['msg', 'message', 'error', 'err', 'exception'];

function fromJson(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const parts = MESSAGE_KEYS.map((key) => describe((parsed as Record<string, unknown>)[key])).filter((p) => p !== '');
  return parts.length > 0 ? parts.join(': ') : null;
}

/** A message field: a string, or an error object with a type and a message (as pino writes `err`). */
function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  const type = typeof record.type === 'string' ? record.type : typeof record.name === 'string' ? record.name : '';
  const message = typeof record.message === 'string' ? record.message : '';
  const frame = typeof record.stack === 'string' ? firstFrame(record.stack) : '';
  return [type && message ? `${type}: ${message}` : type || message, frame].filter((p) => p !== '').join(' ');
}

function firstFrame(stack: string): string {
  return (
    stack
      .split('\n')
      .map((row) => row.trim())
      .find((row) => /^at\s/.test(row)) ?? ''
  );
}

const LOGFMT_PAIR = /([\w.-]+)=("(?:[^"\\]|\\.)*"|[^\s]*)/g;

function fromLogfmt(text: string): string | null {
  if (text.includes('\n')) return null;
  const fields = new Map<string, string>();
  for (const match of text.matchAll(LOGFMT_PAIR)) {
    const raw = match[2]!;
    fields.set(match[1]!, raw.startsWith('"') ? unquote(raw) : raw);
  }
  if (fields.size < 2) return null;
  const parts = MESSAGE_KEYS.map((key) => fields.get(key) ?? '').filter((p) => p !== '');
  return parts.length > 0 ? parts.join(': ') : null;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/**
 * Runs of letters and digits of eight characters or more, with digits making
 * at least a quarter of them, are ids (`8f3a2b1c`, `a1b2c3d4e5`,
 * `01HF3K2M9V`); names with a digit or two (`Base64Decoder`, `log4j`,
 * `sha256`) are not. A dashed name is judged part by part, so `req-8f3a2b1c`
 * becomes `req-<id>` and a thread name `nio-8080-exec-7` keeps its words.
 */
function maskIds(text: string): string {
  return text.replace(/(?<![A-Za-z0-9<])[A-Za-z0-9]{8,}(?![A-Za-z0-9>])/g, (token) => {
    const digits = token.replace(/\D/g, '').length;
    if (digits === 0 || digits === token.length) return token;
    return digits * 4 >= token.length ? '<id>' : token;
  });
}
