/** Writes one benchmark's section of BENCHMARKS.md, leaving the other sections as they are. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

const FILE = new URL('../../BENCHMARKS.md', import.meta.url);
const HEADER = `# Benchmarks

Measured by \`npm run bench\` (or one \`npm run bench:<name>\`); each section is rewritten by its own
script with the machine, date and commit of its run. Figures are medians or percentiles of repeated
runs on loopback; ratios compare with a baseline measured in the same run. Benchmarks are not tests:
nothing here is asserted by the test suite.
`;

export async function writeSection(name: string, markdown: string): Promise<void> {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  let text = existsSync(FILE) ? await readFile(FILE, 'utf8') : HEADER;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  text =
    from >= 0 && to > from
      ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}`
      : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(FILE, text);
}
