-- Version 6: the ARC chain's result stored beside DKIM's, so that it can be searched (arc:pass).
-- none: no ARC set; unchecked: an ARC set, no key store given; pass / fail / no-key: checked.
-- Emails stored before this version say "none" until `dossier dkim` checks them again.
ALTER TABLE emails ADD COLUMN arc TEXT NOT NULL DEFAULT 'none';
CREATE INDEX emails_arc ON emails(arc) WHERE arc != 'none';
