// Bundles the CLI into dist/rollcall.mjs, the npm package's bin. The file is a shell script first: it
// runs Node with "--" before itself, so that every word after it is rollcall's. Without it, Node takes
// an `--env-file` anywhere before a "--" as its own (`rollcall exec 3 cmd --env-file x`, or a retired
// flag) and exits 9 before rollcall runs. To Node, the second line is a string and a comment.
// Whitespace and syntax are minified, names kept (a stack trace still reads): every pod decodes and
// compiles the bundle before its first question, and a late pod's start is the group's release lag.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './executable-node.js';

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
  logLevel: 'warning',
  banner: {
    js: [`':' //; exec node -- "$0" "$@"`, "import { createRequire as rollcallRequire } from 'node:module'; const require = rollcallRequire(import.meta.url);"].join('\n'),
  },
});
chmodSync(outfile, 0o755);
