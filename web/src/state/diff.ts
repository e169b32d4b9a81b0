// A unified diff (git's, with `diff --git` headers) split into files and hunks, and paired
// into rows for a side-by-side view.

export interface DiffLine {
  type: "context" | "add" | "del" | "note";
  text: string;
  oldNo?: number;
  newNo?: number;
}

export interface Hunk {
  header: string;
  lines: DiffLine[];
}

export interface DiffFile {
  oldPath: string;
  newPath: string;
  /** The path to show: the new one, or the old one when deleted. */
  path: string;
  status: "added" | "deleted" | "modified" | "renamed" | "binary";
  hunks: Hunk[];
  additions: number;
  deletions: number;
}

const hunkHeader = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/;

function unquote(p: string): string {
  if (p.startsWith('"') && p.endsWith('"')) {
    try {
      return JSON.parse(p);
    } catch {
      return p.slice(1, -1);
    }
  }
  return p;
}

function stripPrefix(p: string): string {
  const u = unquote(p.trim());
  return u === "/dev/null" ? u : u.replace(/^[ab]\//, "");
}

export function parseDiff(patch: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: Hunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  const lines = patch.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines) {
    if (line.startsWith("diff --git ")) {
      const m = /^diff --git (".*?"|\S+) (".*?"|\S+)$/.exec(line);
      const a = m ? stripPrefix(m[1]) : "";
      const b = m ? stripPrefix(m[2]) : "";
      file = { oldPath: a, newPath: b, path: b || a, status: "modified", hunks: [], additions: 0, deletions: 0 };
      files.push(file);
      hunk = null;
      continue;
    }
    if (!file) continue;
    if (!hunk || !/^[ +\-\\]/.test(line)) {
      if (line.startsWith("new file mode")) file.status = "added";
      else if (line.startsWith("deleted file mode")) file.status = "deleted";
      else if (line.startsWith("rename from ")) {
        file.status = "renamed";
        file.oldPath = unquote(line.slice(12));
      } else if (line.startsWith("rename to ")) file.newPath = file.path = unquote(line.slice(10));
      else if (line.startsWith("Binary files ") || line.startsWith("GIT binary patch")) file.status = "binary";
      else if (line.startsWith("--- ")) {
        const p = stripPrefix(line.slice(4));
        if (p !== "/dev/null") file.oldPath = p;
      } else if (line.startsWith("+++ ")) {
        const p = stripPrefix(line.slice(4));
        if (p !== "/dev/null") file.newPath = file.path = p;
        else file.path = file.oldPath;
      } else {
        const h = hunkHeader.exec(line);
        if (h) {
          oldNo = Number(h[1]);
          newNo = Number(h[2]);
          hunk = { header: line, lines: [] };
          file.hunks.push(hunk);
        }
      }
      continue;
    }
    const sign = line[0];
    const text = line.slice(1);
    if (sign === "+") {
      hunk.lines.push({ type: "add", text, newNo: newNo++ });
      file.additions++;
    } else if (sign === "-") {
      hunk.lines.push({ type: "del", text, oldNo: oldNo++ });
      file.deletions++;
    } else if (sign === "\\") {
      hunk.lines.push({ type: "note", text: line });
    } else {
      hunk.lines.push({ type: "context", text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return files;
}

export interface SplitRow {
  left?: DiffLine;
  right?: DiffLine;
}

/** Pairs a hunk's lines for a side-by-side view: deletions beside the additions that follow. */
export function splitRows(h: Hunk): SplitRow[] {
  const rows: SplitRow[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) rows.push({ left: dels[i], right: adds[i] });
    dels = [];
    adds = [];
  };
  for (const l of h.lines) {
    if (l.type === "del") {
      if (adds.length) flush();
      dels.push(l);
    } else if (l.type === "add") adds.push(l);
    else {
      flush();
      rows.push(l.type === "note" ? { left: l } : { left: l, right: l });
    }
  }
  flush();
  return rows;
}
