"""Errors of the events service that staff see: a code for programs, a French message for people."""

from __future__ import annotations


class DomainError(Exception):
    status = 422

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409
