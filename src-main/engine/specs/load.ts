import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { specKinds } from '../../../src-shared/specs/schema.js';
import { validateSpecs, type RawDoc, type ValidationResult } from './validate.js';

/** Reads every spec file of a specs repo; missing folders are simply empty. */
export async function readSpecsRepo(root: string): Promise<RawDoc[]> {
  const docs: RawDoc[] = [];
  await Promise.all(
    specKinds.map(async (kind) => {
      let entries: string[];
      try {
        entries = await readdir(join(root, kind));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      await Promise.all(
        entries
          .filter((f) => /\.ya?ml$/.test(f))
          .map(async (f) => {
            const text = await readFile(join(root, kind, f), 'utf8');
            docs.push(parseSpecText(kind, `${kind}/${f}`, text));
          }),
      );
    }),
  );
  return docs;
}

/** Parses one spec file's text, keeping syntax errors with line and column. */
export function parseSpecText(kind: RawDoc['kind'], file: string, text: string): RawDoc {
  const name = file.slice(file.indexOf('/') + 1).replace(/\.ya?ml$/, '');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      kind,
      name,
      file,
      syntaxErrors: doc.errors.map((e) => ({
        line: e.linePos?.[0].line ?? 0,
        col: e.linePos?.[0].col ?? 0,
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  }
  return { kind, name, file, data: doc.toJS() ?? {} };
}

/** Loads and validates a specs repo folder. */
export async function loadSpecs(root: string): Promise<ValidationResult> {
  try {
    return validateSpecs(await readSpecsRepo(root));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the specs repo at ${root}: ${code ?? (e as Error).message}`, {
      cause: e,
    });
  }
}
