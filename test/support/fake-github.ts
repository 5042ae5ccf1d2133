import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";

/**
 * A stateful fake of the part of GitHub's REST API that opforge uses, at the HTTP layer. Persisted nock
 * interceptors on https://api.github.com dispatch on method and path into an in-memory model; the same
 * dispatcher can also serve a real local HTTP server, so a worker in a child process writes into the same
 * model. Unknown routes answer 501 and are kept in `unexpected`; every request is kept in `requests`.
 */

export const API = "https://api.github.com";
export const LOGS_HOST = "https://pipelines.actions.githubusercontent.example";
export const BOT = { login: "opforge[bot]", id: 9_001, type: "Bot" } as const;
const ACTIONS_APP = { id: 15368, slug: "github-actions", name: "GitHub Actions" };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

interface User {
  login: string;
  id: number;
  type: "User" | "Bot";
}

interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: User;
  createdAt: string;
  updatedAt: string;
}

interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  user: User;
  isPull: boolean;
}

interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  headSha: string;
  base: string;
  baseSha: string;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
}

interface FakeCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
}

interface FakeAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

interface FakeCheckRun {
  id: number;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  suiteId: number;
  app: { id: number; slug: string; name: string };
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: FakeAnnotation[];
  detailsUrl: string | null;
}

interface FakeSuite {
  id: number;
  headSha: string;
  headBranch: string | null;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  app: { id: number; slug: string; name: string };
  createdAt?: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  refs: Map<string, string>;
  issues: Map<number, FakeIssue>;
  pulls: Map<number, FakePull>;
  comments: Map<number, FakeComment>;
  labels: Set<string>;
  checkRuns: FakeCheckRun[];
  suites: FakeSuite[];
  jobLogs: Map<number, string>;
  permissions: Map<string, string>;
  reactions: { commentId: number; content: string; user: User }[];
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CiRunInput {
  name: string;
  conclusion: "success" | "failure" | "neutral" | "skipped" | "cancelled" | "timed_out" | "action_required";
  output?: { title?: string; summary?: string; text?: string };
  annotations?: FakeAnnotation[];
  /** Plain-text Actions job log, served through the 302 redirect. */
  log?: string;
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

function httpError(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { message, documentation_url: "https://docs.github.com/rest", status: String(status), ...extra } };
}

const notFound = (): Reply => httpError(404, "Not Found");

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly unexpected: RecordedRequest[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  /** Git objects are shared across repositories: a SHA names the same content everywhere. */
  private readonly commits = new Map<string, FakeCommit>();
  private readonly trees = new Map<string, Map<string, string>>();
  private nextId = 1_000;
  private clockMs = Date.parse("2026-11-24T10:00:00Z");
  private holds: { method: string; path: RegExp; onHeld: () => void }[] = [];
  private failures: { method: string; path: RegExp; status: number; message?: string }[] = [];
  private lostReplies: { method: string; path: RegExp; status: number }[] = [];
  private server: Server | null = null;

  /** A repository with one commit on its default branch holding `files`. */
  addRepo(owner: string, name: string, options: { defaultBranch?: string; id?: number; files?: Record<string, string> } = {}): FakeRepo {
    const defaultBranch = options.defaultBranch ?? "main";
    const repo: FakeRepo = {
      owner,
      name,
      id: options.id ?? this.id(),
      defaultBranch,
      refs: new Map(),
      issues: new Map(),
      pulls: new Map(),
      comments: new Map(),
      labels: new Set(),
      checkRuns: [],
      suites: [],
      jobLogs: new Map(),
      permissions: new Map(),
      reactions: [],
    };
    const tree = this.storeTree(new Map(Object.entries(options.files ?? { "README.md": `# ${name}\n` })));
    repo.refs.set(defaultBranch, this.storeCommit(tree, [], "Initial commit"));
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    return repo;
  }

  repo(fullName: string): FakeRepo {
    const repo = this.repos.get(fullName.toLowerCase());
    if (repo === undefined) throw new Error(`no fake repository ${fullName}`);
    return repo;
  }

  addIssue(repo: FakeRepo, issue: { number: number; title?: string; body: string; labels?: string[]; user?: User }): void {
    repo.issues.set(issue.number, {
      number: issue.number,
      title: issue.title ?? `Issue ${issue.number}`,
      body: issue.body,
      labels: issue.labels ?? [],
      state: "open",
      user: issue.user ?? { login: "Codertocat", id: 21031067, type: "User" },
      isPull: false,
    });
  }

  /** Files of a commit (by SHA) or a branch head. */
  filesAt(repo: FakeRepo, ref: string): Map<string, string> {
    const sha = this.resolve(repo, ref);
    if (sha === null) throw new Error(`no ref ${ref} in ${repo.owner}/${repo.name}`);
    return new Map(this.trees.get(this.commits.get(sha)?.tree ?? "") ?? []);
  }

  commit(sha: string): FakeCommit | undefined {
    return this.commits.get(sha);
  }

  /** A commit pushed by someone else (a fix on the base branch, a human edit on the PR branch). */
  pushCommit(repo: FakeRepo, branch: string, files: Record<string, string | null>, message: string): string {
    const head = repo.refs.get(branch);
    if (head === undefined) throw new Error(`no branch ${branch}`);
    const next = this.filesAt(repo, head);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) next.delete(path);
      else next.set(path, content);
    }
    const sha = this.storeCommit(this.storeTree(next), [head], message);
    repo.refs.set(branch, sha);
    return sha;
  }

  /**
   * One completed GitHub Actions workflow run on `headSha`: a check suite with one check run per job,
   * each with optional annotations and job log. Returns the suite id for the webhook payload.
   */
  completeSuite(repo: FakeRepo, headSha: string, runs: CiRunInput[], headBranch: string | null = null): number {
    const suite: FakeSuite = {
      id: this.id(),
      headSha,
      headBranch,
      status: "completed",
      conclusion: runs.some((r) => !["success", "neutral", "skipped"].includes(r.conclusion)) ? "failure" : "success",
      app: ACTIONS_APP,
    };
    repo.suites.push(suite);
    const runId = this.id();
    for (const [index, run] of runs.entries()) {
      const id = runId * 10 + index;
      repo.checkRuns.push({
        id,
        name: run.name,
        headSha,
        status: "completed",
        conclusion: run.conclusion,
        suiteId: suite.id,
        app: ACTIONS_APP,
        output: { title: run.output?.title ?? null, summary: run.output?.summary ?? null, text: run.output?.text ?? null },
        annotations: run.annotations ?? [],
        detailsUrl: `https://github.com/${repo.owner}/${repo.name}/actions/runs/${suite.id}/job/${id}`,
      });
      if (run.log !== undefined) repo.jobLogs.set(id, run.log);
    }
    return suite.id;
  }

  /** A suite that GitHub created for a workflow still running. */
  pendingSuite(repo: FakeRepo, headSha: string, runName: string): number {
    const suite: FakeSuite = { id: this.id(), headSha, headBranch: null, status: "in_progress", conclusion: null, app: ACTIONS_APP };
    repo.suites.push(suite);
    repo.checkRuns.push({
      id: this.id(),
      name: runName,
      headSha,
      status: "in_progress",
      conclusion: null,
      suiteId: suite.id,
      app: ACTIONS_APP,
      output: { title: null, summary: null, text: null },
      annotations: [],
      detailsUrl: null,
    });
    return suite.id;
  }

  /** A suite that another app left queued and never reports on (no check runs), created at `createdAt`. */
  silentSuite(repo: FakeRepo, headSha: string, app: { id: number; slug: string; name: string }, createdAt: string): number {
    const suite: FakeSuite = { id: this.id(), headSha, headBranch: null, status: "queued", conclusion: null, app, createdAt };
    repo.suites.push(suite);
    return suite.id;
  }

  /** Completes a suite made by `pendingSuite`: its run ends with `conclusion`. */
  finishSuite(repo: FakeRepo, suiteId: number, conclusion: CiRunInput["conclusion"]): void {
    const suite = repo.suites.find((s) => s.id === suiteId);
    if (suite === undefined) throw new Error(`no suite ${suiteId}`);
    suite.status = "completed";
    suite.conclusion = conclusion;
    for (const run of repo.checkRuns.filter((r) => r.suiteId === suiteId)) {
      run.status = "completed";
      run.conclusion = conclusion;
    }
  }

  /** Merges a pull request with a merge commit on its base branch; `edits` are a reviewer's changes to the head first. */
  mergePull(repo: FakeRepo, number: number, edits: Record<string, string> = {}): string {
    const pull = repo.pulls.get(number);
    if (pull === undefined) throw new Error(`no pull request #${number}`);
    const headSha = Object.keys(edits).length === 0 ? pull.headSha : this.pushCommit(repo, pull.head, edits, "Review fixes");
    const baseHead = repo.refs.get(pull.base) ?? "";
    const files = this.filesAt(repo, headSha);
    const mergeSha = this.storeCommit(this.storeTree(files), [baseHead, headSha], `Merge pull request #${number}`);
    repo.refs.set(pull.base, mergeSha);
    pull.state = "closed";
    pull.merged = true;
    pull.mergeCommitSha = mergeSha;
    pull.headSha = headSha;
    const issue = repo.issues.get(number);
    if (issue !== undefined) issue.state = "closed";
    return mergeSha;
  }

  /** A person (or bot) reacts to a comment in the web UI. */
  react(repo: FakeRepo, commentId: number, content: string, user: User): void {
    repo.reactions.push({ commentId, content, user });
  }

  closePull(repo: FakeRepo, number: number): void {
    const pull = repo.pulls.get(number);
    if (pull === undefined) throw new Error(`no pull request #${number}`);
    pull.state = "closed";
  }

  /** Requests matching method and path pattern (path without query string). */
  calls(method: string, path: RegExp | string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    );
  }

  /** Answers the next `times` matching requests with `status` (a GitHub outage) instead of routing them. */
  failNext(method: string, path: RegExp, status: number, times = 1, message?: string): void {
    for (let i = 0; i < times; i += 1) this.failures.push({ method, path, status, ...(message === undefined ? {} : { message }) });
  }

  /**
   * Carries out the next matching request (its effect stays in the model) but answers `status` instead: a
   * write that went through while its answer was lost, as a 502 from GitHub's front end can be.
   */
  loseNextReply(method: string, path: RegExp, status = 502): void {
    this.lostReplies.push({ method, path, status });
  }

  /**
   * Leaves the next matching request unanswered and calls `onHeld` (to kill a process mid-request). Only
   * for requests reaching the fake through `listen()`: nock cannot leave a request hanging.
   */
  hold(method: string, path: RegExp, onHeld: () => void): void {
    this.holds.push({ method, path, onHeld });
  }

  /** Persisted interceptors for api.github.com and the job-log host; optional because a test may not need every method. */
  intercept(options: { latencyMs?: number } = {}): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
      nock(API)
        .persist()
        .intercept(/.*/, method)
        .optionally()
        .delay(options.latencyMs ?? 0)
        .reply(function (uri, body) {
          const headers = Object.fromEntries(Object.entries(this.req.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
          const reply = fake.handle(method, uri, body, headers);
          return [reply.status, reply.body as nock.Body, reply.headers ?? {}];
        });
    }
    nock(LOGS_HOST)
      .persist()
      .get(/.*/)
      .optionally()
      .reply((uri) => {
        const reply = fake.handle("GET", `/__logs${uri}`, "", {});
        return [reply.status, reply.body as nock.Body, reply.headers ?? {}];
      });
  }

  /** Serves the same model over real HTTP on 127.0.0.1 (for a child process); resolves to its base URL. */
  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      req.on("end", () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const reply = this.handle(req.method ?? "GET", req.url ?? "/", raw, headers);
        if (reply.status === 0) return; // held: never answered
        const isText = typeof reply.body === "string";
        res.writeHead(reply.status, {
          "content-type": isText ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
          ...reply.headers,
        });
        res.end(reply.body === undefined ? "" : isText ? (reply.body as string) : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  private now(): string {
    this.clockMs += 1_000;
    return new Date(this.clockMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  private storeTree(files: Map<string, string>): string {
    const entries = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sha = sha1(`tree\0${entries.map(([p, c]) => `${p}\0${sha1(c)}`).join("\n")}`);
    this.trees.set(sha, new Map(entries));
    return sha;
  }

  private storeCommit(tree: string, parents: string[], message: string): string {
    const sha = sha1(`commit\0${tree}\0${parents.join(",")}\0${message}\0${this.commits.size}`);
    this.commits.set(sha, { sha, tree, parents, message });
    return sha;
  }

  private resolve(repo: FakeRepo, ref: string): string | null {
    const bare = ref.replace(/^refs\/heads\//, "").replace(/^heads\//, "");
    if (repo.refs.has(bare)) return repo.refs.get(bare) ?? null;
    if (/^[0-9a-f]{40}$/.test(ref) && this.commits.has(ref)) return ref;
    return null;
  }

  handle(method: string, uri: string, rawBody: unknown, headers: Record<string, string>): Reply {
    const url = new URL(uri, "http://fake.invalid");
    const path = url.pathname.replace(/^\/api\/v3/, "");
    const query = Object.fromEntries(url.searchParams.entries());
    let body: unknown = rawBody;
    if (typeof rawBody === "string" && rawBody !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const request: RecordedRequest = { method, path, query, body: body === "" ? undefined : body };
    this.requests.push(request);
    const held = this.holds.findIndex((h) => h.method === method && h.path.test(path));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold?.onHeld();
      return { status: 0 };
    }
    const failing = this.failures.findIndex((f) => f.method === method && f.path.test(path));
    if (failing >= 0) {
      const [failure] = this.failures.splice(failing, 1);
      return httpError(failure?.status ?? 500, failure?.message ?? (failure?.status === 502 ? "Server Error" : "Internal Server Error"));
    }
    const reply = this.route(method, path, query, (body ?? {}) as Record<string, unknown>, headers);
    if (reply === null) {
      this.unexpected.push(request);
      return httpError(501, `fake GitHub has no route for ${method} ${path}`);
    }
    const lost = this.lostReplies.findIndex((l) => l.method === method && l.path.test(path));
    if (lost >= 0) {
      const [loss] = this.lostReplies.splice(lost, 1);
      return httpError(loss?.status ?? 502, "Server Error");
    }
    return reply;
  }

  // ---- routing ----------------------------------------------------------------------------------------

  private route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
    headers: Record<string, string>,
  ): Reply | null {
    let m: RegExpExecArray | null;
    if (method === "POST" && (m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path))) {
      return {
        status: 201,
        body: {
          token: `ghs_fake${m[1]}`,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          permissions: { checks: "write", contents: "write", issues: "write", pull_requests: "write", actions: "read", metadata: "read" },
          repository_selection: "all",
        },
      };
    }
    if ((m = /^\/__logs\/jobs\/(\d+)$/.exec(path))) {
      for (const repo of this.repos.values()) {
        const log = repo.jobLogs.get(Number(m[1]));
        if (log !== undefined) return { status: 200, body: log, headers: { "content-type": "text/plain" } };
      }
      return notFound();
    }
    if (!(m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path))) return null;
    const repo = this.repos.get(`${decodeURIComponent(m[1] ?? "")}/${decodeURIComponent(m[2] ?? "")}`.toLowerCase());
    const rest = m[3] ?? "";
    if (repo === undefined) {
      // Probot's config loader falls back to the owner's `.github` repository; any other miss is a test bug.
      if (method === "GET" && m[2] === ".github" && rest.startsWith("/contents/")) return notFound();
      return null;
    }
    return this.repoRoute(repo, method, rest, query, body, headers);
  }

  private repoRoute(
    repo: FakeRepo,
    method: string,
    rest: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
    headers: Record<string, string>,
  ): Reply | null {
    let m: RegExpExecArray | null;
    const key = `${method} ${rest}`;
    if (key === "GET ") return { status: 200, body: this.repoJson(repo) };

    // contents
    if (method === "GET" && (m = /^\/contents\/(.+)$/.exec(rest))) {
      const filePath = decodeURIComponent(m[1] ?? "");
      const ref = query.ref ?? repo.defaultBranch;
      const sha = this.resolve(repo, ref);
      if (sha === null) return httpError(404, `No commit found for the ref ${ref}`);
      const content = this.filesAt(repo, sha).get(filePath);
      if (content === undefined) return notFound();
      if ((headers.accept ?? "").includes("raw")) {
        return { status: 200, body: content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
      }
      return { status: 200, body: this.contentJson(repo, filePath, content, ref) };
    }

    // issues and comments
    if ((m = /^\/issues\/(\d+)$/.exec(rest)) && method === "GET") {
      const issue = repo.issues.get(Number(m[1]));
      return issue === undefined ? notFound() : { status: 200, body: this.issueJson(repo, issue) };
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const number = Number(m[1]);
      if (!repo.issues.has(number)) return notFound();
      if (method === "GET") {
        const all = [...repo.comments.values()].filter((c) => c.issueNumber === number).sort((a, b) => a.id - b.id);
        const perPage = Number(query.per_page ?? 30);
        const page = Number(query.page ?? 1);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) {
          headers.link = `<${API}/repos/${repo.owner}/${repo.name}/issues/${number}/comments?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        }
        return { status: 200, body: slice.map((c) => this.commentJson(repo, c)), headers };
      }
      if (method === "POST") {
        const at = this.now();
        const comment: FakeComment = { id: this.id(), issueNumber: number, body: String(body.body), user: { ...BOT }, createdAt: at, updatedAt: at };
        repo.comments.set(comment.id, comment);
        return { status: 201, body: this.commentJson(repo, comment) };
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === "PATCH") {
      const comment = repo.comments.get(Number(m[1]));
      if (comment === undefined) return notFound();
      comment.body = String(body.body);
      comment.updatedAt = this.now();
      return { status: 200, body: this.commentJson(repo, comment) };
    }
    if ((m = /^\/issues\/comments\/(\d+)\/reactions$/.exec(rest)) && method === "GET") {
      const commentId = Number(m[1]);
      if (!repo.comments.has(commentId)) return notFound();
      return {
        status: 200,
        body: repo.reactions
          .filter((r) => r.commentId === commentId)
          .map((r) => ({ id: repo.reactions.indexOf(r) + 1, node_id: "REA_fake", user: this.userJson(r.user), content: r.content, created_at: this.now() })),
      };
    }
    if ((m = /^\/issues\/comments\/(\d+)\/reactions$/.exec(rest)) && method === "POST") {
      const commentId = Number(m[1]);
      if (!repo.comments.has(commentId)) return notFound();
      const existing = repo.reactions.find((r) => r.commentId === commentId && r.content === body.content && r.user.login === BOT.login);
      const reaction = existing ?? { commentId, content: String(body.content), user: { ...BOT } };
      if (existing === undefined) repo.reactions.push(reaction);
      return {
        status: existing === undefined ? 201 : 200,
        body: { id: repo.reactions.indexOf(reaction) + 1, node_id: "REA_fake", user: this.userJson(reaction.user), content: reaction.content, created_at: this.now() },
      };
    }
    if ((m = /^\/issues\/(\d+)\/labels$/.exec(rest)) && method === "POST") {
      const issue = repo.issues.get(Number(m[1]));
      if (issue === undefined) return notFound();
      for (const label of (body.labels as string[] | undefined) ?? []) {
        repo.labels.add(label);
        if (!issue.labels.includes(label)) issue.labels.push(label);
      }
      return { status: 200, body: issue.labels.map((l) => this.labelJson(repo, l)) };
    }
    if ((m = /^\/issues\/(\d+)\/labels\/(.+)$/.exec(rest)) && method === "DELETE") {
      const issue = repo.issues.get(Number(m[1]));
      const name = decodeURIComponent(m[2] ?? "");
      if (issue === undefined || !issue.labels.includes(name)) return httpError(404, "Label does not exist");
      issue.labels = issue.labels.filter((l) => l !== name);
      return { status: 200, body: issue.labels.map((l) => this.labelJson(repo, l)) };
    }
    if (key === "POST /labels") {
      const name = String(body.name);
      if (repo.labels.has(name)) {
        return httpError(422, "Validation Failed", { errors: [{ resource: "Label", code: "already_exists", field: "name" }] });
      }
      repo.labels.add(name);
      return { status: 201, body: this.labelJson(repo, name, body) };
    }

    // git data
    if ((m = /^\/git\/ref\/(.+)$/.exec(rest)) && method === "GET") {
      const branch = decodeURIComponent(m[1] ?? "").replace(/^heads\//, "");
      const sha = repo.refs.get(branch);
      return sha === undefined ? notFound() : { status: 200, body: this.refJson(repo, branch, sha) };
    }
    if ((m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest)) && method === "GET") {
      const commit = this.commits.get(m[1] ?? "");
      return commit === undefined ? notFound() : { status: 200, body: this.commitJson(repo, commit) };
    }
    if (key === "POST /git/trees") {
      const baseTree = body.base_tree === undefined ? new Map<string, string>() : this.trees.get(String(body.base_tree));
      if (baseTree === undefined) return httpError(422, "Invalid tree info", { errors: ["base_tree is not a valid tree"] });
      const files = new Map(baseTree);
      for (const entry of (body.tree as { path: string; content?: string; sha?: string | null }[] | undefined) ?? []) {
        if (entry.sha === null) files.delete(entry.path);
        else files.set(entry.path, entry.content ?? "");
      }
      const sha = this.storeTree(files);
      return {
        status: 201,
        body: {
          sha,
          url: `${API}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`,
          tree: [...files.entries()].map(([p, c]) => ({ path: p, mode: "100644", type: "blob", sha: sha1(`blob ${c.length}\0${c}`), size: c.length, url: "" })),
          truncated: false,
        },
      };
    }
    if (key === "POST /git/commits") {
      const tree = String(body.tree);
      const parents = (body.parents as string[] | undefined) ?? [];
      if (!this.trees.has(tree) || parents.some((p) => !this.commits.has(p))) return httpError(422, "Tree SHA does not exist");
      const sha = this.storeCommit(tree, parents, String(body.message));
      return { status: 201, body: this.commitJson(repo, this.commits.get(sha) as FakeCommit) };
    }
    if (key === "POST /git/refs") {
      const ref = String(body.ref);
      const branch = ref.replace(/^refs\/heads\//, "");
      if (repo.refs.has(branch)) return httpError(422, "Reference already exists");
      if (!this.commits.has(String(body.sha))) return httpError(422, "Object does not exist");
      repo.refs.set(branch, String(body.sha));
      return { status: 201, body: this.refJson(repo, branch, String(body.sha)) };
    }
    if ((m = /^\/git\/refs\/(.+)$/.exec(rest)) && method === "PATCH") {
      const branch = decodeURIComponent(m[1] ?? "").replace(/^heads\//, "");
      const current = repo.refs.get(branch);
      if (current === undefined) return httpError(422, "Reference does not exist");
      const next = String(body.sha);
      if (body.force !== true && !(this.commits.get(next)?.parents.includes(current) ?? false)) {
        return httpError(422, "Update is not a fast forward");
      }
      repo.refs.set(branch, next);
      for (const pull of repo.pulls.values()) if (pull.head === branch && pull.state === "open") pull.headSha = next;
      return { status: 200, body: this.refJson(repo, branch, next) };
    }

    // pull requests
    if (key === "GET /pulls") {
      const [, headBranch] = (query.head ?? "").split(":");
      const state = query.state ?? "open";
      const found = [...repo.pulls.values()].filter(
        (p) => (headBranch === undefined || p.head === headBranch) && (query.base === undefined || p.base === query.base) && (state === "all" || p.state === state),
      );
      return { status: 200, body: found.map((p) => this.pullJson(repo, p)) };
    }
    if (key === "POST /pulls") {
      const head = String(body.head);
      const base = String(body.base);
      const headSha = repo.refs.get(head);
      if (headSha === undefined) return httpError(422, "Validation Failed", { errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] });
      if ([...repo.pulls.values()].some((p) => p.head === head && p.base === base && p.state === "open")) {
        return httpError(422, "Validation Failed", { errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${repo.owner}:${head}.` }] });
      }
      const number = Math.max(0, ...repo.issues.keys()) + 1;
      const pull: FakePull = {
        number,
        title: String(body.title),
        body: String(body.body ?? ""),
        head,
        headSha,
        base,
        baseSha: repo.refs.get(base) ?? "",
        state: "open",
        merged: false,
        mergeCommitSha: null,
      };
      repo.pulls.set(number, pull);
      repo.issues.set(number, { number, title: pull.title, body: pull.body, labels: [], state: "open", user: { ...BOT }, isPull: true });
      return { status: 201, body: this.pullJson(repo, pull) };
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pull = repo.pulls.get(Number(m[1]));
      if (pull === undefined) return notFound();
      if (method === "GET") return { status: 200, body: this.pullJson(repo, pull) };
      if (method === "PATCH") {
        if (body.title !== undefined) pull.title = String(body.title);
        if (body.body !== undefined) pull.body = String(body.body);
        return { status: 200, body: this.pullJson(repo, pull) };
      }
    }

    // checks
    if (key === "POST /check-runs") {
      const headSha = String(body.head_sha);
      if (!this.commits.has(headSha)) return httpError(422, "No commit found for SHA");
      const output = (body.output ?? {}) as { title?: string; summary?: string; text?: string; annotations?: FakeAnnotation[] };
      let suite = repo.suites.find((s) => s.headSha === headSha && s.app.slug === "opforge");
      if (suite === undefined) {
        suite = { id: this.id(), headSha, headBranch: null, status: "completed", conclusion: null, app: { id: 1, slug: "opforge", name: "opforge" } };
        repo.suites.push(suite);
      }
      const run: FakeCheckRun = {
        id: this.id(),
        name: String(body.name),
        headSha,
        status: (body.status as FakeCheckRun["status"] | undefined) ?? "queued",
        conclusion: (body.conclusion as string | undefined) ?? null,
        suiteId: suite.id,
        app: suite.app,
        output: { title: output.title ?? null, summary: output.summary ?? null, text: output.text ?? null },
        annotations: [...(output.annotations ?? [])],
        detailsUrl: null,
      };
      suite.conclusion = run.conclusion;
      repo.checkRuns.push(run);
      return { status: 201, body: this.checkRunJson(repo, run) };
    }
    if ((m = /^\/check-runs\/(\d+)$/.exec(rest)) && method === "PATCH") {
      const run = repo.checkRuns.find((r) => r.id === Number(m?.[1]));
      if (run === undefined) return notFound();
      const output = (body.output ?? {}) as { annotations?: FakeAnnotation[] };
      run.annotations.push(...(output.annotations ?? []));
      return { status: 200, body: this.checkRunJson(repo, run) };
    }
    if ((m = /^\/check-runs\/(\d+)\/annotations$/.exec(rest)) && method === "GET") {
      const run = repo.checkRuns.find((r) => r.id === Number(m?.[1]));
      if (run === undefined) return notFound();
      return {
        status: 200,
        body: run.annotations.map((a) => ({
          ...a,
          start_column: null,
          end_column: null,
          title: a.title ?? null,
          raw_details: a.raw_details ?? null,
          blob_href: `https://github.com/${repo.owner}/${repo.name}/blob/${run.headSha}/${a.path}`,
        })),
      };
    }
    if ((m = /^\/commits\/([^/]+)\/check-runs$/.exec(rest)) && method === "GET") {
      const sha = this.resolve(repo, decodeURIComponent(m[1] ?? ""));
      let runs = repo.checkRuns.filter((r) => r.headSha === sha);
      if (query.check_name !== undefined) runs = runs.filter((r) => r.name === query.check_name);
      if ((query.filter ?? "latest") === "latest") {
        const latest = new Map<string, FakeCheckRun>();
        for (const run of runs) latest.set(run.name, run);
        runs = [...latest.values()];
      }
      return { status: 200, body: { total_count: runs.length, check_runs: runs.map((r) => this.checkRunJson(repo, r)) } };
    }
    if ((m = /^\/commits\/([^/]+)\/check-suites$/.exec(rest)) && method === "GET") {
      const sha = this.resolve(repo, decodeURIComponent(m[1] ?? ""));
      const suites = repo.suites.filter((s) => s.headSha === sha);
      return { status: 200, body: { total_count: suites.length, check_suites: suites.map((s) => this.suiteJson(repo, s)) } };
    }
    if ((m = /^\/actions\/jobs\/(\d+)\/logs$/.exec(rest)) && method === "GET") {
      const id = Number(m[1]);
      if (!repo.jobLogs.has(id)) return notFound();
      return { status: 302, headers: { location: `${LOGS_HOST}/jobs/${id}?sig=fake` } };
    }

    // permissions
    if ((m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest)) && method === "GET") {
      const login = decodeURIComponent(m[1] ?? "");
      const role = repo.permissions.get(login);
      if (role === undefined) return httpError(404, `${login} is not a user`);
      const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
      return {
        status: 200,
        body: {
          permission: legacy,
          role_name: role,
          user: { ...this.userJson({ login, id: 4242, type: "User" }), permissions: { admin: role === "admin", maintain: role === "maintain", push: ["admin", "maintain", "write"].includes(role), triage: role !== "read", pull: true } },
        },
      };
    }
    return null;
  }

  // ---- response shapes (field names as in test/fixtures/github and the REST reference) -----------------

  private userJson(user: User): Record<string, unknown> {
    return {
      login: user.login,
      id: user.id,
      node_id: `U_${user.id}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      url: `${API}/users/${encodeURIComponent(user.login)}`,
      html_url: `https://github.com/${user.login}`,
      type: user.type,
      site_admin: false,
    };
  }

  private repoJson(repo: FakeRepo): Record<string, unknown> {
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      private: false,
      owner: this.userJson({ login: repo.owner, id: 21031067, type: "User" }),
      html_url: `https://github.com/${repo.owner}/${repo.name}`,
      url: `${API}/repos/${repo.owner}/${repo.name}`,
      default_branch: repo.defaultBranch,
      visibility: "public",
    };
  }

  private contentJson(repo: FakeRepo, path: string, content: string, ref: string): Record<string, unknown> {
    const sha = sha1(`blob ${Buffer.byteLength(content)}\0${content}`);
    const url = `${API}/repos/${repo.owner}/${repo.name}/contents/${path}?ref=${ref}`;
    return {
      type: "file",
      encoding: "base64",
      size: Buffer.byteLength(content),
      name: path.split("/").pop(),
      path,
      content: Buffer.from(content).toString("base64").replace(/(.{60})/g, "$1\n"),
      sha,
      url,
      git_url: `${API}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/blob/${ref}/${path}`,
      download_url: `https://raw.githubusercontent.com/${repo.owner}/${repo.name}/${ref}/${path}`,
      _links: { self: url, git: "", html: "" },
    };
  }

  private labelJson(repo: FakeRepo, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: Math.abs(Number.parseInt(sha1(name).slice(0, 8), 16)),
      node_id: `LA_${name}`,
      url: `${API}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(name)}`,
      name,
      description: (extra.description as string | undefined) ?? null,
      color: (extra.color as string | undefined) ?? "ededed",
      default: false,
    };
  }

  private issueJson(repo: FakeRepo, issue: FakeIssue): Record<string, unknown> {
    const url = `${API}/repos/${repo.owner}/${repo.name}/issues/${issue.number}`;
    return {
      url,
      id: 500_000 + issue.number,
      node_id: `I_${issue.number}`,
      number: issue.number,
      title: issue.title,
      body: issue.body,
      user: this.userJson(issue.user),
      labels: issue.labels.map((l) => this.labelJson(repo, l)),
      state: issue.state,
      locked: false,
      comments: [...repo.comments.values()].filter((c) => c.issueNumber === issue.number).length,
      html_url: `https://github.com/${repo.owner}/${repo.name}/${issue.isPull ? "pull" : "issues"}/${issue.number}`,
      ...(issue.isPull ? { pull_request: { url: `${API}/repos/${repo.owner}/${repo.name}/pulls/${issue.number}` } } : {}),
    };
  }

  private commentJson(repo: FakeRepo, comment: FakeComment): Record<string, unknown> {
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${API}/repos/${repo.owner}/${repo.name}/issues/comments/${comment.id}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      body: comment.body,
      user: this.userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      issue_url: `${API}/repos/${repo.owner}/${repo.name}/issues/${comment.issueNumber}`,
      author_association: comment.user.type === "Bot" ? "NONE" : "MEMBER",
      performed_via_github_app: null,
    };
  }

  private refJson(repo: FakeRepo, branch: string, sha: string): Record<string, unknown> {
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${branch}`,
      url: `${API}/repos/${repo.owner}/${repo.name}/git/refs/heads/${branch}`,
      object: { type: "commit", sha, url: `${API}/repos/${repo.owner}/${repo.name}/git/commits/${sha}` },
    };
  }

  private commitJson(repo: FakeRepo, commit: FakeCommit): Record<string, unknown> {
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    const person = { name: "opforge[bot]", email: "opforge[bot]@users.noreply.github.com", date: "2026-11-24T10:00:00Z" };
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 8)}`,
      url: `${base}/git/commits/${commit.sha}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${commit.sha}`,
      author: person,
      committer: person,
      message: commit.message,
      tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
      parents: commit.parents.map((p) => ({ sha: p, url: `${base}/git/commits/${p}`, html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${p}` })),
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    };
  }

  private pullJson(repo: FakeRepo, pull: FakePull): Record<string, unknown> {
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    const repoRef = { id: repo.id, url: base, name: repo.name, full_name: `${repo.owner}/${repo.name}` };
    return {
      url: `${base}/pulls/${pull.number}`,
      id: 900_000 + pull.number,
      node_id: `PR_${pull.number}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.userJson(BOT),
      body: pull.body,
      labels: [],
      created_at: "2026-11-24T10:00:00Z",
      updated_at: "2026-11-24T10:00:00Z",
      closed_at: pull.state === "closed" ? "2026-11-24T12:00:00Z" : null,
      merged_at: pull.merged ? "2026-11-24T12:00:00Z" : null,
      merge_commit_sha: pull.mergeCommitSha,
      merged: pull.merged,
      draft: false,
      head: { label: `${repo.owner}:${pull.head}`, ref: pull.head, sha: pull.headSha, repo: repoRef },
      base: { label: `${repo.owner}:${pull.base}`, ref: pull.base, sha: pull.baseSha, repo: repoRef },
      author_association: "NONE",
      auto_merge: null,
    };
  }

  private checkRunJson(repo: FakeRepo, run: FakeCheckRun): Record<string, unknown> {
    const base = `${API}/repos/${repo.owner}/${repo.name}`;
    return {
      id: run.id,
      head_sha: run.headSha,
      node_id: `CR_${run.id}`,
      external_id: "",
      url: `${base}/check-runs/${run.id}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${run.id}`,
      details_url: run.detailsUrl,
      status: run.status,
      conclusion: run.conclusion,
      started_at: "2026-11-24T10:01:00Z",
      completed_at: run.status === "completed" ? "2026-11-24T10:05:00Z" : null,
      output: { ...run.output, annotations_count: run.annotations.length, annotations_url: `${base}/check-runs/${run.id}/annotations` },
      name: run.name,
      check_suite: { id: run.suiteId },
      app: { id: run.app.id, slug: run.app.slug, name: run.app.name },
      pull_requests: [],
    };
  }

  private suiteJson(repo: FakeRepo, suite: FakeSuite): Record<string, unknown> {
    return {
      id: suite.id,
      node_id: `CS_${suite.id}`,
      head_branch: suite.headBranch,
      head_sha: suite.headSha,
      status: suite.status,
      conclusion: suite.conclusion,
      url: `${API}/repos/${repo.owner}/${repo.name}/check-suites/${suite.id}`,
      app: { id: suite.app.id, slug: suite.app.slug, name: suite.app.name },
      created_at: suite.createdAt ?? "2026-11-24T10:00:30Z",
      updated_at: "2026-11-24T10:05:00Z",
      latest_check_runs_count: repo.checkRuns.filter((r) => r.suiteId === suite.id).length,
      pull_requests: [],
    };
  }
}
