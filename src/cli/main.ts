#!/bin/sh
// The npm bin's preamble (a shell line that starts Node with "--") is scripts/build-cli.ts's.
import { main } from './cli.js';

// Exit explicitly: the workload's exit code is ours, and nothing left open may hold the pod up.
// stderr is synchronous for files, pipes and terminals on Linux, so no log line is lost.
// No top-level await: the single executable runs this bundled as CommonJS.
void main(process.argv.slice(2)).then((code) => process.exit(code));
