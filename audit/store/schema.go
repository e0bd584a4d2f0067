package store

// sqliteMigrations are the SQLite schema, in order: sqliteMigrations[i] takes the database
// from user_version i to i+1. Never edit one that has shipped; append a new one. The tables
// are the same for every engine (a Postgres schema would spell the same columns in its own
// types); the queries that use them are in sql.go.
var sqliteMigrations = []string{
	// 1: runs, verdicts with their evidence, and the scope-level lists.
	`
CREATE TABLE runs (
	id                  TEXT PRIMARY KEY,
	kind                TEXT NOT NULL CHECK (kind IN ('check', 'recheck')),
	parent_run_id       TEXT REFERENCES runs(id),
	started_at          TEXT NOT NULL,              -- RFC 3339, UTC
	resumed_at          TEXT,                       -- the last --resume
	finished_at         TEXT,
	finished            INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
	nmaudit_version     TEXT NOT NULL,
	-- parameters
	check_time          TEXT NOT NULL,              -- RFC 3339 in the inspection's zone
	timezone            TEXT NOT NULL,
	window              TEXT NOT NULL,              -- 14d
	pending_policy      TEXT NOT NULL,              -- exclude | check
	warn_after_seconds  INTEGER NOT NULL,
	registry_path       TEXT NOT NULL,
	registry_sha256     TEXT NOT NULL,
	registry_sheet      TEXT NOT NULL DEFAULT '',
	targets_path        TEXT NOT NULL DEFAULT '',
	targets_sha256      TEXT NOT NULL DEFAULT '',
	targets_json        TEXT,                       -- recheck: the accounts re-checked
	observations_path   TEXT NOT NULL DEFAULT '',
	observations_sha256 TEXT NOT NULL DEFAULT '',
	findings_path       TEXT NOT NULL DEFAULT '',
	findings_sha256     TEXT NOT NULL DEFAULT '',
	findings_json       TEXT,                       -- recheck: findings carried over from the parent
	offline             INTEGER NOT NULL DEFAULT 0,
	replay_dir          TEXT NOT NULL DEFAULT '',
	record_dir          TEXT NOT NULL DEFAULT '',
	format              TEXT NOT NULL,
	rate_decimals       INTEGER NOT NULL,
	planned             INTEGER NOT NULL,           -- accounts in scope when the run started
	-- the scope-level results, written with finished = 1
	registry_rows       INTEGER,
	closed_excluded     INTEGER,
	in_scope            INTEGER,
	pending_closure     INTEGER,
	qualified           INTEGER,
	unqualified         INTEGER,
	needs_review        INTEGER,
	unqualified_rate    REAL
);
CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX runs_by_parent ON runs (parent_run_id);

CREATE TABLE verdicts (
	run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	idx             INTEGER NOT NULL,               -- position in the run's scope
	registry_row    INTEGER NOT NULL,
	platform        TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	owner           TEXT NOT NULL,
	level           TEXT NOT NULL,
	region          TEXT NOT NULL,
	status          TEXT NOT NULL,                  -- qualified | unqualified | pending_closure | needs_review
	problems        TEXT NOT NULL,                  -- JSON array
	latest_post_at  TEXT,
	source          TEXT NOT NULL,
	detail          TEXT NOT NULL,
	decided_at      TEXT NOT NULL,
	verdict         TEXT NOT NULL,                  -- the whole audit.Verdict as JSON: what reports re-render
	PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE INDEX verdicts_by_status ON verdicts (run_id, status);
CREATE INDEX verdicts_by_owner ON verdicts (run_id, owner, name);

CREATE TABLE evidence (
	run_id      TEXT NOT NULL,
	idx         INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	source      TEXT NOT NULL,
	post_at     TEXT,
	day_only    INTEGER NOT NULL,
	pinned      INTEGER NOT NULL,
	post_id     TEXT NOT NULL,
	title       TEXT NOT NULL,
	url         TEXT NOT NULL,                      -- secrets already removed
	fetched_at  TEXT,
	error       TEXT NOT NULL,
	row         INTEGER NOT NULL,
	PRIMARY KEY (run_id, idx, seq),
	FOREIGN KEY (run_id, idx) REFERENCES verdicts (run_id, idx) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE unregistered (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	type    TEXT NOT NULL,
	owner   TEXT NOT NULL,
	row     INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE duplicates (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	type    TEXT NOT NULL,
	rows    TEXT NOT NULL,                          -- JSON array of row numbers
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE warnings (
	run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq             INTEGER NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	owner           TEXT NOT NULL,
	latest_post_at  TEXT NOT NULL,
	days_since_post INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE notices (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	text    TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
`,

	// 2: a verdict keeps each field once, in its own column. The JSON copy of the whole
	// verdict beside its columns, and the evidence table (one row per source, inserted one by
	// one), go: evidence, which no query looks into, is one JSON array per verdict. runs get
	// seq, their order of creation: "newest first" needs no engine's row id, and verdicts name
	// their run by it, an integer key eight bytes wide instead of the twenty-byte id repeated
	// in every row and its primary key. Verdict times are integers (microseconds since
	// 1970-01-01 UTC): a 200,000-account run writes two of them per account, and as text they
	// were a tenth of its bytes. Indexes no query uses go: the reads select a run's verdicts
	// by the primary key, and a finished run's counts by status are in its runs row.
	`
ALTER TABLE runs ADD COLUMN seq INTEGER;
UPDATE runs SET seq = (SELECT n FROM (SELECT id AS rid, row_number() OVER (ORDER BY started_at, rowid) AS n FROM runs) WHERE rid = runs.id);
CREATE UNIQUE INDEX runs_by_seq ON runs (seq);
DROP INDEX runs_by_start;
DROP INDEX runs_by_parent;

CREATE TABLE verdicts_v2 (
	run_seq         INTEGER NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
	idx             INTEGER NOT NULL,               -- position in the run's scope
	registry_row    INTEGER NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,                  -- the registry's label, as written
	platform        TEXT NOT NULL,
	id_kind         TEXT NOT NULL,
	account_id      TEXT NOT NULL,                  -- the parsed id
	raw_id          TEXT,                           -- the id cell as written; NULL when it is account_id
	owner           TEXT NOT NULL,
	supervisor      TEXT NOT NULL,
	region          TEXT NOT NULL,
	level           TEXT NOT NULL,
	registry_status TEXT NOT NULL,
	lifecycle       TEXT NOT NULL,
	status          TEXT NOT NULL,                  -- qualified | unqualified | pending_closure | needs_review
	problems        TEXT,                           -- JSON array; NULL when none
	latest_post_at  INTEGER,                        -- µs since 1970 UTC; NULL when no post is known
	source          TEXT NOT NULL,
	detail          TEXT NOT NULL,
	decided_at      INTEGER NOT NULL,               -- µs since 1970 UTC
	evidence        TEXT,                           -- JSON array of audit.Evidence; NULL when none
	review_code     TEXT NOT NULL,                  -- why 待核查: a platforms.Reason or the audit's own; '' otherwise
	review_label    TEXT NOT NULL,                  -- its wording, as the detail begins
	PRIMARY KEY (run_seq, idx)
) WITHOUT ROWID;
INSERT INTO verdicts_v2 (run_seq, idx, registry_row, name, type, platform, id_kind, account_id, raw_id,
	owner, supervisor, region, level, registry_status, lifecycle, status, problems, latest_post_at,
	source, detail, decided_at, evidence, review_code, review_label)
SELECT r.seq, v.idx, v.registry_row, v.name, v.type, v.platform,
	coalesce(json_extract(v.verdict, '$.IDKind'), ''),
	coalesce(json_extract(v.verdict, '$.ID'), ''),
	nullif(coalesce(json_extract(v.verdict, '$.RawID'), ''), coalesce(json_extract(v.verdict, '$.ID'), '')),
	v.owner, coalesce(json_extract(v.verdict, '$.Supervisor'), ''), v.region, v.level,
	coalesce(json_extract(v.verdict, '$.RegistryStatus'), ''), coalesce(json_extract(v.verdict, '$.Lifecycle'), ''),
	v.status, nullif(v.problems, '[]'),
	CAST(round(unixepoch(v.latest_post_at, 'subsec') * 1000000) AS INTEGER),
	v.source, v.detail,
	CAST(round(unixepoch(v.decided_at, 'subsec') * 1000000) AS INTEGER),
	CASE json_type(v.verdict, '$.Evidence') WHEN 'array' THEN json_extract(v.verdict, '$.Evidence') END,
	coalesce(json_extract(v.verdict, '$.Review.Code'), ''), coalesce(json_extract(v.verdict, '$.Review.Label'), '')
FROM verdicts AS v JOIN runs AS r ON r.id = v.run_id;
DROP TABLE evidence;
DROP TABLE verdicts;
ALTER TABLE verdicts_v2 RENAME TO verdicts;
`,

	// 3: distributed runs (issue 13). A run checked by workers on other machines keeps what
	// they need in the database, since the input files stay on the coordinator's machine: the
	// scope's accounts with the observation and finding rows matched to each (work), and the
	// notices deciding an account gave (a voided evidence link). runs.distributed marks such a
	// run, so check --resume reattaches to it instead of fetching.
	workMigration,

	// 4: a verdict is its status, the one field a query filters on (a run's counts so far),
	// and every other field packed in one JSON array, in the order verdictFields (sql.go)
	// names them. Binding two dozen columns per verdict was most of a 200,000-account run's
	// store time in modernc.org/sqlite (each bound text is copied into C memory on its own);
	// one array is a tenth of the binds for the same bytes. The view verdict_columns spells
	// the array out as the columns schema 2 had, for anyone who reads the file with SQL.
	`
CREATE TABLE verdicts_v4 (
	run_seq INTEGER NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
	idx     INTEGER NOT NULL,                       -- position in the run's scope
	status  TEXT NOT NULL,                          -- qualified | unqualified | pending_closure | needs_review
	verdict TEXT NOT NULL,                          -- JSON array of the other fields (view verdict_columns)
	PRIMARY KEY (run_seq, idx)
) WITHOUT ROWID;
INSERT INTO verdicts_v4 (run_seq, idx, status, verdict)
SELECT run_seq, idx, status, json_array(registry_row, name, type, platform, id_kind, account_id, raw_id, owner, supervisor, region, level, registry_status, lifecycle, json(problems), latest_post_at, source, detail, decided_at, json(evidence), review_code, review_label)
FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_v4 RENAME TO verdicts;
CREATE VIEW verdict_columns AS SELECT run_seq, idx, status,
	verdict ->> 0 AS registry_row,
	verdict ->> 1 AS name,
	verdict ->> 2 AS type,
	verdict ->> 3 AS platform,
	verdict ->> 4 AS id_kind,
	verdict ->> 5 AS account_id,
	verdict ->> 6 AS raw_id,
	verdict ->> 7 AS owner,
	verdict ->> 8 AS supervisor,
	verdict ->> 9 AS region,
	verdict ->> 10 AS level,
	verdict ->> 11 AS registry_status,
	verdict ->> 12 AS lifecycle,
	CASE json_type(verdict, '$[13]') WHEN 'null' THEN NULL ELSE verdict -> 13 END AS problems,
	verdict ->> 14 AS latest_post_at,
	verdict ->> 15 AS source,
	verdict ->> 16 AS detail,
	verdict ->> 17 AS decided_at,
	CASE json_type(verdict, '$[18]') WHEN 'null' THEN NULL ELSE verdict -> 18 END AS evidence,
	verdict ->> 19 AS review_code,
	verdict ->> 20 AS review_label
FROM verdicts;
`,
}

// workMigration is schema step 3, the same statements on both engines.
const workMigration = `
ALTER TABLE runs ADD COLUMN distributed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE work (
	run_seq      BIGINT NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
	idx          INTEGER NOT NULL,               -- position in the run's scope
	platform     TEXT NOT NULL,
	account      TEXT NOT NULL,                  -- audit.Account as JSON
	observations TEXT,                           -- JSON []audit.Observation matched to it; NULL when none
	findings     TEXT,                           -- JSON []audit.Finding matched to it; NULL when none
	notices      TEXT,                           -- JSON []string: what deciding it told the run
	PRIMARY KEY (run_seq, idx)
);
`

// postgresMigrations are the Postgres schema, numbered as SQLite's so a version means the same
// tables on both: Postgres support began with schema 2, so step 1 has nothing to do there and
// step 2 creates schema 2's tables directly. Times are text and microsecond integers, booleans
// 0/1 integers, exactly as on SQLite, so the shared queries and scanners read both alike.
var postgresMigrations = []string{
	// 1: (SQLite's schema 1 never existed on Postgres.)
	"",
	// 2
	`
CREATE TABLE runs (
	id                  TEXT PRIMARY KEY,
	kind                TEXT NOT NULL CHECK (kind IN ('check', 'recheck')),
	parent_run_id       TEXT REFERENCES runs(id),
	started_at          TEXT NOT NULL,
	resumed_at          TEXT,
	finished_at         TEXT,
	finished            INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
	nmaudit_version     TEXT NOT NULL,
	check_time          TEXT NOT NULL,
	timezone            TEXT NOT NULL,
	"window"            TEXT NOT NULL,
	pending_policy      TEXT NOT NULL,
	warn_after_seconds  BIGINT NOT NULL,
	registry_path       TEXT NOT NULL,
	registry_sha256     TEXT NOT NULL,
	registry_sheet      TEXT NOT NULL DEFAULT '',
	targets_path        TEXT NOT NULL DEFAULT '',
	targets_sha256      TEXT NOT NULL DEFAULT '',
	targets_json        TEXT,
	observations_path   TEXT NOT NULL DEFAULT '',
	observations_sha256 TEXT NOT NULL DEFAULT '',
	findings_path       TEXT NOT NULL DEFAULT '',
	findings_sha256     TEXT NOT NULL DEFAULT '',
	findings_json       TEXT,
	offline             INTEGER NOT NULL DEFAULT 0,
	replay_dir          TEXT NOT NULL DEFAULT '',
	record_dir          TEXT NOT NULL DEFAULT '',
	format              TEXT NOT NULL,
	rate_decimals       INTEGER NOT NULL,
	planned             INTEGER NOT NULL,
	registry_rows       INTEGER,
	closed_excluded     INTEGER,
	in_scope            INTEGER,
	pending_closure     INTEGER,
	qualified           INTEGER,
	unqualified         INTEGER,
	needs_review        INTEGER,
	unqualified_rate    DOUBLE PRECISION,
	seq                 BIGINT NOT NULL UNIQUE
);

CREATE TABLE verdicts (
	run_seq         BIGINT NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
	idx             INTEGER NOT NULL,
	registry_row    INTEGER NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	platform        TEXT NOT NULL,
	id_kind         TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	raw_id          TEXT,
	owner           TEXT NOT NULL,
	supervisor      TEXT NOT NULL,
	region          TEXT NOT NULL,
	level           TEXT NOT NULL,
	registry_status TEXT NOT NULL,
	lifecycle       TEXT NOT NULL,
	status          TEXT NOT NULL,
	problems        TEXT,
	latest_post_at  BIGINT,
	source          TEXT NOT NULL,
	detail          TEXT NOT NULL,
	decided_at      BIGINT NOT NULL,
	evidence        TEXT,
	review_code     TEXT NOT NULL,
	review_label    TEXT NOT NULL,
	PRIMARY KEY (run_seq, idx)
);

CREATE TABLE unregistered (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	type    TEXT NOT NULL,
	owner   TEXT NOT NULL,
	row     INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
);

CREATE TABLE duplicates (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	type    TEXT NOT NULL,
	rows    TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
);

CREATE TABLE warnings (
	run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq             INTEGER NOT NULL,
	name            TEXT NOT NULL,
	type            TEXT NOT NULL,
	owner           TEXT NOT NULL,
	latest_post_at  TEXT NOT NULL,
	days_since_post INTEGER NOT NULL,
	PRIMARY KEY (run_id, seq)
);

CREATE TABLE notices (
	run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	text    TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
);
`,
	// 3
	workMigration,

	// 4: as SQLite's step 4.
	`
CREATE TABLE verdicts_v4 (
	run_seq BIGINT NOT NULL REFERENCES runs(seq) ON DELETE CASCADE,
	idx     INTEGER NOT NULL,
	status  TEXT NOT NULL,
	verdict TEXT NOT NULL,
	PRIMARY KEY (run_seq, idx)
);
INSERT INTO verdicts_v4 (run_seq, idx, status, verdict)
SELECT run_seq, idx, status, json_build_array(registry_row, name, type, platform, id_kind, account_id, raw_id, owner, supervisor, region, level, registry_status, lifecycle, problems::json, latest_post_at, source, detail, decided_at, evidence::json, review_code, review_label)::text
FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_v4 RENAME TO verdicts;
ALTER INDEX verdicts_v4_pkey RENAME TO verdicts_pkey;
CREATE VIEW verdict_columns AS SELECT run_seq, idx, status,
	(verdict::json ->> 0)::bigint AS registry_row,
	verdict::json ->> 1 AS name,
	verdict::json ->> 2 AS type,
	verdict::json ->> 3 AS platform,
	verdict::json ->> 4 AS id_kind,
	verdict::json ->> 5 AS account_id,
	verdict::json ->> 6 AS raw_id,
	verdict::json ->> 7 AS owner,
	verdict::json ->> 8 AS supervisor,
	verdict::json ->> 9 AS region,
	verdict::json ->> 10 AS level,
	verdict::json ->> 11 AS registry_status,
	verdict::json ->> 12 AS lifecycle,
	CASE json_typeof(verdict::json -> 13) WHEN 'null' THEN NULL ELSE (verdict::json -> 13)::text END AS problems,
	(verdict::json ->> 14)::bigint AS latest_post_at,
	verdict::json ->> 15 AS source,
	verdict::json ->> 16 AS detail,
	(verdict::json ->> 17)::bigint AS decided_at,
	CASE json_typeof(verdict::json -> 18) WHEN 'null' THEN NULL ELSE (verdict::json -> 18)::text END AS evidence,
	verdict::json ->> 19 AS review_code,
	verdict::json ->> 20 AS review_label
FROM verdicts;
`,
}
