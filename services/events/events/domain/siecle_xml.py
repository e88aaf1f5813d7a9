"""Reading an uploaded SIECLE file safely: a ZIP holding one XML, or the XML itself.

Hardening: the parser is defusedxml's (no DTD, no entity, no external resource); the upload, the
archive's member count and the uncompressed size are capped before anything is parsed; the
uncompressed bytes are counted as they come out, whatever the archive declares. Every element
keeps its line number so that a refusal or an anomaly can name it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from events.domain.errors import DomainError

ZIP_MAGIC = b"PK\x03\x04"
# A large lycée's "ElevesAvecAdresses.xml" is a few megabytes; anything past this is not an export.
MAX_UNCOMPRESSED_BYTES = 40_000_000
MAX_FILES_PER_ARCHIVE = 1
MAX_ARCHIVE_ENTRIES = 8


@dataclass(frozen=True)
class Limits:
    upload_bytes: int
    uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES
    files_per_archive: int = MAX_FILES_PER_ARCHIVE


class FileRefused(DomainError):
    """A file that cannot be imported; the message names the file (and the line when known)."""

    def __init__(self, file: str, code: str, reason: str, line: int | None = None) -> None:
        where = f"{file}, ligne {line}" if line else file
        super().__init__(code, f"Fichier {where} : {reason}", file=file, line=line)


class TooLarge(FileRefused):
    status = 413


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> Iterator[Node]:
        return (c for c in self.children if c.tag == tag)

    def value(self, tag: str) -> str:
        """The stripped text of the first child named `tag` ("" when missing or empty)."""
        found = self.child(tag)
        return found.text.strip() if found is not None else ""

    def path(self, *tags: str) -> Node | None:
        node: Node | None = self
        for tag in tags:
            node = node.child(tag) if node is not None else None
        return node


@dataclass(frozen=True)
class XmlFile:
    name: str
    root: Node


class _Builder:
    """An ElementTree target that builds `Node`s and reads the line each element starts on."""

    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.stack: list[Node] = []
        self.root: Node | None = None
        self.chunks: list[list[str]] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        assert self.parser is not None
        node = Node(tag, dict(attrs), self.parser.parser.CurrentLineNumber)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        self.chunks.append([])

    def end(self, tag: str) -> None:
        node = self.stack.pop()
        node.text = "".join(self.chunks.pop())

    def data(self, text: str) -> None:
        if self.chunks:
            self.chunks[-1].append(text)

    def close(self) -> Node | None:
        return self.root


def unpack(name: str, data: bytes, limits: Limits) -> tuple[str, bytes]:
    """The XML inside an upload: the upload itself, or the one member of a ZIP archive."""
    if len(data) > limits.upload_bytes:
        raise TooLarge(
            name,
            "file_too_large",
            f"trop volumineux ({len(data) // 1000} ko) : {limits.upload_bytes // 1000} ko au plus.",
        )
    if not data.startswith(ZIP_MAGIC):
        return name, data
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise FileRefused(name, "bad_zip", "archive ZIP illisible ou incomplète.") from None
    # A ZIP made again on a Mac adds a "__MACOSX/" copy of each file's attributes: not a file.
    members = [m for m in entries if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    if len(entries) > MAX_ARCHIVE_ENTRIES or len(members) != limits.files_per_archive:
        count = len(entries) if len(entries) > MAX_ARCHIVE_ENTRIES else len(members)
        raise FileRefused(
            name,
            "zip_member_count",
            f"l'archive contient {count} fichiers ; elle doit contenir exactement "
            f"{limits.files_per_archive} fichier XML exporté de SIECLE.",
        )
    [member] = members
    too_big = TooLarge(
        name,
        "zip_too_large",
        f"le contenu décompressé dépasse {limits.uncompressed_bytes // 1_000_000} Mo.",
    )
    if member.file_size > limits.uncompressed_bytes:
        raise too_big
    if member.flag_bits & 0x1:
        raise FileRefused(name, "zip_encrypted", "archive protégée par un mot de passe.")
    out = bytearray()
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(1 << 16):
                out.extend(chunk)
                if len(out) > limits.uncompressed_bytes:
                    raise too_big
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError):
        raise FileRefused(name, "bad_zip", "archive ZIP illisible ou incomplète.") from None
    return f"{name} › {member.filename}", bytes(out)


def parse(name: str, data: bytes) -> XmlFile:
    """Parse an XML document honouring its declared encoding (ISO-8859-15 for SIECLE)."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True)
    builder.parser = parser
    try:
        parser.feed(data)
        parser.close()
    except DefusedXmlException:
        raise FileRefused(
            name,
            "xml_forbidden_construct",
            "déclaration DTD ou entité interdite : seules les exportations SIECLE sont acceptées.",
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise FileRefused(
            name,
            "malformed_xml",
            f"XML mal formé ou tronqué (colonne {column + 1}) : {_explain(exc)}.",
            line=line,
        ) from None
    except (LookupError, UnicodeDecodeError, ValueError):
        raise FileRefused(name, "bad_encoding", "encodage des caractères illisible.") from None
    if builder.root is None:
        raise FileRefused(name, "malformed_xml", "document XML vide.")
    return XmlFile(name, builder.root)


def _explain(exc: ParseError) -> str:
    reason = str(exc).split(":", 1)[0]
    return {
        "no element found": "fin de fichier inattendue, le fichier semble tronqué",
        "mismatched tag": "balise fermante inattendue",
        "unclosed token": "balise non fermée",
        "not well-formed (invalid token)": "caractère ou balise invalide",
        "syntax error": "ce n'est pas un document XML",
        "junk after document element": "contenu après la fin du document",
    }.get(reason, reason)


def read(name: str, data: bytes, limits: Limits) -> XmlFile:
    """An upload (ZIP or XML) as a tree of `Node`s, or a `FileRefused`."""
    inner, xml = unpack(name, data, limits)
    return parse(inner, xml)
