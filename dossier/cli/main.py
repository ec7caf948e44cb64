"""The `dossier` command. Expected errors print a message and exit 1; usage errors exit 2."""

from __future__ import annotations

import importlib
import sqlite3
import sys

import click

from dossier import __version__
from dossier.errors import DossierError

# Each command's module (command name -> module in dossier.cli, its function there), imported
# only when the command runs: a search need not load the parsers and the ingest code, which
# took half of its 0.3 s.
COMMANDS = {
    "init": ("case_cmds", "init"),
    "ingest": ("ingest_cmd", "ingest"),
    "sources": ("case_cmds", "sources"),
    "issues": ("case_cmds", "issues"),
    "search": ("search_cmds", "search"),
    "show": ("search_cmds", "show"),
    "conversations": ("case_cmds", "conversations"),
    "people": ("people_cmds", "people"),
    "dkim": ("email_cmds", "dkim"),
    "near-duplicates": ("email_cmds", "near_duplicates"),
    "analyse": ("mentions_cmds", "analyse"),
    "mentions": ("mentions_cmds", "mentions"),
    "network": ("network_cmds", "network_cmd"),
}


class _Commands(click.Group):
    """The commands of ``COMMANDS``, each loaded when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        module, name = found
        command: click.Command = getattr(importlib.import_module(f"dossier.cli.{module}"), name)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dossier")
def cli() -> None:
    """Turn leaked or disclosed chats into an evidenced dossier.

    Every command takes the case folder first: dossier COMMAND CASE ...
    """


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
