-- Version 5: people made first-class. A person has a role, labels (groups, factions), aliases
-- and a public-figure flag (public figures are named in reports; private individuals are
-- redacted by default). Suggestions to join two identities are recorded with the user's
-- decision, so a rejected pair is never suggested again. Mentions and other analysis results
-- are annotations on message spans, versioned by the method that made them.
ALTER TABLE persons ADD COLUMN role TEXT;                       -- "very senior official"
ALTER TABLE persons ADD COLUMN public_figure INTEGER NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN notes TEXT;
ALTER TABLE persons ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0;  -- named/edited by a user

CREATE TABLE person_aliases (
    person_id INTEGER NOT NULL REFERENCES persons(id),
    alias     TEXT NOT NULL,       -- another name the person goes by ("Maria", "ML")
    PRIMARY KEY (person_id, alias)
) WITHOUT ROWID;

CREATE TABLE person_labels (
    person_id INTEGER NOT NULL REFERENCES persons(id),
    label     TEXT NOT NULL,       -- a group or faction, any label the user chooses
    PRIMARY KEY (person_id, label)
) WITHOUT ROWID;
CREATE INDEX person_labels_label ON person_labels(label);

-- A pair of identities the user has decided about: 'confirmed' (joined) or 'rejected' (never
-- suggested again, whatever new evidence comes).
CREATE TABLE identity_decisions (
    identity_a INTEGER NOT NULL REFERENCES identities(id),  -- the smaller id
    identity_b INTEGER NOT NULL REFERENCES identities(id),
    decision   TEXT NOT NULL,       -- confirmed | rejected
    decided_at TEXT NOT NULL,
    PRIMARY KEY (identity_a, identity_b)
) WITHOUT ROWID;

-- Analysis results on messages: a mention of a person, a conduct flag, ... Each names the
-- method (and its version) that made it, so a rerun replaces only its own rows.
CREATE TABLE annotations (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    kind        TEXT NOT NULL,      -- mention | ...
    span_start  INTEGER,            -- character offsets into messages.body
    span_end    INTEGER,
    person_id   INTEGER REFERENCES persons(id),  -- who it is about, when known
    value       TEXT,               -- the text found, or the label given
    method      TEXT NOT NULL,      -- e.g. "mentions/alias@1", "mentions/ner@1"
    confidence  REAL,
    created_at  TEXT NOT NULL
);
CREATE INDEX annotations_message ON annotations(message_id);
CREATE INDEX annotations_person ON annotations(kind, person_id);
CREATE INDEX annotations_method ON annotations(method);
