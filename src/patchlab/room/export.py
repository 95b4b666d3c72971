"""*Download the room's numbers*: the room as one CSV file.

One row per event and one per guess (a participant's last answer to a
question), plain columns: ``seq``, ``time`` (UTC, ISO 8601), ``participant``
(the number), ``name`` (the display name, or empty), ``kind``, then every
field of the events flattened (``gain_domain_db.square``, ``psnr.telea``; a
list as numbers separated by ``;``), in the order they first appear. Shared
pictures are not in the file, only their size. Every cell that a
spreadsheet could take for a formula (``= + - @``) starts with an
apostrophe (:func:`patchlab.room.text.csv_cell`): names are data.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from patchlab.room.text import csv_cell

__all__ = ["snapshot_csv", "FIRST_COLUMNS"]

FIRST_COLUMNS = ("seq", "time", "participant", "name", "kind")


def _flat(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        elif isinstance(value, (list, tuple)):
            out[name] = ";".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def snapshot_csv(snapshot) -> bytes:
    """The room's numbers as CSV bytes (UTF-8 with a byte-order mark, which spreadsheets read as UTF-8).

    Parameters
    ----------
    snapshot : RoomSnapshot
        What :meth:`RoomStore.snapshot` read.

    Returns
    -------
    bytes
        The file: a header row, then a row per event (by ``seq``) and per guess.

    Examples
    --------
    >>> from patchlab.room.local import LocalRoom
    >>> room = LocalRoom()
    >>> _ = room.rename("ana", "=cmd", now=0.0)
    >>> _ = room.record("ana", "spot", {"method": "telea", "fooled": False}, now=1.0)
    >>> snapshot_csv(room.snapshot(now=2.0)).decode("utf-8-sig").splitlines()[1]
    "1,1970-01-01T00:00:01Z,1,'=cmd,spot,telea,false"
    """
    people = {p.pid: p for p in snapshot.participants}
    rows = []
    for event in snapshot.events:
        data = {k: v for k, v in event.data.items() if k != "picture"}
        rows.append({"seq": event.seq, "time": event.t, "pid": event.pid, "kind": event.kind, **_flat(data)})
    for question, answers in snapshot.guesses.items():
        for pid, answer in answers.items():
            rows.append({"seq": "", "time": None, "pid": pid, "kind": "guess", "question": question,
                         "answer": answer, "revealed": snapshot.revealed.get(question, "")})
    columns = list(FIRST_COLUMNS)
    for row in rows:
        columns.extend(k for k in row if k not in columns and k != "pid")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        who = people.get(row["pid"])
        row["participant"] = who.number if who else ""
        row["name"] = (who.name or "") if who else ""
        row["time"] = "" if row["time"] is None else _iso(row["time"])
        writer.writerow([csv_cell(row.get(c, "")) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
