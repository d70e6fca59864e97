/**
 * A watchdog that outlives its owner just long enough to clean up after it: a tiny `sh` process,
 * in a process group of its own, reading a pipe from us. The owner tells it which process groups
 * and folders are its own; when the pipe reaches end-of-file — the owner has ended, however it
 * ended, `kill -9` included, since the kernel closes a dead process's pipes — it stops those groups
 * (SIGTERM, SIGKILL after 2 s) and removes those folders.
 *
 * Why not a signal from the kernel: Linux's PR_SET_PDEATHSIG is not reachable from Node, and a
 * SIGKILL runs no handler of ours. Why `sh` and not a second Node: it starts in a millisecond, holds
 * ~1 MB, and needs nothing of this project to be loaded. Its own process group keeps it out of the
 * terminal's Ctrl-C, so it is still there to clean up after an owner Ctrl-C killed.
 */
import { spawn, type ChildProcess } from "child_process";

/**
 * Reads `group PGID`, `ungroup PGID` and `folder PATH` lines until end-of-file, then cleans up.
 * Folders accumulate in the positional parameters, so paths with spaces survive. `kill -SIG -PGID`
 * without `--`: dash, Debian's sh, refuses the `--`.
 */
const SCRIPT = `
groups=" "
while IFS=' ' read -r verb arg; do
  case "$verb" in
    group) groups="$groups$arg " ;;
    ungroup) groups=$(printf '%s' "$groups" | sed "s/ $arg / /") ;;
    folder) set -- "$@" "$arg" ;;
  esac
done
for g in $groups; do kill -TERM "-$g" 2>/dev/null; done
i=0
while [ $i -lt 20 ]; do
  alive=
  for g in $groups; do kill -0 "-$g" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.1
  i=$((i + 1))
done
for g in $groups; do kill -KILL "-$g" 2>/dev/null; done
[ $# -gt 0 ] && rm -rf -- "$@"
exit 0
`;

let watchdog: ChildProcess | undefined;

function tell(line: string): void {
  if (watchdog === undefined) {
    watchdog = spawn("/bin/sh", ["-c", SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    // Neither the watchdog nor its pipe keeps this process alive: it is there for when we are gone.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    // If sh cannot start, the in-process cleanup (process_group.ts) is what remains.
    watchdog.on("error", () => (watchdog = undefined));
    watchdog.stdin!.on("error", () => undefined);
  }
  watchdog.stdin!.write(`${line}\n`);
}

/** From now on, if this process ends without {@link unwatchGroup}, the watchdog stops process group `pgid`. */
export function watchGroup(pgid: number): void {
  tell(`group ${pgid}`);
}

/** Group `pgid` was stopped by us: the watchdog forgets it (its id may be reused by someone else's). */
export function unwatchGroup(pgid: number): void {
  tell(`ungroup ${pgid}`);
}

/** If this process ends without removing `folder`, the watchdog removes it (after stopping the groups). */
export function removeFolderWhenGone(folder: string): void {
  if (/[\n\r]/.test(folder)) throw new Error(`a folder for the watchdog cannot hold a line break: ${JSON.stringify(folder)}`);
  tell(`folder ${folder}`);
}
