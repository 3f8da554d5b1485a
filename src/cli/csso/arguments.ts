/** Parsers of command-line arguments, for commander's `argParser`. */
import { InvalidArgumentError } from 'commander';

/** A version number: 1, 2, 3 … */
export function versionNumber(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new InvalidArgumentError('a version number is 1, 2, 3 …');
  return Number(value);
}

/** A version number or `live`. */
export function versionOrLive(value: string): string {
  if (value === 'live') return value;
  return String(versionNumber(value));
}
