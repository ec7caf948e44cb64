-- Version 4: what chat platforms with ids and structure say about a message (Telegram,
-- Slack, Signal, Teams, generic CSV/JSONL). One row per message that has any of it; WhatsApp
-- lines have none. Ids are the platform's own, as text.
CREATE TABLE message_details (
    message_id     INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    platform_id    TEXT,             -- the message's id on its platform
    sender_key     TEXT,             -- the author's account id
    reply_to       TEXT,             -- platform id of the message answered
    reply_to_id    INTEGER,          -- that message's row, once found in the same conversation
    thread         TEXT,             -- platform id of the thread's parent message
    forwarded_from TEXT,
    edited_at      INTEGER,          -- UTC epoch seconds
    reactions      TEXT,             -- JSON list of [reaction, who]
    mentions       TEXT,             -- JSON list of names
    structure      TEXT,             -- the platform's rich-text structure (JSON), as read
    readable       TEXT              -- the text as the platform shows it, when not the body
);
CREATE INDEX message_details_platform ON message_details(platform_id);
CREATE INDEX message_details_thread ON message_details(thread) WHERE thread IS NOT NULL;
CREATE INDEX message_details_reply ON message_details(reply_to_id) WHERE reply_to_id IS NOT NULL;
