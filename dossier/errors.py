"""Errors a user can do something about.

Every message says what happened, where, and what to try. The CLI prints them without a
traceback and exits with status 1.

    DossierError
    ├── CaseError               the case folder itself
    │   ├── CaseNotFound
    │   ├── CaseExists
    │   └── CaseTooNew          made by a later Dossier; upgrade to open it
    ├── InputError              a file given to ingest
    │   ├── UnrecognisedInput   not a format Dossier reads
    │   ├── UnreadableInput     vanished, unreadable, truncated, encrypted
    │   └── UnsafeArchive       path escapes, zip bombs, oversize members
    ├── QueryError              a search query that cannot be understood
    └── NotFound                a message, source or conversation id that is not in the case
"""

from __future__ import annotations


class DossierError(Exception):
    """Base of all expected errors. ``hint`` says what the user can do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[type[DossierError], tuple[str, str | None]]:
        # Keep the hint when the error crosses from a worker process.
        return (self.__class__, (self.message, self.hint))

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  What to do: {self.hint}"
        return self.message


class CaseError(DossierError):
    pass


class CaseNotFound(CaseError):
    pass


class CaseExists(CaseError):
    pass


class CaseTooNew(CaseError):
    pass


class InputError(DossierError):
    pass


class UnrecognisedInput(InputError):
    pass


class UnreadableInput(InputError):
    pass


class UnsafeArchive(InputError):
    pass


class QueryError(DossierError):
    pass


class NotFound(DossierError):
    pass
