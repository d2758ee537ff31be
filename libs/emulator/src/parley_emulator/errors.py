"""Graph API errors: Meta's error JSON, codes and subcodes the emulator answers with."""

from __future__ import annotations

import secrets
from typing import Any

# Codes and subcodes from Meta's Messenger Platform error table (see MESSENGER.md).
CODE_TEMPORARY = 2
CODE_PERMISSION = 10
CODE_PARAM = 100
CODE_TOKEN = 190
CODE_RATE_LIMIT = 613
SUB_NO_USER = 2018001
SUB_OUTSIDE_WINDOW = 2018278
SUB_THREAD_OWNER = 2018300
SUB_RATE_LIMIT = 2534040
SUB_NO_PROFILE = 2018218
SUB_UNSUPPORTED_OBJECT = 33
SUB_TOKEN_INVALIDATED = 460
SUB_TOKEN_EXPIRED = 463
CODE_ALREADY_REPLIED = 10900
CODE_CANNOT_REPLY = 10903


class GraphError(Exception):
    """A Graph API error, answered as `{"error": {...}}` with an HTTP status (400 unless 5xx)."""

    def __init__(
        self,
        code: int,
        message: str,
        subcode: int | None = None,
        *,
        status: int = 400,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.status = status
        self.transient = transient

    def body(self) -> dict[str, Any]:
        """Meta's error envelope; error_subcode only when Meta sends one, as Meta does."""
        error: dict[str, Any] = {"message": self.message, "type": "OAuthException"}
        error["code"] = self.code
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient:
            error["is_transient"] = True
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def fbtrace_id() -> str:
    """An opaque trace id like Meta's (11 url-safe characters)."""
    return secrets.token_urlsafe(8)[:11]


def param_error(message: str, subcode: int | None = None) -> GraphError:
    """Code 100: a bad or missing parameter; the message starts with Meta's `(#100)`."""
    return GraphError(CODE_PARAM, f"(#100) {message}", subcode)


def too_long(param: str, limit: int) -> GraphError:
    """Meta's wording for a parameter over its length limit."""
    return param_error(f"Length of param {param} must be less than or equal to {limit}")


def too_many(param: str, limit: int) -> GraphError:
    """A list parameter with more items than allowed."""
    return param_error(f"param {param} must have at most {limit} items")


def invalid_token(
    message: str = "Invalid OAuth access token - Cannot parse access token",
) -> GraphError:
    """Code 190 for an unknown token."""
    return GraphError(CODE_TOKEN, message)


def revoked_token() -> GraphError:
    """Code 190 / 460: a token the platform invalidated (password change, revoked, rotated)."""
    return GraphError(
        CODE_TOKEN,
        "Error validating access token: The session has been invalidated because the user "
        "changed their password or Facebook has changed the session for security reasons.",
        SUB_TOKEN_INVALIDATED,
    )


def expired_token() -> GraphError:
    """Code 190 / 463: a user token past its expiry."""
    return GraphError(CODE_TOKEN, "Error validating access token: Session has expired.", 463)


def no_such_object(node: str, method: str = "get") -> GraphError:
    """Code 100 / 33: Meta's answer for an id that does not exist or is not reachable."""
    return param_error(
        f"Unsupported {method} request. Object with ID '{node}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        SUB_UNSUPPORTED_OBJECT,
    )


def rate_limited(subcode: int | None = SUB_RATE_LIMIT) -> GraphError:
    """Code 613: calls over the rate limit."""
    return GraphError(
        CODE_RATE_LIMIT, "(#613) Calls to this api have exceeded the rate limit.", subcode
    )


def outside_window() -> GraphError:
    """Code 10 / 2018278: a message outside the allowed messaging window."""
    return GraphError(
        CODE_PERMISSION,
        "(#10) This message is sent outside of allowed window.",
        SUB_OUTSIDE_WINDOW,
    )


def thread_owned_elsewhere() -> GraphError:
    """Code 10 / 2018300: another app controls the thread (the emulator's pick of 10 vs 100)."""
    return GraphError(
        CODE_PERMISSION,
        "(#10) This thread is controlled by another app (Conversation Routing).",
        SUB_THREAD_OWNER,
    )


def no_matching_user() -> GraphError:
    """Code 100 / 2018001: the PSID is not a person who talked to this Page."""
    return param_error("No matching user found", SUB_NO_USER)


def temporary(status: int = 500) -> GraphError:
    """Code 2: Meta's transient failure, answered with a 5xx status."""
    return GraphError(
        CODE_TEMPORARY,
        "An unexpected error has occurred. Please retry your request later.",
        status=status,
        transient=True,
    )
