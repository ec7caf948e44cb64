-- Schema version 3: small originals kept inside the case database.
-- A file under the size limit (see dossier/case.py) is stored here, content-addressed by its
-- SHA-256, instead of as a file under objects/: creating one file per email costs more than
-- reading the email. Larger files stay under objects/. Either way the bytes never change.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    data   BLOB NOT NULL
);
