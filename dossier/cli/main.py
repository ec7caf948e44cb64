"""The `dossier` command. Expected errors print a message and exit 1; usage errors exit 2."""

from __future__ import annotations

import sqlite3
import sys

import click

from dossier import __version__
from dossier.cli import (
    case_cmds,
    email_cmds,
    ingest_cmd,
    mentions_cmds,
    network_cmds,
    people_cmds,
    search_cmds,
)
from dossier.errors import DossierError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dossier")
def cli() -> None:
    """Turn leaked or disclosed chats into an evidenced dossier.

    Every command takes the case folder first: dossier COMMAND CASE ...
    """


for command in (
    case_cmds.init,
    ingest_cmd.ingest,
    case_cmds.sources,
    case_cmds.issues,
    search_cmds.search,
    search_cmds.show,
    case_cmds.conversations,
    people_cmds.people,
    email_cmds.dkim,
    email_cmds.near_duplicates,
    mentions_cmds.analyse,
    mentions_cmds.mentions,
    network_cmds.network_cmd,
):
    cli.add_command(command)


def _database_problem(exc: sqlite3.OperationalError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (
            "The case is busy: another dossier command is writing to it.\n"
            "  What to do: wait for it to finish, then run this command again."
        )
    return f"The case database could not be used ({text}).\n  What to do: check the disk."


def main() -> None:
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DossierError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except sqlite3.OperationalError as exc:
        click.echo(f"Error: {_database_problem(exc)}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"Error: {exc.strerror or exc}{where}.", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(
            "Interrupted: the case keeps everything stored so far; run the same "
            "command again to finish.",
            err=True,
        )
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
