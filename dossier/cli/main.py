"""The `dossier` command. Expected errors print a message and exit 1; usage errors exit 2."""

from __future__ import annotations

import sys

import click

from dossier import __version__
from dossier.cli import case_cmds, ingest_cmd, search_cmds
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
    case_cmds.people,
):
    cli.add_command(command)


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
