import { FileError, readTextFile } from '../regularFile';
import {
  type CompositionTable,
  parseCompositionCsv,
  parseScoreCsv,
  parseTableOneCsv,
  type ScoreTable,
  TableError,
  type TableOneRow,
} from './tables';

/** Reads a table file; a file that cannot be read is a TableError naming it, like a bad cell. */
async function readTableText(file: string): Promise<string> {
  try {
    return await readTextFile(file);
  } catch (e) {
    throw e instanceof FileError ? new TableError(file, e.line ?? 1, undefined, e.reason) : e;
  }
}

export async function readCompositionFile(file: string): Promise<CompositionTable> {
  return parseCompositionCsv(file, await readTableText(file));
}

export async function readScoreFile(file: string, minCorpora = 1): Promise<ScoreTable> {
  return parseScoreCsv(file, await readTableText(file), minCorpora);
}

export async function readTableOneFile(file: string): Promise<TableOneRow[]> {
  return parseTableOneCsv(file, await readTableText(file));
}
