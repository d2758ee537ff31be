"""Domain errors every service raises, and their one mapping to gRPC status codes."""

from __future__ import annotations

from types import MappingProxyType

import grpc


class DomainError(Exception):
    """Base of the errors a handler may raise; its message is shown to the caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class InvalidArgument(DomainError):
    """The request is malformed, whatever the state of the system."""


class FailedPrecondition(DomainError):
    """The request is well formed but the system is not in a state to accept it."""


class AlreadyExists(DomainError):
    """The thing to create exists already."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class Unauthenticated(DomainError):
    """The caller could not be identified."""


STATUS_CODES: MappingProxyType[type[DomainError], grpc.StatusCode] = MappingProxyType(
    {
        NotFound: grpc.StatusCode.NOT_FOUND,
        InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
        FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
        AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
        PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
        Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    }
)


def status_code_for(error: DomainError) -> grpc.StatusCode:
    """The gRPC status code of a domain error (its nearest mapped class; UNKNOWN for the base)."""
    for cls in type(error).__mro__:
        if issubclass(cls, DomainError) and cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return grpc.StatusCode.UNKNOWN
