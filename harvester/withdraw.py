"""Withdraw, never delete: a mistaken import is marked, not removed, and the mark can be undone.

``withdraw`` concerns every record of one imported file, or of one run (an import, a search or a refresh, with
its child runs). Two ways, as PRISMA 2020 counts them:

- ``remove`` (default): the records were identified, but must not go on (a search run with the wrong limits, a
  retracted batch): they end in "Records removed for other reasons" (in the other-methods column, "Removed for
  other reasons"), reason "Withdrawn: <why>".
- ``exclude-from-counts``: the file was imported by mistake (another review's export, the wrong database): its
  records were never identified for this review and appear in no box, nor in the per-source counts.

Each withdrawal, and each ``undo``, is a ledger row with who, when and why; the records and their decisions
stay, so an undo brings back exactly what was there. ``audit`` lists them.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from pathlib import Path

from harvester.errors import InputError, UsageError
from harvester.ledger.core import Ledger
from harvester.ledger.records import find_file, list_files
from harvester.ledger.runs import get_run
from harvester.ledger.withdrawals import Withdrawal, add_withdrawal, current_withdrawals, records_of


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """What a withdraw command did: the row it wrote and what it concerns."""

    withdrawal: Withdrawal
    what: str  # the file or run, in words
    undone: Withdrawal | None = None  # with --undo: the withdrawal it ended


def default_who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def withdraw(ledger: Ledger, *, file: Path | None = None, run: int | None = None, reason: str,
             exclude_from_counts: bool = False, undo: bool = False, who: str | None = None) -> Withdrawn:
    """Withdraw (or, with ``undo``, restore) every record of a file or run; see the module's docstring."""
    where = str(file) if file is not None else f"--run {run}"
    if (file is None) == (run is None):
        raise UsageError("(command line)", ["give the imported FILE or --run N (one of them)"])
    if not reason.strip():
        raise UsageError(where, ["--reason is required: say why (it is printed in the audit and the diagram's "
                                 "records)"])
    file_id, run_id, what = _target(ledger, file, run)
    in_force = next((w for w in current_withdrawals(ledger) if (w.file_id, w.run_id) == (file_id, run_id)), None)
    action = "undo" if undo else ("exclude-from-counts" if exclude_from_counts else "remove")
    if undo and in_force is None:
        raise InputError(where, [f"{what} is not withdrawn: nothing to undo"])
    if not undo and in_force is not None and in_force.action == action:
        raise InputError(where, [f"{what} is already withdrawn ({in_force.action}, {in_force.at[:10]} by "
                                 f"{in_force.who}: {in_force.reason}); --undo first to change it"])
    count = len(records_of(ledger, file_id=file_id, run_id=run_id))
    if count == 0 and not undo:
        raise InputError(where, [f"{what} brought in no record: nothing to withdraw"])
    row = add_withdrawal(ledger, file_id=file_id, run_id=run_id, action=action, reason=reason.strip(),
                         who=who or default_who(), records=count)
    return Withdrawn(row, what, in_force if undo else None)


def _target(ledger: Ledger, file: Path | None, run: int | None) -> tuple[int | None, int | None, str]:
    if run is not None:
        try:
            found = get_run(ledger, run)
        except KeyError:
            raise InputError(f"--run {run}", [f"the ledger has no run #{run} (list them with `prisma-harvest runs`)"]
                             ) from None
        return None, run, f"{found.kind} run #{run}" + (f" ({found.source})" if found.source else "")
    assert file is not None
    stored = None
    if file.is_file():
        stored = find_file(ledger, hashlib.sha256(file.read_bytes()).hexdigest())
    if stored is None:  # moved or changed since: by the path it was imported from
        wanted = {str(file), str(file.resolve())}
        stored = next((f for f in list_files(ledger) if f.path in wanted or Path(f.path).name == str(file)), None)
    if stored is None:
        known = ", ".join(f"{f.path} (#{f.id})" for f in list_files(ledger)) or "none"
        raise InputError(str(file), [f"no import of this file in the ledger (imported files: {known})"])
    return stored.id, None, f"file #{stored.id} {Path(stored.path).name} ({stored.source})"
