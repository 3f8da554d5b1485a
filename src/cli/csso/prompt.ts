/**
 * Questions on the terminal (the service URL, the API key without echo, "apply?"). Asked on stderr,
 * so stdout stays the command's result. When stdin is not a terminal, answers are read line by line
 * from it (`printf 'yes\n' | csso apply …`), through one reader so that no line is lost between two
 * questions.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './errors.js';

let piped: AsyncIterator<string> | undefined;
let pipedReader: Interface | undefined;

async function nextPipedLine(): Promise<string | undefined> {
  if (!pipedReader) {
    pipedReader = createInterface({ input: process.stdin, terminal: false });
    piped = pipedReader[Symbol.asyncIterator]();
  }
  const next = await piped!.next();
  return next.done ? undefined : next.value;
}

/** Closes the reader of piped answers (else it keeps the process alive). */
export function closePrompts(): void {
  pipedReader?.close();
  pipedReader = undefined;
}

/**
 * Asks `question` and answers the line typed (trimmed); `hidden` does not echo it (an API key).
 * @throws CliError when stdin ends before an answer.
 */
export async function ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) {
    process.stderr.write(question);
    const line = await nextPipedLine();
    process.stderr.write('\n');
    if (line === undefined) throw new CliError('no answer: stdin ended');
    return line.trim();
  }
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({
    input: process.stdin,
    output: options.hidden ? muted : process.stderr,
    terminal: true,
  });
  try {
    if (options.hidden) process.stderr.write(question);
    const answer = await new Promise<string>((resolve, reject) => {
      reader.once('close', () => reject(new CliError('no answer: stdin ended')));
      reader.question(options.hidden ? '' : question, resolve);
    });
    if (options.hidden) process.stderr.write('\n');
    return answer.trim();
  } finally {
    reader.close();
  }
}

/** Asks for a confirmation the way Terraform does: only `yes` is a yes (no answer at all is a no). */
export async function confirm(question: string): Promise<boolean> {
  try {
    const answer = await ask(`${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
    return answer === 'yes';
  } catch (error) {
    if (error instanceof CliError) return false;
    throw error;
  }
}
