import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXECUTABLE } from '../built.js';
import { ROLLCALL_IMAGE, type ImageFacts } from './images.js';

/**
 * A container as the kubelet starts it, made of Linux pieces: private mount and PID namespaces, a root assembled
 * on a tmpfs from the image's layers (bind-mounted, never written), the pod's /etc/hosts and resolv.conf,
 * its volumes at their mount paths, and its process started with exactly its env, as its image's user.
 * Nothing outside the namespace sees a mount; this machine's files are only read.
 */
export interface ContainerPlan {
  name: string;
  image: ImageFacts;
  argv: string[];
  env: Record<string, string>;
  mounts: { path: string; source: string; readOnly: boolean }[];
}

/** Single-quoted for sh. */
export const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** This machine's root, as far as a host-root container sees it: its top-level entries, links kept as links. */
const HOST_ENTRIES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'opt', 'var'];

/**
 * The script that runs one container; `root` is an empty directory of the pod's, on which the tmpfs root
 * is mounted; `shims` a directory for the image's stand-in commands.
 */
export function containerScript(plan: ContainerPlan, { root, shims, imageRoot }: { root: string; shims: string; imageRoot: string }): string {
  const source = plan.image.root === 'host' ? '/' : imageRoot;
  const entries = plan.image.root === 'host' ? HOST_ENTRIES.filter((entry) => existsSync(join('/', entry))) : readdirSync(imageRoot);
  const lines = ['set -e', `R=${quote(root)}`, 'mount -t tmpfs -o mode=0755 tmpfs "$R"'];
  for (const entry of entries) {
    const path = join(source, entry);
    if (lstatSync(path).isSymbolicLink()) lines.push(`ln -s "$(readlink ${quote(path)})" "$R/${entry}"`);
    else lines.push(`mkdir "$R/${entry}"`, `mount --rbind ${quote(path)} "$R/${entry}"`);
  }
  lines.push('mkdir -p "$R/dev" "$R/proc" "$R/tmp"', 'mount --rbind /dev "$R/dev"', 'mount -t proc proc "$R/proc"', 'mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"');
  // The pod's own, which `ip netns exec` bound over /etc in this namespace (a host root carries them along).
  if (plan.image.root !== 'host') lines.push('mount --bind /etc/hosts "$R/etc/hosts"', 'mount --bind /etc/resolv.conf "$R/etc/resolv.conf"');
  if (Object.keys(plan.image.shims).length > 0) {
    mkdirSync(shims, { recursive: true });
    for (const [command, body] of Object.entries(plan.image.shims)) {
      writeFileSync(join(shims, command), `#!/bin/sh\n${body}\n`);
      chmodSync(join(shims, command), 0o755);
    }
    lines.push(`mount --bind ${quote(shims)} "$R/usr/local/bin"`);
  }
  for (const mount of plan.mounts) {
    const top = mount.path.split('/')[1] ?? '';
    // A mount point is made only on the tmpfs: inside a bound layer that would write this machine's files.
    if (entries.includes(top) && !existsSync(join(source, mount.path))) throw new Error(`${plan.name}: cannot mount at ${mount.path} without creating it in ${source}`);
    lines.push(`mkdir -p "$R"${quote(mount.path)}`, `mount --bind ${quote(mount.source)} "$R"${quote(mount.path)}`);
    if (mount.readOnly) lines.push(`mount -o remount,bind,ro "$R"${quote(mount.path)}`);
  }
  const env = Object.entries({ PATH: plan.image.path, HOME: plan.image.home, ...plan.env }).map(([name, value]) => quote(`${name}=${value}`));
  lines.push(`exec env -i ${env.join(' ')} chroot --userspec=${plan.image.user} "$R" ${plan.argv.map(quote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The rollcall image's final stage as files: the executable and launcher where the Dockerfile puts them
 * (built into dist/ by `npm run build:exe`), Debian's static tini, and for the distroless cc base the
 * libraries the executable links (this machine's glibc and libstdc++), its passwd and its home.
 */
export function assembleRollcallImage(dir: string): string {
  const put = (path: string, from: string, mode = 0o755) => {
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    copyFileSync(from, join(dir, path));
    chmodSync(join(dir, path), mode);
  };
  put('/opt/rollcall/rollcall-linux', EXECUTABLE.x64);
  put('/opt/rollcall/rollcall', join(dirname(EXECUTABLE.x64), 'rollcall-launcher.sh'));
  mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
  symlinkSync('/opt/rollcall/rollcall-linux', join(dir, 'usr/local/bin/rollcall'));
  put('/usr/bin/tini', '/usr/bin/tini-static');
  const linked = execFileSync('ldd', [EXECUTABLE.x64], { encoding: 'utf8' });
  for (const [, path] of linked.matchAll(/(\/\S+) \(0x/g)) put(path as string, path as string);
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
  for (const file of ['hosts', 'resolv.conf']) writeFileSync(join(dir, 'etc', file), '');
  mkdirSync(join(dir, 'home/nonroot'), { recursive: true });
  execFileSync('chown', ['65532:65532', join(dir, 'home/nonroot')]);
  for (const file of ROLLCALL_IMAGE.files) if (!existsSync(join(dir, file)) && !lstatSync(join(dir, file)).isSymbolicLink()) throw new Error(`the assembled image lacks ${file}`);
  return dir;
}
