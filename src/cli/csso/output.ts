/**
 * Where csso writes: results on stdout, messages on stderr — both through one redactor, so a secret
 * the CLI read from the environment (a `{ env: NAME }` of a document) is never echoed, whatever
 * text it ends up in (an error message, a problem from the API, a rendered plan).
 */

/** What replaces a secret's value in anything csso prints. */
export const REDACTED = '[secret from the environment]';

export interface Writer {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export class Output {
  readonly #secrets = new Set<string>();

  constructor(
    readonly stdout: Writer,
    readonly stderr: Writer,
  ) {}

  /**
   * From now on `value` is printed as {@link REDACTED}. Values shorter than 4 characters are not
   * hidden: replacing every `a` of the output would hide nothing worth hiding and garble the rest.
   */
  hide(value: string): void {
    if (value.length >= 4) this.#secrets.add(value);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.#secrets) result = result.split(secret).join(REDACTED);
    return result;
  }

  /** A line (or lines) of the command's result, on stdout. */
  print(text: string): void {
    this.stdout.write(`${this.redact(text)}\n`);
  }

  /** A message for the person at the terminal (progress, questions, warnings, errors), on stderr. */
  note(text: string): void {
    this.stderr.write(`${this.redact(text)}\n`);
  }
}
