-- Version 7: new emails go straight into the conversation their own headers point at (the top
-- of their References), and are listed here until the ingest threads them with the rest of the
-- case; most stay where they are, so threading rewrites few messages. Emails an interrupted
-- run of an earlier version left in the holding conversation "email:unthreaded" are listed too.
CREATE TABLE unthreaded (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id)
);
INSERT INTO unthreaded(message_id)
    SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.uid = 'email:unthreaded';
