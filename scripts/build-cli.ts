// Bundles the CLI into dist/rollcall.mjs, the npm package's bin. The file is a shell script first: it
// runs Node with "--" before itself, so that every word after it is rollcall's. Without it, Node takes
// an `--env-file` anywhere before a "--" as its own (`rollcall exec 3 cmd --env-file x`, or a retired
// flag) and exits 9 before rollcall runs. To Node, the second line is a string and a comment.
// Whitespace and syntax are minified, names kept (a stack trace still reads): every pod decodes and
// compiles the bundle before its first question, and a late pod's start is the group's release lag.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { ROOT } from './executable-node.js';

/**
 * Node's modules are taken by `require`, each name read where it is imported. An ESM import of a builtin
 * builds its namespace from every export, which runs the lazy ones (crypto's webcrypto, fs's promises,
 * readline's promises, util's diff, which creates process.stderr on Node 22): about twenty of Node's
 * modules loaded for nothing before the first question. esbuild's own CommonJS interop would read every
 * property's descriptor, which runs them just the same; so each builtin becomes a module that exports its
 * names one by one, marked pure, and what the CLI does not import is left out of the bundle.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(builder) {
    builder.onResolve({ filter: /^node:/ }, ({ path, kind }) => (kind === 'require-call' ? { path, external: true } : { path, namespace: 'builtin' }));
    builder.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => {
      const names = Object.keys(process.getBuiltinModule(path) as object).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
      const exports = names.map((name) => `export const ${name} = /* @__PURE__ */ pick(${JSON.stringify(name)});`);
      return { contents: [`const builtin = require(${JSON.stringify(path)});`, 'const pick = (name) => builtin[name];', 'export default builtin;', ...exports].join('\n'), loader: 'js' };
    });
  },
};

const outfile = join(ROOT, 'dist/rollcall.mjs');
await build({
  entryPoints: [join(ROOT, 'src/cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['net-ping'],
  plugins: [builtinsByRequire],
  logLevel: 'warning',
  banner: {
    js: [`':' //; exec node -- "$0" "$@"`, "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);"].join('\n'),
  },
});
chmodSync(outfile, 0o755);
