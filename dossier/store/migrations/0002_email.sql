-- Schema version 2: email. An email is a message (kind 'email') with these extra facts; a
-- thread is a conversation.

CREATE TABLE emails (
    message_id        INTEGER PRIMARY KEY REFERENCES messages(id),
    subject           TEXT NOT NULL,
    header_message_id TEXT NOT NULL DEFAULT '',   -- Message-ID without <>
    in_reply_to       TEXT NOT NULL DEFAULT '',   -- ids separated by spaces
    refs              TEXT NOT NULL DEFAULT '',   -- References, ids separated by spaces
    headers_raw       TEXT NOT NULL,              -- the header block exactly as read
    html              TEXT,                       -- as sent; sanitise before showing
    new_text          TEXT NOT NULL DEFAULT '',   -- without quoted replies and signature
    folder            TEXT NOT NULL DEFAULT '',
    item              TEXT,                       -- the item inside a .pst/.msg, if any
    content_hash      TEXT NOT NULL,              -- same email in several mailboxes
    text_hash         TEXT NOT NULL,              -- same text, maybe other headers
    parent_id         INTEGER REFERENCES messages(id),  -- for an email attached to another
    dkim              TEXT NOT NULL DEFAULT 'unchecked',
    dkim_detail       TEXT
);
CREATE INDEX emails_header_message_id ON emails(header_message_id);
CREATE INDEX emails_content_hash ON emails(content_hash);
CREATE INDEX emails_text_hash ON emails(text_hash);
CREATE INDEX emails_dkim ON emails(dkim);

-- From, To, Cc, Bcc, Reply-To as identities.
CREATE TABLE recipients (
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    role        TEXT NOT NULL,       -- from | to | cc | bcc | reply-to
    identity_id INTEGER NOT NULL REFERENCES identities(id),
    position    INTEGER NOT NULL
);
CREATE INDEX recipients_message ON recipients(message_id);
CREATE INDEX recipients_identity ON recipients(identity_id, role);

ALTER TABLE attachments ADD COLUMN content_type TEXT;
ALTER TABLE attachments ADD COLUMN text TEXT;  -- extracted, searchable through the message
