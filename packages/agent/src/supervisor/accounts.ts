import { readFileSync } from 'node:fs';

/**
 * `user` and `group` of a service, resolved from /etc/passwd and /etc/group (names or numeric
 * ids). Switching identity needs root; asking for the agent's own identity does not.
 */

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3)
    .map((f) => ({ name: f[0]!, gid: Number(f[2]) }));
}

export interface Identity {
  uid?: number;
  gid?: number;
  /** HOME, USER, LOGNAME of the user, as login and systemd set them. */
  env: Record<string, string>;
}

export interface AccountFiles {
  passwd: string;
  group: string;
  /** The agent's own uid and gid. */
  uid: number;
  gid: number;
}

export function systemAccounts(): AccountFiles {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    passwd: read('/etc/passwd'),
    group: read('/etc/group'),
    uid: process.getuid?.() ?? -1,
    gid: process.getgid?.() ?? -1,
  };
}

const isId = (s: string) => /^\d+$/.test(s);

/** Resolves the identity to run as, or throws a message naming what is wrong. */
export function resolveIdentity(
  user: string | undefined,
  group: string | undefined,
  files: AccountFiles = systemAccounts(),
): Identity {
  if (user === undefined && group === undefined) return { env: {} };
  const out: Identity = { env: {} };
  if (user !== undefined) {
    const entry = parsePasswd(files.passwd).find(
      (e) => e.name === user || (isId(user) && e.uid === Number(user)),
    );
    if (!entry && !isId(user)) throw new Error(`user ${user} is not in /etc/passwd`);
    out.uid = entry?.uid ?? Number(user);
    out.gid = entry?.gid;
    if (entry) out.env = { HOME: entry.home, USER: entry.name, LOGNAME: entry.name };
  }
  if (group !== undefined) {
    const entry = parseGroup(files.group).find(
      (e) => e.name === group || (isId(group) && e.gid === Number(group)),
    );
    if (!entry && !isId(group)) throw new Error(`group ${group} is not in /etc/group`);
    out.gid = entry?.gid ?? Number(group);
  }
  const switching =
    (out.uid !== undefined && out.uid !== files.uid) || (out.gid !== undefined && out.gid !== files.gid);
  if (switching && files.uid !== 0)
    throw new Error(
      `running as ${[user && `user ${user}`, group && `group ${group}`].filter(Boolean).join(' and ')} ` +
        `needs the agent to run as root (it runs as uid ${files.uid})`,
    );
  return out;
}
