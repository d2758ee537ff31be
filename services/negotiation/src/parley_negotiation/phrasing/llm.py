"""An OpenAI-compatible model rephrases the decided reply; its text is checked before use.

The model never decides: on a refused text, an error or a timeout the template goes out. The
API key is held as a Secret and handed to the client only; logs and spans carry reasons and
exception types, never the key, the draft or the model's text.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from openai import APIStatusError, APITimeoutError, AsyncOpenAI, OpenAIError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from parley_kit.secrets import Secret
from parley_kit.settings import Env
from parley_negotiation.phrasing.check import Reason, check, clean
from parley_negotiation.phrasing.draft import Draft, Phrased, Phraser, TemplatePhraser
from parley_negotiation.phrasing.prompt import messages

_log = logging.getLogger(__name__)
_tracer = trace.get_tracer("parley_negotiation.phrasing")

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 3.0
_TOKENS_PER_CHAR = 2  # room for Thai, which can take more than one token a character


class ModelPhraser:
    """Asks the model for a rephrasing, bounded in time, and keeps it only if check() passes."""

    def __init__(
        self,
        *,
        api_key: Secret,
        model: str = DEFAULT_MODEL,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._model = model
        self._timeout_s = timeout_s
        self._server = urlsplit(base_url).hostname or ""
        # No retries: a second try could not finish within the reply's time budget.
        self._client = AsyncOpenAI(
            api_key=api_key.reveal(), base_url=base_url, timeout=timeout_s, max_retries=0
        )

    async def phrase(self, draft: Draft) -> Phrased:
        """The model's text when it keeps the decision, otherwise the draft's."""
        with _tracer.start_as_current_span(
            f"chat {self._model}",
            kind=SpanKind.CLIENT,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": self._model,
                "server.address": self._server,
                "parley.phrasing.action": draft.action,
                "parley.phrasing.language": draft.language,
            },
        ) as span:
            phrased = await self._phrase(draft, span)
            span.set_attribute("parley.phrasing.source", phrased.source)
            span.set_attribute("parley.phrasing.rejected", phrased.rejected)
            return phrased

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def _phrase(self, draft: Draft, span: trace.Span) -> Phrased:
        try:
            text = await asyncio.wait_for(self._complete(draft, span), self._timeout_s)
            reason = check(draft, text)
        except _Refused as refused:
            reason = refused.reason
        except (TimeoutError, APITimeoutError):
            span.set_status(Status(StatusCode.ERROR, "timeout"))
            _log.warning(
                "model phrasing refused (%s after %ss); template sent",
                Reason.TIMEOUT,
                self._timeout_s,
            )
            return _template(draft, Reason.TIMEOUT)
        except Exception as exc:  # whatever the model or its text does, the template goes out
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            _log_failure(exc)
            return _template(draft, Reason.ERROR)
        if reason is None:
            return Phrased(text=text, source="model")
        _log.info("model phrasing refused (%s); template sent", reason, extra=_fields(draft))
        return _template(draft, reason)

    async def _complete(self, draft: Draft, span: trace.Span) -> str:
        """The model's cleaned text; _Refused when it gave none or ran out of tokens."""
        response = await self._client.chat.completions.create(
            model=self._model,
            messages=messages(draft),
            max_tokens=_TOKENS_PER_CHAR * draft.limit,
        )
        span.set_attribute("gen_ai.response.model", response.model)
        if response.usage is not None:
            span.set_attribute("gen_ai.usage.input_tokens", response.usage.prompt_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", response.usage.completion_tokens)
        if not response.choices:
            raise _Refused(Reason.EMPTY)
        choice = response.choices[0]
        if choice.finish_reason == "length":
            raise _Refused(Reason.TOO_LONG)
        return clean(choice.message.content or "")


class _Refused(Exception):
    """The model's answer cannot be used, for a reason known before check()."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason


def _template(draft: Draft, reason: str) -> Phrased:
    return Phrased(text=draft.text, source="template", rejected=str(reason))


def _fields(draft: Draft) -> dict[str, str]:
    return {"phrasing_action": draft.action, "phrasing_language": draft.language}


def _log_failure(exc: Exception) -> None:
    """Log a failed call by exception type and HTTP status only: their text may quote the key."""
    status = f" HTTP {exc.status_code}" if isinstance(exc, APIStatusError) else ""
    _log.warning(
        "model phrasing refused (%s: %s%s); template sent",
        Reason.ERROR,
        type(exc).__name__,
        status,
        # A failure outside the client is ours to fix: keep its traceback.
        exc_info=None if isinstance(exc, OpenAIError) else exc,
    )


def phraser_from_env(env: Env) -> Phraser:
    """A ModelPhraser when OPENAI_API_KEY is set, else a TemplatePhraser; call env.check() after.

    OPENAI_BASE_URL names any OpenAI-compatible server, PARLEY_LLM_MODEL the model and
    PARLEY_LLM_TIMEOUT_S the most seconds a phrasing may take.
    """
    api_key = env.secret("OPENAI_API_KEY", default="")
    base_url = env.url("OPENAI_BASE_URL", default=DEFAULT_BASE_URL, schemes=("http", "https"))
    model = env.text("PARLEY_LLM_MODEL", default=DEFAULT_MODEL)
    timeout_s = env.decimal("PARLEY_LLM_TIMEOUT_S", default=DEFAULT_TIMEOUT_S, low=0.1, high=60)
    if not api_key:
        return TemplatePhraser()
    return ModelPhraser(api_key=api_key, model=model, base_url=base_url, timeout_s=timeout_s)
