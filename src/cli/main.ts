#!/usr/bin/env node
import { main } from './cli.js';

// Exit explicitly: the workload's exit code is ours, and nothing left open may hold the pod up.
// stderr is synchronous for files, pipes and terminals on Linux, so no log line is lost.
process.exit(await main(process.argv.slice(2)));
