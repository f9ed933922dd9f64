// Module hooks (node:module register()) that let the Docker benchmark import the test suite's
// Docker helpers as they are, so the engine start and the image build exist once: a `.ts` file
// is transpiled when loaded (typescript's transpileModule: types dropped, nothing checked), and
// a relative `.js` import from a `.ts` file that finds nothing resolves to the `.ts` file beside
// it, as tsc's NodeNext resolution does. Anything else loads as usual.

import { readFile } from 'node:fs/promises';

/** @type {typeof import('typescript') | undefined} */
let typescript;

/** @type {import('node:module').ResolveHook} */
export const resolve = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromTs = context.parentURL?.endsWith('.ts') === true;
    const code = /** @type {{ code?: string } | undefined} */ (error)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !fromTs || !/^\.\.?\/.*\.js$/.test(specifier)) throw error;
    return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
  }
};

/** @type {import('node:module').LoadHook} */
export const load = async (url, context, nextLoad) => {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  typescript ??= (await import('typescript')).default;
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = typescript.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
};
