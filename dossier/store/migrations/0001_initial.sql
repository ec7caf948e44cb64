-- Dossier case schema, version 1.
-- Times are UTC epoch seconds (INTEGER) plus the original text; ids shown to users are the
-- stable text uids, never the integer rowids.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every file read: the original (stored content-addressed in objects/), archive members,
-- and attachment files. Unique by content: the same bytes supplied twice are one source.
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT UNIQUE,            -- NULL only for a file that could not be read
    name          TEXT NOT NULL,          -- file name, or "archive.zip!/member" for members
    size          INTEGER NOT NULL,
    role          TEXT NOT NULL,          -- messages | container | attachment | other
    format        TEXT,                   -- whatsapp, zip, ... (NULL when not recognised)
    status        TEXT NOT NULL,          -- ok | failed | unrecognised | stored
    error         TEXT,                   -- what went wrong, for failed/unrecognised
    parent_id     INTEGER REFERENCES sources(id),
    member_name   TEXT,                   -- path inside the parent archive
    stored        INTEGER NOT NULL,       -- 1 when the bytes are in objects/ under sha256
    tz            TEXT,                   -- zone used to read local times
    ingested_at   TEXT NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    new_count     INTEGER NOT NULL DEFAULT 0,
    merged_count  INTEGER NOT NULL DEFAULT 0,
    issue_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sources_parent ON sources(parent_id);

-- Who supplied a source, from where, when. One row each time it was supplied.
CREATE TABLE custody (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    custodian   TEXT,
    path        TEXT NOT NULL,
    supplied_at TEXT NOT NULL
);
CREATE INDEX custody_source ON custody(source_id);

CREATE TABLE source_facts (
    source_id INTEGER NOT NULL REFERENCES sources(id),
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (source_id, key)
);

CREATE TABLE parse_issues (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    severity    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    raw         TEXT NOT NULL,
    line_start  INTEGER,
    line_end    INTEGER,
    byte_start  INTEGER
);
CREATE INDEX parse_issues_source ON parse_issues(source_id);

CREATE TABLE persons (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- A way a person appears: a display name as seen on one custodian's phone (context), a phone
-- number, an email address, a handle.
CREATE TABLE identities (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    context   TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, value, context)
);
CREATE INDEX identities_person ON identities(person_id);

-- Why two identities were put under one person.
CREATE TABLE identity_links (
    id          INTEGER PRIMARY KEY,
    identity_a  INTEGER NOT NULL REFERENCES identities(id),
    identity_b  INTEGER NOT NULL REFERENCES identities(id),
    reason      TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    uid        TEXT NOT NULL UNIQUE,
    platform   TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A message, with where it was first read: that first copy's source, line and byte range
-- live on the row itself (most messages have one copy; a separate row each would double the
-- writes). Further copies, read from other exports of the same chat, are in further_copies;
-- the view message_copies shows them all alike.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    uid             TEXT NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    kind            TEXT NOT NULL,
    sender_id       INTEGER REFERENCES identities(id),  -- as written in the first copy
    body            TEXT NOT NULL,                      -- exactly as read
    body_search     TEXT NOT NULL,                      -- normalised copy for search only
    match_hash      INTEGER,                            -- normalised body, for aligning copies;
                                                        -- filled only when copies may meet
    sent_at         INTEGER NOT NULL,                   -- UTC epoch seconds
    local_text      TEXT NOT NULL,                      -- the timestamp as written
    tz              TEXT NOT NULL,
    has_seconds     INTEGER NOT NULL,
    time_flags      TEXT NOT NULL DEFAULT '',           -- comma-separated
    edited          INTEGER NOT NULL DEFAULT 0,
    source_id       INTEGER NOT NULL REFERENCES sources(id),  -- the first copy
    line_start      INTEGER NOT NULL,
    line_end        INTEGER NOT NULL,
    byte_start      INTEGER NOT NULL,
    byte_end        INTEGER NOT NULL
);
CREATE INDEX messages_conversation_time ON messages(conversation_id, sent_at);
CREATE INDEX messages_time ON messages(sent_at);
CREATE INDEX messages_sender_time ON messages(sender_id, sent_at);
CREATE INDEX messages_match ON messages(match_hash) WHERE match_hash IS NOT NULL;
CREATE INDEX messages_kind_time ON messages(kind, sent_at);

-- Each further place a message was read. A message seen on three phones has two rows here.
CREATE TABLE further_copies (
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    sender_id   INTEGER REFERENCES identities(id),      -- as written in this copy
    header_text TEXT NOT NULL,
    line_start  INTEGER NOT NULL,
    line_end    INTEGER NOT NULL,
    byte_start  INTEGER NOT NULL,
    byte_end    INTEGER NOT NULL,
    PRIMARY KEY (message_id, source_id, byte_start)
) WITHOUT ROWID;

CREATE VIEW message_copies AS
    SELECT id AS message_id, source_id, sender_id, local_text AS header_text,
           line_start, line_end, byte_start, byte_end
      FROM messages
    UNION ALL
    SELECT message_id, source_id, sender_id, header_text, line_start, line_end, byte_start,
           byte_end
      FROM further_copies;

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    name       TEXT NOT NULL,            -- as the message names it
    source_id  INTEGER REFERENCES sources(id)  -- the file itself, when the export included it
);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    body_search,
    content = 'messages',
    content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 0"
);
