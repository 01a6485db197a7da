"""The model registry: ``client.models``.

A model has immutable numbered versions (a trial's output files with their SHA-256s, one
digest over all of them, and the lineage: study, trial, params, metrics) and movable aliases
(``champion``, ``production``). ``models:/<name>@<alias>`` and ``models:/<name>/<version>``
name a version everywhere.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ._http import Transport
from .errors import AutoglmError

__all__ = ["Models", "manifest_digest"]

# 1 MiB reads: large enough that hashing, not the Python loop, is the cost; small enough that
# a multi-gigabyte file never sits in memory.
CHUNK = 1024 * 1024

ProgressFn = Callable[[str, int, int], None]


def manifest_digest(files: Sequence[Mapping[str, Any]]) -> str:
    """A version's digest from its files (``name``, ``sizeBytes`` or ``size``, ``sha256``): the
    SHA-256 of the canonical manifest, a JSON array sorted by name (code point order), keys
    ``name``, ``size``, ``sha256`` in that order, no whitespace, non-ASCII as UTF-8."""
    entries = [{"name": f["name"], "size": f.get("sizeBytes", f.get("size")), "sha256": f["sha256"]} for f in files]
    canonical = json.dumps(sorted(entries, key=lambda f: f["name"]), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _safe_target(root: str, name: str) -> str:
    """Where a file named by the server goes under ``root``; refuses any name that would leave it (S9)."""
    segments = name.split("/")
    unsafe = (
        not name
        or "\\" in name
        or "\0" in name
        or re.match(r"^[A-Za-z]:", name) is not None
        or any(s in ("", ".", "..") for s in segments)
    )
    full = os.path.abspath(os.path.join(root, *segments)) if not unsafe else ""
    if unsafe or not full.startswith(root + os.sep):
        raise AutoglmError(
            'refusing file "%s": it would be written outside %s; nothing was downloaded' % (name, root), code="UNSAFE_FILE_NAME"
        )
    return full


class Models:
    """``client.models``: list, get, register, aliases, ``models:/`` references and verified downloads."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, project_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """The team's models: ``[{name, versionCount, latest, aliases, best, …}]``, sorted by name."""
        return self._t.call("GET", "model.list", {"projectId": project_id} if project_id else None).data

    def get(self, name: str) -> Dict[str, Any]:
        """A model (by name, or any reference to it) with ``versions`` (oldest first) and ``aliases``."""
        return self._t.call("GET", "model.get", {"name": name}).data

    def register(
        self,
        trial_id: str,
        name: str,
        alias: Optional[str] = None,
        *,
        description: Optional[str] = None,
        attempt: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Registers the trial's uploaded files as the model's next version (the model is created
        on first use); ``alias`` is pointed at it. Returns the version: ``{model, version, uri,
        digest, flavor, files: [{name, sizeBytes, sha256, downloadUrl}], lineage, …}``."""
        payload: Dict[str, Any] = {"trialId": trial_id, "name": name}
        if alias is not None:
            payload["alias"] = alias
        if description is not None:
            payload["description"] = description
        if attempt is not None:
            payload["attempt"] = attempt
        # Not retried: a lost answer to a registration that went through would register twice.
        return self._t.call("POST", "model.register", payload, retry=False).data

    def set_alias(self, name: str, alias: str, version: int) -> Dict[str, Any]:
        """Points ``alias`` at ``version``; returns ``{model, alias, version, previousVersion}``."""
        return self._t.call("POST", "model.setAlias", {"name": name, "alias": alias, "version": version}).data

    def remove_alias(self, name: str, alias: str) -> Dict[str, Any]:
        """Takes ``alias`` off the model (the version stays)."""
        return self._t.call("POST", "model.removeAlias", {"name": name, "alias": alias}, retry=False).data

    def resolve(self, ref: str) -> Dict[str, Any]:
        """``models:/m@champion``, ``models:/m/3``, ``m@champion``, ``m/3`` or ``m`` (its latest) → that version."""
        return self._t.call("GET", "model.resolve", {"ref": ref}).data

    def download(self, ref: str, dir: str, *, progress: Optional[ProgressFn] = None) -> Dict[str, Any]:
        """Downloads every file of the version ``ref`` names into ``dir`` and verifies each
        file's size and SHA-256 and the digest of the whole manifest. Files stream to temporary
        names and are renamed into place only when all of them check out: on any failure an
        ``AutoglmError`` names the file and no file is left under its final name.
        ``progress(name, received_bytes, total_bytes)`` is called as bytes arrive.

        Returns ``{model, version, uri, digest, dir, files: [{name, path, sizeBytes, sha256}]}``.
        """
        v = self.resolve(ref)
        listed = manifest_digest(v["files"])
        if listed != v["digest"]:
            raise AutoglmError(
                "the file list of %s hashes to %s, not its digest %s; nothing was downloaded" % (v["uri"], listed, v["digest"]),
                code="DIGEST_MISMATCH",
            )
        root = os.path.abspath(dir)
        targets = [(f, _safe_target(root, f["name"])) for f in v["files"]]
        created: List[str] = []
        temps: List[str] = []
        try:
            _makedirs(root, created)
            real_root = os.path.realpath(root)
            arrived = []
            for f, target in targets:
                _makedirs(os.path.dirname(target), created)
                # A symlink already in dir (dir/sub -> /etc) would carry a lexically safe name outside it.
                real_dir = os.path.realpath(os.path.dirname(target))
                if real_dir != real_root and not real_dir.startswith(real_root + os.sep):
                    raise AutoglmError(
                        'refusing file "%s": %s leads outside %s (a symlink); nothing was kept'
                        % (f["name"], os.path.dirname(target), root),
                        code="UNSAFE_FILE_NAME",
                    )
                tmp = os.path.join(os.path.dirname(target), ".%s.%s.part" % (os.path.basename(target), secrets.token_hex(6)))
                temps.append(tmp)
                arrived.append(dict(self._download_file(v, f, tmp, progress), name=f["name"]))
            got = manifest_digest(arrived)
            if got != v["digest"]:
                raise AutoglmError(
                    "the downloaded files of %s hash to %s, not its digest %s; nothing was kept" % (v["uri"], got, v["digest"]),
                    code="DIGEST_MISMATCH",
                )
            for tmp, (_, target) in zip(temps, targets):
                os.replace(tmp, target)
        except BaseException:
            for tmp in temps:
                if os.path.exists(tmp):
                    os.remove(tmp)
            for d in reversed(created):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            raise
        files = [{"name": f["name"], "path": t, "sizeBytes": f["sizeBytes"], "sha256": f["sha256"]} for f, t in targets]
        return {"model": v["model"], "version": v["version"], "uri": v["uri"], "digest": v["digest"], "dir": root, "files": files}

    def _download_file(
        self, v: Mapping[str, Any], f: Mapping[str, Any], tmp: str, progress: Optional[ProgressFn]
    ) -> Dict[str, Any]:
        name, size, uri = f["name"], f["sizeBytes"], v["uri"]
        try:
            conn, resp = self._t.open_stream(f["downloadUrl"])
        except AutoglmError as e:
            message = 'file "%s" of %s was not downloaded: %s' % (name, uri, e.message)
            raise AutoglmError(message, code=e.code, status=e.status) from None
        h = hashlib.sha256()
        received = 0
        try:
            with open(tmp, "xb") as out:
                while True:
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > size:
                        break
                    h.update(chunk)
                    out.write(chunk)
                    if progress is not None:
                        progress(name, received, size)
        except (OSError, http.client.HTTPException):
            pass  # a cut transfer: reported below, with how far it got
        finally:
            conn.close()
        if received < size:
            raise AutoglmError(
                'file "%s" of %s: the transfer was cut off after %d of %d bytes (the server stops sending a file whose '
                "stored bytes no longer match its recorded SHA-256; or the connection dropped); it was not kept"
                % (name, uri, received, size),
                code="DOWNLOAD_INCOMPLETE",
            )
        sha256 = h.hexdigest()
        if received != size or sha256 != f["sha256"]:
            raise AutoglmError(
                'file "%s" of %s: received %d bytes with SHA-256 %s, the version records %d bytes with SHA-256 %s; '
                "it was not kept"
                % (name, uri, received, sha256, size, f["sha256"]),
                code="CHECKSUM_MISMATCH",
            )
        return {"sizeBytes": received, "sha256": sha256}


def _makedirs(path: str, created: List[str]) -> None:
    """``mkdir -p``, noting each directory it made (outermost first) for the clean-up of a failed download."""
    missing = []
    p = path
    while not os.path.isdir(p):
        missing.append(p)
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    for d in reversed(missing):
        os.mkdir(d)
        created.append(d)
