/**
 * What `rollcall install` puts beside the executable under the name `rollcall`. The executable needs
 * glibc: in a musl or static image the kernel finds no loader and the runtime reports only "no such file
 * or directory" for a file that is plainly there. Where the image has a shell this says what is wrong
 * instead; `exec` keeps the process (signals, exit code) the executable's own.
 */
export const EXECUTABLE_NAME = 'rollcall-linux';
export const LAUNCHER_NAME = 'rollcall';
/** Exit code when the image cannot run the executable at all (the shell's own "cannot execute"). */
export const EXIT_NO_GLIBC = 126;

export const LAUNCHER = `#!/bin/sh
# rollcall launcher, written by "rollcall install": runs the executable beside it, if this image can.
here=$(dirname "$0")
case $(uname -m) in
  x86_64) loader=/lib64/ld-linux-x86-64.so.2 ;;
  aarch64) loader=/lib/ld-linux-aarch64.so.1 ;;
  *) loader= ;;
esac
if [ -n "$loader" ] && [ ! -e "$loader" ]; then
  found=$(ls /lib/ld-musl-* 2>/dev/null | head -n 1)
  echo "rollcall: this image has no glibc ($loader is missing\${found:+; it has musl: $found}), and rollcall's executable needs glibc >= 2.28 (Debian, Ubuntu, RHEL 8+, the CUDA and PyTorch images). Run the workload in a glibc-based image, or use the rollcall npm package where the image has Node." >&2
  exit ${EXIT_NO_GLIBC}
fi
exec "$here/${EXECUTABLE_NAME}" "$@"
`;
