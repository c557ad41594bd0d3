"""kg daemon: the warm process that `kg` commands run in (kg.launch, kg.daemon)."""

from __future__ import annotations

import time

import click

from kg.cli import main, print_json


@main.group()
def daemon() -> None:
    """The kg daemon, which makes every command finish 0.2-0.3 s sooner.

    A command on a vault kg has read before starts it (a first read runs on its own); later
    commands run in a process it forks, with kg already imported. It ends after 30 minutes
    without a command (KG_DAEMON_IDLE, in seconds), when kg or an installed package changes (the
    next command starts a new one, which stops it), or with `kg daemon stop`. Set KG_DAEMON=0 to
    run every command in a process of its own.

    \b
    Examples:
      kg daemon status
      kg daemon stop
      KG_DAEMON=0 kg build        this build without the daemon
    """


@daemon.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of the daemons.")
def status(as_json: bool) -> None:
    """List this user's kg daemons: process, commands served, idle time."""
    from kg.launch import daemons

    found = daemons("status")
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no kg daemon is running; the next command on a vault kg has read before starts one"
                   if _enabled() else "no kg daemon is running (KG_DAEMON is off)")
        return
    now = time.time()
    for d in found:
        mark = "this kg" if d["current"] else "another kg (or an older version)"
        click.echo(f"pid {d['pid']}: {mark}; {d['served']} command{'s' if d['served'] != 1 else ''} served, "
                   f"idle {now - d['last']:.0f} s of {d['idle_seconds']:.0f} s; {d['socket']}")


@daemon.command()
def stop() -> None:
    """Stop every kg daemon of this user (commands running finish first)."""
    from kg.launch import daemons

    stopped = daemons("stop")
    click.echo(f"stopped {len(stopped)} kg daemon{'s' if len(stopped) != 1 else ''}")


def _enabled() -> bool:
    from kg.launch import enabled

    return enabled()
