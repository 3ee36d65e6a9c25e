import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { specKinds } from '../../../src-shared/specs/schema.js';
import { validateSpecs, type RawDoc, type ValidationResult } from './validate.js';

/** Reads every spec file of a specs repo; missing folders are simply empty. */
export async function readSpecsRepo(root: string): Promise<RawDoc[]> {
  // A missing repo is an error; only its kind folders may be missing.
  await readdir(root);
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

/** Parses one spec file's text, keeping a syntax error's line and column. */
export function parseSpecText(kind: RawDoc['kind'], file: string, text: string): RawDoc {
  const name = file.slice(file.indexOf('/') + 1).replace(/\.ya?ml$/, '');
  try {
    return { kind, name, file, data: load(text, { filename: file }) ?? {} };
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    return {
      kind,
      name,
      file,
      syntaxErrors: [{ line: e.mark.line + 1, col: e.mark.column + 1, message: e.reason }],
    };
  }
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
