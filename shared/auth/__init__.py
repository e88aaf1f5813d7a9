"""Signed tokens, roles and the tenant check every HTTP route goes through."""

from shared.auth.tokens import AuthError, Principal, Role, TokenService

__all__ = ["AuthError", "Principal", "Role", "TokenService"]
